//! OCI005 host-namespace.

use super::{namespaces, pos_of};
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "OCI005",
    name: "missing-namespace",
    group: Group::Oci,
    severity: Severity::Error,
    summary: "the container shares a namespace with the host",
    doc: "\
What it checks: `linux.namespaces` has each of `pid`, `network`, `ipc`, `uts` and `mount`.
A type that is missing is shared with the host.

Why it matters: a shared pid namespace shows (and lets you signal) every host process; a
shared network namespace puts the container on the host's interfaces and loopback services;
shared IPC exposes host shared memory.

Example:
    bad:  \"namespaces\": [{\"type\": \"mount\"}]
    good: \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},
                          {\"type\": \"uts\"}, {\"type\": \"mount\"}]",
};

pub fn check(config: &Node, c: &mut Check) {
    let have = namespaces(config);
    let pos = pos_of(config, &["linux", "namespaces"]);
    for wanted in ["pid", "network", "ipc", "uts", "mount"] {
        if !have.contains(&wanted) {
            c.report(&RULE, pos, format!("no {wanted} namespace: the container shares the host's"));
        }
    }
}
