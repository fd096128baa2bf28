//! NS004 subid-too-small.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::subid::SubIdRange;

pub static RULE: Rule = Rule {
    id: "NS004",
    name: "subid-too-small",
    group: Group::Userns,
    severity: Severity::Warning,
    summary: "a subordinate id range holds fewer than 65,536 ids",
    doc: "\
What it checks: every range counts at least 65,536 ids.

Why it matters: images use uids and gids up to 65,534 (nobody, nogroup); with a smaller
range, files owned by unmapped ids fail to unpack or show up as nobody, and the container
fails in ways that look unrelated.

Example:
    bad:  mascot-worker:100000:1000
    good: mascot-worker:100000:65536",
};

pub fn check(ranges: &[SubIdRange], c: &mut Check) {
    for range in ranges {
        if range.count < 65_536 {
            c.report(
                &RULE,
                super::line_pos(range),
                format!("{} has {} ids: images need 65,536 (up to nobody, 65534)", range.owner, range.count),
            );
        }
    }
}
