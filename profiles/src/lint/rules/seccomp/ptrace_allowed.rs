//! SEC003 ptrace-allowed.

use super::entries;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "SEC003",
    name: "ptrace-allowed",
    group: Group::Seccomp,
    severity: Severity::Warning,
    summary: "ptrace or process_vm_readv/writev is allowed",
    doc: "\
What it checks: an allowing entry without argument conditions lists `ptrace`,
`process_vm_readv` or `process_vm_writev` (and is not limited to `CAP_SYS_PTRACE`).

Why it matters: these read and write other processes' memory. Since Linux 4.8 they no longer
bypass seccomp, so Docker's default profile allows them, but a service that never debugs
anything does not need them, and a compromised one can use them against its neighbours in
the container.

Example:
    bad:  {\"names\": [\"ptrace\", \"read\"], \"action\": \"SCMP_ACT_ALLOW\"}
    good: {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}",
};

pub fn check(profile: &Node, c: &mut Check) {
    for entry in entries(profile) {
        if !entry.allows_unfiltered() {
            continue;
        }
        for (name, pos) in &entry.names {
            if matches!(*name, "ptrace" | "process_vm_readv" | "process_vm_writev") {
                c.report(&RULE, *pos, format!("{name} is allowed: it reads or changes other processes' memory"));
            }
        }
    }
}
