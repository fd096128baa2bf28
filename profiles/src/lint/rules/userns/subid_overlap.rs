//! NS003 subid-overlap.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::subid::SubIdRange;

pub static RULE: Rule = Rule {
    id: "NS003",
    name: "subid-overlap",
    group: Group::Userns,
    severity: Severity::Error,
    summary: "two subordinate id ranges overlap",
    doc: "\
What it checks: no two lines of a subuid or subgid file share an id.

Why it matters: two users (or two containers' remaps) whose ranges overlap own each other's
files: uid 1000 in one container is the same host uid as some uid in the other.

Example:
    bad:  alice:100000:65536
          bob:150000:65536
    good: alice:100000:65536
          bob:165536:65536",
};

pub fn check(ranges: &[SubIdRange], c: &mut Check) {
    for (i, later) in ranges.iter().enumerate() {
        if let Some(earlier) = ranges[..i].iter().find(|r| r.start < later.end() && later.start < r.end()) {
            c.report(
                &RULE,
                super::line_pos(later),
                format!(
                    "{}:{}:{} overlaps {}:{}:{} (line {})",
                    later.owner, later.start, later.count, earlier.owner, earlier.start, earlier.count, earlier.line
                ),
            );
        }
    }
}
