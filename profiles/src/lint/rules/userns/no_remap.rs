//! NS001 no-remap.

use crate::lint::finding::{Check, Group, Pos, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "NS001",
    name: "no-remap",
    group: Group::Userns,
    severity: Severity::Warning,
    summary: "dockerd does not remap container users (no userns-remap)",
    doc: "\
What it checks: daemon.json sets `userns-remap`.

Why it matters: without it root in a container is root on the host, uid 0 on every file a
mount or an escape reaches. With it each container uid maps into an unprivileged range.

Example:
    bad:  {\"storage-driver\": \"overlay2\"}
    good: {\"storage-driver\": \"overlay2\", \"userns-remap\": \"mascot-worker\"}
          (`cinch generate userns` writes daemon.json, subuid and subgid together)",
};

pub fn check(daemon: &Node, c: &mut Check) {
    if super::remap_user(daemon).is_none() {
        let pos = daemon.member("userns-remap").map_or(Pos::START, |m| m.key_pos);
        c.report(&RULE, pos, "no userns-remap: root in a container is root on the host");
    }
}
