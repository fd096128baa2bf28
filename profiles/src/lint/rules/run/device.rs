//! RUN009 device.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::run_config::RunConfig;

pub static RULE: Rule = Rule {
    id: "RUN009",
    name: "device",
    group: Group::Run,
    severity: Severity::Warning,
    summary: "a host device is passed into the container",
    doc: "\
What it checks: `--device` / compose `devices`.

Why it matters: a device node is direct access to host hardware or kernel drivers (a disk
is every file on it). Pass one only when the workload needs it, read-only when it can.

Example:
    bad:  docker run --device /dev/sda mascot/worker
    good: docker run mascot/worker",
};

pub fn check(run: &RunConfig, c: &mut Check) {
    for (device, pos) in &run.devices {
        c.report(&RULE, *pos, format!("device {device} is passed in: direct access to host hardware"));
    }
}
