//! OCI004 root-without-userns.

use super::{namespaces, pos_of};
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "OCI004",
    name: "root-without-userns",
    group: Group::Oci,
    severity: Severity::Warning,
    summary: "the process runs as uid 0 without a user namespace",
    doc: "\
What it checks: `process.user.uid` is 0 (or missing, which means 0) while `linux.namespaces`
has no `user` namespace.

Why it matters: uid 0 in the container is then uid 0 on the host: any escape, or any host
file reachable through a mount, is root's. Run as an unprivileged uid, or map root to an
unprivileged range with a user namespace (`cinch generate userns`).

Example:
    bad:  \"user\": {\"uid\": 0, \"gid\": 0}
    good: \"user\": {\"uid\": 10001, \"gid\": 10001}",
};

pub fn check(config: &Node, c: &mut Check) {
    let uid = config.at(&["process", "user", "uid"]).and_then(Node::as_u64).unwrap_or(0);
    if uid == 0 && !namespaces(config).contains(&"user") {
        c.report(
            &RULE,
            pos_of(config, &["process", "user", "uid"]),
            "the process runs as uid 0 and there is no user namespace: it is root on the host",
        );
    }
}
