//! SEC001 permissive-default.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "SEC001",
    name: "permissive-default",
    group: Group::Seccomp,
    severity: Severity::Error,
    summary: "the default action allows (or only logs) every syscall the profile does not list",
    doc: "\
What it checks: the profile's `defaultAction` is `SCMP_ACT_ALLOW` or `SCMP_ACT_LOG`.

Why it matters: such a profile is a denylist. Every syscall nobody thought of, including
ones added to the kernel later, is allowed; `SCMP_ACT_LOG` only writes to the audit log.
An allowlist denies by default (`SCMP_ACT_ERRNO`) and lists what the workload needs.

Example:
    bad:  {\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [...]}
    good: {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1, \"syscalls\": [...]}
    (`cinch generate seccomp` writes the good form from a trace.)",
};

pub fn check(profile: &Node, c: &mut Check) {
    let Some(action) = profile.get("defaultAction") else { return };
    match action.as_str() {
        Some("SCMP_ACT_ALLOW") => {
            c.report(&RULE, action.pos, "defaultAction SCMP_ACT_ALLOW allows every syscall the profile does not list")
        }
        Some("SCMP_ACT_LOG") => c.report(
            &RULE,
            action.pos,
            "defaultAction SCMP_ACT_LOG only logs: every syscall the profile does not list still runs",
        ),
        _ => {}
    }
}
