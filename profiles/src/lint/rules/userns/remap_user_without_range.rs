//! NS002 remap-user-without-range.

use super::remap_user;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;
use crate::subid::SubIdRange;

pub static RULE: Rule = Rule {
    id: "NS002",
    name: "remap-user-without-range",
    group: Group::Userns,
    severity: Severity::Error,
    summary: "the daemon's remap user has no range in the subuid or subgid file linted with it",
    doc: "\
What it checks: when daemon.json and subuid/subgid files are linted together (in one
directory, or named on one command line), the `userns-remap` user (`dockremap` for
`default`) has a range in each of them.

Why it matters: dockerd refuses to start when the remap user has no subordinate ids (or
creates dockremap's itself only for `default`).

Example:
    bad:  daemon.json {\"userns-remap\": \"mascot-worker\"}, subuid \"other:100000:65536\"
    good: daemon.json {\"userns-remap\": \"mascot-worker\"}, subuid \"mascot-worker:100000:65536\"",
};

/// `daemon` against each (file name, ranges) linted with it.
pub fn check(daemon: &Node, files: &[(&str, &[SubIdRange])], c: &mut Check) {
    let Some((user, pos)) = remap_user(daemon) else { return };
    for (name, ranges) in files {
        if !ranges.iter().any(|r| r.owner == user) {
            c.report(&RULE, pos, format!("userns-remap user {user} has no range in {name}"));
        }
    }
}
