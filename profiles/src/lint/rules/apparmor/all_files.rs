//! AA008 all-files.

use super::allows;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::apparmor::Statement;

pub static RULE: Rule = Rule {
    id: "AA008",
    name: "all-files",
    group: Group::Apparmor,
    severity: Severity::Warning,
    summary: "a bare `file,` rule allows every file access",
    doc: "\
What it checks: a bare `file,` rule.

Why it matters: it allows reading, writing, linking and mapping every file; only denies
narrow it. Docker's docker-default profile does this to stay generic; a profile for one
workload can list what it touches.

Example:
    bad:  file,
    good: /etc/hostname r,
          /usr/local/mascotnode/results/* rw,",
};

pub fn check(statements: &[Statement], c: &mut Check) {
    for rule in allows(statements) {
        if rule.keyword() == "file" && rule.words.len() == 1 {
            c.report(&RULE, rule.pos, "file, allows every file access: list the paths the workload uses");
        }
    }
}
