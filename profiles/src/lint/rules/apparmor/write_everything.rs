//! AA007 write-everything.

use super::{allows, is_everything, writes};
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::apparmor::Statement;

pub static RULE: Rule = Rule {
    id: "AA007",
    name: "write-everything",
    group: Group::Apparmor,
    severity: Severity::Error,
    summary: "a rule lets the process write every file (/** w)",
    doc: "\
What it checks: a file rule on `/**` (or `/{,**}`, `**`) with `w` or `a`.

Why it matters: it allows writing anywhere the process's uid can: binaries, configuration,
/proc and /sys. List the directories the workload writes instead (`cinch generate apparmor`
does, from a trace).

Example:
    bad:  /** rw,
    good: /usr/local/mascotnode/results/* rw,",
};

pub fn check(statements: &[Statement], c: &mut Check) {
    for rule in allows(statements) {
        if let Some((path, perms)) = rule.file() {
            if is_everything(path) && writes(perms) {
                c.report(&RULE, rule.pos, format!("{path} {perms}: every file may be written"));
            }
        }
    }
}
