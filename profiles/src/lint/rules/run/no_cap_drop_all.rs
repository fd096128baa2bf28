//! RUN005 no-cap-drop-all.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::run_config::RunConfig;

pub static RULE: Rule = Rule {
    id: "RUN005",
    name: "no-cap-drop-all",
    group: Group::Run,
    severity: Severity::Warning,
    summary: "the container keeps Docker's default capabilities (no --cap-drop ALL)",
    doc: "\
What it checks: `--cap-drop ALL` (or `cap_drop: [ALL]`) is present.

Why it matters: Docker's default set (CHOWN, DAC_OVERRIDE, FOWNER, SETUID, SETGID, NET_RAW,
MKNOD...) is more than a service usually needs; NET_RAW alone allows spoofed packets on the
host's bridge. Drop all, then add back the few the workload needs.

Example:
    bad:  docker run mascot/worker
    good: docker run --cap-drop ALL mascot/worker",
};

pub fn check(run: &RunConfig, c: &mut Check) {
    if !run.cap_drop.iter().any(|(cap, _)| cap.eq_ignore_ascii_case("ALL")) {
        c.report(&RULE, run.pos, "no --cap-drop ALL: the container keeps Docker's default capabilities");
    }
}
