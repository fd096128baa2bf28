//! RUN003 unconfined-apparmor.

use super::security_opt;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::run_config::RunConfig;

pub static RULE: Rule = Rule {
    id: "RUN003",
    name: "unconfined-apparmor",
    group: Group::Run,
    severity: Severity::Error,
    summary: "apparmor=unconfined turns the AppArmor profile off",
    doc: "\
What it checks: `--security-opt apparmor=unconfined` (or `apparmor:unconfined`).

Why it matters: Docker's docker-default profile (or yours) is what denies writes to /proc
and /sys and mounting; without it one capability too many is enough to escape.

Example:
    bad:  docker run --security-opt apparmor=unconfined mascot/worker
    good: docker run --security-opt apparmor=mascot-worker mascot/worker",
};

pub fn check(run: &RunConfig, c: &mut Check) {
    for (opt, pos) in security_opt(run, "apparmor") {
        if opt.ends_with("unconfined") {
            c.report(&RULE, *pos, format!("{opt}: no AppArmor profile"));
        }
    }
}
