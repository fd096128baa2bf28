//! NS005 subid-system-range.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::subid::SubIdRange;

pub static RULE: Rule = Rule {
    id: "NS005",
    name: "subid-system-range",
    group: Group::Userns,
    severity: Severity::Error,
    summary: "a subordinate range covers real users' ids (below 65,536)",
    doc: "\
What it checks: every range starts at 65,536 or above (useradd starts at 100,000).

Why it matters: ids below 65,536 are the host's own users and system accounts; a range that
starts at 0 maps container root to host root. A container uid would own those users' files.

Example:
    bad:  mascot-worker:1000:65536
    good: mascot-worker:100000:65536",
};

pub fn check(ranges: &[SubIdRange], c: &mut Check) {
    for range in ranges {
        if range.start < 65_536 {
            let what = if range.start == 0 {
                "it maps container root to host root"
            } else {
                "its ids belong to the host's own users"
            };
            c.report(&RULE, super::line_pos(range), format!("{} starts at {}: {what}", range.owner, range.start));
        }
    }
}
