//! RUN010 port-all-addresses.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::run_config::{port_address, RunConfig};

pub static RULE: Rule = Rule {
    id: "RUN010",
    name: "port-all-addresses",
    group: Group::Run,
    severity: Severity::Warning,
    summary: "a port is published on every host address",
    doc: "\
What it checks: `-p`/`--publish`/compose `ports` without a host address (`5001:5001`), or
with 0.0.0.0 or ::, and `-P`.

Why it matters: Docker publishes ports with its own NAT rules, before the host firewall's
INPUT chain: a port published on every address is reachable from every network the host is
on, whatever ufw or firewalld say. The Mascot worker's 5001 speaks an unencrypted protocol
and should be reachable from the master only.

Example:
    bad:  docker run -p 5001:5001 mascot/worker
    good: docker run -p 10.8.0.2:5001:5001 mascot/worker",
};

pub fn check(run: &RunConfig, c: &mut Check) {
    for (spec, pos) in &run.ports {
        if port_address(spec).is_none() {
            c.report(
                &RULE,
                *pos,
                format!("{spec} is published on every host address, past the host firewall: give an address"),
            );
        }
    }
}
