//! AA001 complain-or-unconfined.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::apparmor::Statement;

pub static RULE: Rule = Rule {
    id: "AA001",
    name: "complain-or-unconfined",
    group: Group::Apparmor,
    severity: Severity::Error,
    summary: "the profile is in complain mode or unconfined: it enforces nothing",
    doc: "\
What it checks: a profile header has `flags=(complain)` or `flags=(unconfined)`.

Why it matters: in complain mode AppArmor only logs what the profile would deny; an
unconfined profile allows everything. Both are fine while writing a profile, never in
production.

Example:
    bad:  profile mascot-worker flags=(attach_disconnected,complain) {
    good: profile mascot-worker flags=(attach_disconnected,mediate_deleted) {",
};

pub fn check(statements: &[Statement], c: &mut Check) {
    for statement in statements {
        if let Statement::Header { pos, flags, .. } = statement {
            for flag in flags {
                if flag == "complain" || flag == "unconfined" {
                    c.report(&RULE, *pos, format!("flags include {flag}: the profile enforces nothing"));
                }
            }
        }
    }
}
