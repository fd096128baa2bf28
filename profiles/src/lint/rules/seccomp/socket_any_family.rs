//! SEC004 socket-any-family.

use super::{allows, entries};
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "SEC004",
    name: "socket-any-family",
    group: Group::Seccomp,
    severity: Severity::Warning,
    summary: "socket is allowed for every address family",
    doc: "\
What it checks: `socket` is allowed by an entry with no condition on argument 0 (the
address family).

Why it matters: a service that speaks TCP needs AF_INET/AF_INET6 (and maybe AF_UNIX). Every
other family (AF_PACKET, AF_NETLINK, AF_VSOCK, AF_ALG...) is kernel attack surface it never
uses; several container escapes went through rarely used socket families.

Example:
    bad:  {\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\"}
    good: {\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\",
           \"args\": [{\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]}
          (one entry per family; `cinch generate seccomp` writes them from a trace)",
};

pub fn check(profile: &Node, c: &mut Check) {
    for entry in entries(profile) {
        if !allows(entry.action_str()) || entry.needs_capability {
            continue;
        }
        let family_filtered = entry.args.iter().any(|a| a.get("index").and_then(Node::as_u64) == Some(0));
        if family_filtered {
            continue;
        }
        for (name, pos) in &entry.names {
            if *name == "socket" {
                c.report(
                    &RULE,
                    *pos,
                    "socket is allowed for every address family: filter argument 0 to the families used",
                );
            }
        }
    }
}
