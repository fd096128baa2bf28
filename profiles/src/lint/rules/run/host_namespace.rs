//! RUN007 host-namespace.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::run_config::RunConfig;

pub static RULE: Rule = Rule {
    id: "RUN007",
    name: "host-namespace",
    group: Group::Run,
    severity: Severity::Error,
    summary: "the container joins a host namespace (pid, network, ipc, uts, userns, cgroup)",
    doc: "\
What it checks: `--pid`, `--network`/`--net`, `--ipc`, `--uts`, `--userns` or `--cgroupns`
set to `host` (compose: `pid`, `network_mode`, `ipc`, `uts`, `userns_mode`, `cgroup`).

Why it matters: host pid lets the container see and signal every host process; host network
puts it on the host's interfaces and every service bound to the host's loopback; host userns
turns off user-namespace remapping.

Example:
    bad:  docker run --network host mascot/worker
    good: docker run -p 127.0.0.1:5001:5001 mascot/worker",
};

pub fn check(run: &RunConfig, c: &mut Check) {
    for (namespace, mode, pos) in &run.namespaces {
        if mode == "host" {
            c.report(&RULE, *pos, format!("{namespace}=host: the container shares the host's {namespace} namespace"));
        }
    }
}
