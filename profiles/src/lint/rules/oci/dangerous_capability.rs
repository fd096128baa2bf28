//! OCI003 dangerous-capability.

use crate::lint::caps;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "OCI003",
    name: "dangerous-process-capability",
    group: Group::Oci,
    severity: Severity::Error,
    summary: "the process keeps a capability that breaks the container boundary",
    doc: "\
What it checks: `process.capabilities` (bounding, effective, inheritable, permitted,
ambient) lists CAP_SYS_ADMIN, CAP_SYS_MODULE, CAP_SYS_PTRACE, CAP_SYS_RAWIO, CAP_SYS_BOOT,
CAP_SYS_TIME, CAP_NET_ADMIN, CAP_DAC_READ_SEARCH, CAP_BPF, CAP_PERFMON, CAP_MAC_ADMIN,
CAP_MAC_OVERRIDE, CAP_SYSLOG or CAP_SYS_PACCT.

Why it matters: each one reaches outside the container (mounts, modules, other processes'
memory, raw devices, the host's clock or network). Most services need no capability at all.

Example:
    bad:  \"bounding\": [\"CAP_SYS_ADMIN\", \"CAP_NET_BIND_SERVICE\"]
    good: \"bounding\": [\"CAP_NET_BIND_SERVICE\"]",
};

pub fn check(config: &Node, c: &mut Check) {
    let Some(sets) = config.at(&["process", "capabilities"]) else { return };
    for set in sets.members() {
        for (name, pos) in set.value.strings() {
            if let Some(why) = caps::dangerous(name) {
                c.report(&RULE, pos, format!("{name} in the {} set: {why}", set.key));
            }
        }
    }
}
