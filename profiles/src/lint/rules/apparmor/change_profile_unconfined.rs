//! AA003 change-profile-unconfined.

use super::allows;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::apparmor::Statement;

pub static RULE: Rule = Rule {
    id: "AA003",
    name: "change-profile-unconfined",
    group: Group::Apparmor,
    severity: Severity::Error,
    summary: "the profile may change itself to unconfined",
    doc: "\
What it checks: a `change_profile` rule that names `unconfined`, or a bare `change_profile,`
(which allows any profile).

Why it matters: the confined process can step out of its profile whenever it likes; the
profile then protects nothing.

Example:
    bad:  change_profile -> unconfined,
    good: (no change_profile rule, or one to a named, stricter profile)",
};

pub fn check(statements: &[Statement], c: &mut Check) {
    for rule in allows(statements) {
        if rule.keyword() != "change_profile" {
            continue;
        }
        if rule.words.len() == 1 {
            c.report(
                &RULE,
                rule.pos,
                "change_profile without a target: the process may change to any profile, unconfined included",
            );
        } else if rule.words.iter().any(|w| w == "unconfined") {
            c.report(&RULE, rule.pos, "change_profile -> unconfined: the process may leave its profile");
        }
    }
}
