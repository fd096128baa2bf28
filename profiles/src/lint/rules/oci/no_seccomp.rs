//! OCI001 no-seccomp.

use super::pos_of;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "OCI001",
    name: "no-seccomp",
    group: Group::Oci,
    severity: Severity::Error,
    summary: "the container has no seccomp filter",
    doc: "\
What it checks: `linux.seccomp` is present in config.json.

Why it matters: without it runc installs no filter, and the container can make every
syscall its capabilities allow, the whole kernel API. Docker adds its default profile for
you; a hand-made OCI bundle gets nothing unless it says so.

Example:
    bad:  {\"ociVersion\": \"1.0.2\", \"linux\": {\"namespaces\": [...]}}
    good: {\"ociVersion\": \"1.0.2\", \"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", ...}}}
          (`cinch generate seccomp --format oci` writes that object from a trace)",
};

pub fn check(config: &Node, c: &mut Check) {
    if config.at(&["linux", "seccomp"]).is_none() {
        c.report(&RULE, pos_of(config, &["linux"]), "no linux.seccomp: runc installs no seccomp filter");
    }
}
