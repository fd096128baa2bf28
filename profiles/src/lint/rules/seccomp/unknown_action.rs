//! SEC006 unknown-action.

use super::{entries, ACTIONS, OPERATORS};
use crate::lint::finding::{Check, Group, Pos, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "SEC006",
    name: "unknown-action",
    group: Group::Seccomp,
    severity: Severity::Error,
    summary: "a missing or unknown action or comparison operator",
    doc: "\
What it checks: `defaultAction` is present, and it, every entry's `action` and every
condition's `op` are names libseccomp knows (`SCMP_ACT_ERRNO`, `SCMP_CMP_MASKED_EQ`...).

Why it matters: Docker and runc refuse such a profile, so the container does not start, the
complaint users have about generated profiles. Catch it in CI instead.

Example:
    bad:  {\"defaultAction\": \"SCMP_ACT_DENY\"}
    good: {\"defaultAction\": \"SCMP_ACT_ERRNO\"}",
};

pub fn check(profile: &Node, c: &mut Check) {
    match profile.get("defaultAction") {
        None => c.report(&RULE, Pos::START, "no defaultAction: Docker refuses the profile"),
        Some(action) => match action.as_str() {
            Some(name) if ACTIONS.contains(&name) => {}
            _ => c.report(&RULE, action.pos, format!("defaultAction {} is not a seccomp action", show(action))),
        },
    }
    for entry in entries(profile) {
        match entry.action {
            None => c.report(&RULE, entry.node.pos, "a syscalls entry without an action"),
            Some(action) => {
                if !action.as_str().is_some_and(|a| ACTIONS.contains(&a)) {
                    c.report(&RULE, action.pos, format!("action {} is not a seccomp action", show(action)));
                }
            }
        }
        for arg in entry.args {
            if let Some(op) = arg.get("op") {
                if !op.as_str().is_some_and(|o| OPERATORS.contains(&o)) {
                    c.report(&RULE, op.pos, format!("op {} is not a comparison operator", show(op)));
                }
            }
        }
    }
}

fn show(node: &Node) -> String {
    node.as_str().map_or("(not a string)".into(), |s| format!("{s:?}"))
}
