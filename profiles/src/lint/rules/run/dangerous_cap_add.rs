//! RUN004 dangerous-cap-add.

use crate::lint::caps;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::run_config::RunConfig;

pub static RULE: Rule = Rule {
    id: "RUN004",
    name: "dangerous-cap-add",
    group: Group::Run,
    severity: Severity::Error,
    summary: "--cap-add gives a capability that breaks the container boundary",
    doc: "\
What it checks: `--cap-add` / `cap_add` with ALL, SYS_ADMIN, SYS_MODULE, SYS_PTRACE,
SYS_RAWIO, SYS_BOOT, SYS_TIME, NET_ADMIN, DAC_READ_SEARCH, BPF, PERFMON, MAC_ADMIN,
MAC_OVERRIDE, SYSLOG or SYS_PACCT.

Why it matters: each reaches outside the container: mounts and namespaces, kernel modules,
other processes' memory, the host's network or clock.

Example:
    bad:  docker run --cap-add SYS_ADMIN mascot/worker
    good: docker run --cap-drop ALL --cap-add NET_BIND_SERVICE mascot/worker",
};

pub fn check(run: &RunConfig, c: &mut Check) {
    for (cap, pos) in &run.cap_add {
        if let Some(why) = caps::dangerous(cap) {
            c.report(&RULE, *pos, format!("cap-add {cap}: {why}"));
        }
    }
}
