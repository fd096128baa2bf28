//! OCI006 masked-paths.

use super::pos_of;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "OCI006",
    name: "masked-paths",
    group: Group::Oci,
    severity: Severity::Warning,
    summary: "kernel files are not masked or not read-only",
    doc: "\
What it checks: `linux.maskedPaths` has /proc/kcore, /proc/keys, /proc/timer_list and
/sys/firmware, and `linux.readonlyPaths` has /proc/sys, /proc/sysrq-trigger, /proc/irq and
/proc/bus (what runc's and Docker's defaults have).

Why it matters: /proc/kcore is the kernel's memory, /proc/sysrq-trigger reboots the host,
/proc/sys changes kernel settings for everyone. A container never needs them.

Example:
    bad:  \"linux\": {\"maskedPaths\": []}
    good: \"linux\": {\"maskedPaths\": [\"/proc/kcore\", \"/proc/keys\", \"/proc/timer_list\", \"/sys/firmware\"],
                     \"readonlyPaths\": [\"/proc/sys\", \"/proc/sysrq-trigger\", \"/proc/irq\", \"/proc/bus\"]}",
};

const MASKED: &[&str] = &["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"];
const READONLY: &[&str] = &["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"];

pub fn check(config: &Node, c: &mut Check) {
    for (key, wanted, what) in [("maskedPaths", MASKED, "masked"), ("readonlyPaths", READONLY, "read-only")] {
        let have: Vec<&str> =
            config.at(&["linux", key]).map(|n| n.strings().into_iter().map(|(s, _)| s).collect()).unwrap_or_default();
        let missing: Vec<&str> = wanted.iter().copied().filter(|p| !have.contains(p)).collect();
        if !missing.is_empty() {
            c.report(&RULE, pos_of(config, &["linux", key]), format!("not {what}: {}", missing.join(", ")));
        }
    }
}
