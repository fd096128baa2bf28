//! SEC007 errno-ret-misplaced.

use super::entries;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "SEC007",
    name: "errno-ret-misplaced",
    group: Group::Seccomp,
    severity: Severity::Error,
    summary: "errnoRet on an action that returns no errno",
    doc: "\
What it checks: `errnoRet` appears only on entries whose action is `SCMP_ACT_ERRNO` or
`SCMP_ACT_TRACE`, and `defaultErrnoRet` only with such a `defaultAction`.

Why it matters: runc refuses an errnoRet on any other action, so the container does not
start; and the author clearly meant the call to fail, which it will not if the action is
ALLOW.

Example:
    bad:  {\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": 38}
    good: {\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38}",
};

fn takes_errno(action: &str) -> bool {
    matches!(action, "SCMP_ACT_ERRNO" | "SCMP_ACT_TRACE")
}

pub fn check(profile: &Node, c: &mut Check) {
    if let Some(ret) = profile.member("defaultErrnoRet") {
        let action = profile.get("defaultAction").and_then(Node::as_str).unwrap_or("");
        if !takes_errno(action) {
            c.report(&RULE, ret.key_pos, format!("defaultErrnoRet with defaultAction {action}: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno"));
        }
    }
    for entry in entries(profile) {
        if let Some(ret) = entry.errno_ret {
            let action = entry.action_str();
            if !takes_errno(action) {
                c.report(
                    &RULE,
                    ret.key_pos,
                    format!("errnoRet with action {action}: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE return an errno"),
                );
            }
        }
    }
}
