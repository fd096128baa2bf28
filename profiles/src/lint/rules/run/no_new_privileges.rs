//! RUN006 no-new-privileges.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::run_config::RunConfig;

pub static RULE: Rule = Rule {
    id: "RUN006",
    name: "no-new-privileges",
    group: Group::Run,
    severity: Severity::Warning,
    summary: "no --security-opt no-new-privileges",
    doc: "\
What it checks: `--security-opt no-new-privileges` (or `no-new-privileges:true`) is present.

Why it matters: without it a setuid binary in the image gives its owner's privileges to
whoever runs it inside the container.

Example:
    bad:  docker run --cap-drop ALL mascot/worker
    good: docker run --cap-drop ALL --security-opt no-new-privileges mascot/worker",
};

pub fn check(run: &RunConfig, c: &mut Check) {
    if !run.has_no_new_privileges() && run.privileged.is_none() {
        c.report(&RULE, run.pos, "no no-new-privileges: setuid binaries can raise privileges");
    }
}
