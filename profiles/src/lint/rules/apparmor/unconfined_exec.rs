//! AA002 unconfined-exec.

use super::allows;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::apparmor::Statement;

pub static RULE: Rule = Rule {
    id: "AA002",
    name: "unconfined-exec",
    group: Group::Apparmor,
    severity: Severity::Error,
    summary: "a program may be executed unconfined (ux, Ux, pux, cux)",
    doc: "\
What it checks: a file rule's permissions contain `ux` or `Ux` (also as the fallback of
`pux`, `PUx`, `cux`, `CUx`).

Why it matters: the program runs with no profile at all, so anything the workload can make it
do escapes confinement. Use `ix` (inherit this profile) or `px` to a profile of its own.

Example:
    bad:  /usr/bin/helper Ux,
    good: /usr/bin/helper ix,",
};

pub fn check(statements: &[Statement], c: &mut Check) {
    for rule in allows(statements) {
        if let Some((path, perms)) = rule.file() {
            if perms.contains("ux") || perms.contains("Ux") {
                c.report(&RULE, rule.pos, format!("{path} {perms}: the program runs without confinement"));
            }
        }
    }
}
