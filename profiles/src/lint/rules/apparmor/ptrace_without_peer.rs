//! AA006 ptrace-without-peer.

use super::allows;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::apparmor::Statement;

pub static RULE: Rule = Rule {
    id: "AA006",
    name: "ptrace-without-peer",
    group: Group::Apparmor,
    severity: Severity::Warning,
    summary: "ptrace is allowed against any profile",
    doc: "\
What it checks: a `ptrace` rule without `peer=`.

Why it matters: it lets the process trace (read, or with `trace` change) processes of any
profile, unconfined ones included. Name the peer: usually the profile itself.

Example:
    bad:  ptrace (read),
    good: ptrace (read) peer=mascot-worker,",
};

pub fn check(statements: &[Statement], c: &mut Check) {
    for rule in allows(statements) {
        if rule.keyword() == "ptrace" && !rule.words.iter().any(|w| w.starts_with("peer=")) {
            c.report(&RULE, rule.pos, "ptrace without peer=: it applies to processes of every profile");
        }
    }
}
