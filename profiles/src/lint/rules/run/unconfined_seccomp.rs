//! RUN002 unconfined-seccomp.

use super::security_opt;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::run_config::RunConfig;

pub static RULE: Rule = Rule {
    id: "RUN002",
    name: "unconfined-seccomp",
    group: Group::Run,
    severity: Severity::Error,
    summary: "seccomp=unconfined turns the syscall filter off",
    doc: "\
What it checks: `--security-opt seccomp=unconfined` (or `seccomp:unconfined`).

Why it matters: the container may then make every syscall, including the ones most kernel
exploits need. Give it a profile made for it instead (`cinch generate seccomp`).

Example:
    bad:  docker run --security-opt seccomp=unconfined mascot/worker
    good: docker run --security-opt seccomp=seccomp.json mascot/worker",
};

pub fn check(run: &RunConfig, c: &mut Check) {
    for (opt, pos) in security_opt(run, "seccomp") {
        if opt.ends_with("unconfined") {
            c.report(&RULE, *pos, format!("{opt}: no seccomp filter"));
        }
    }
}
