//! RUN001 privileged.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::run_config::RunConfig;

pub static RULE: Rule = Rule {
    id: "RUN001",
    name: "privileged",
    group: Group::Run,
    severity: Severity::Error,
    summary: "the container runs --privileged",
    doc: "\
What it checks: `--privileged` on a `docker run` line, or `privileged: true` in a compose
service.

Why it matters: a privileged container has every capability, every device, no seccomp
filter and no AppArmor profile: it is root on the host with extra steps.

Example:
    bad:  docker run --privileged mascot/worker
    good: docker run --cap-drop ALL --security-opt no-new-privileges mascot/worker",
};

pub fn check(run: &RunConfig, c: &mut Check) {
    if let Some(pos) = run.privileged {
        c.report(&RULE, pos, "privileged: every capability and device, no seccomp, no AppArmor");
    }
}
