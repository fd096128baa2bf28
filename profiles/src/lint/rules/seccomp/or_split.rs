//! SEC008 or-split.

use super::entries;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;
use std::collections::BTreeMap;

pub static RULE: Rule = Rule {
    id: "SEC008",
    name: "or-split",
    group: Group::Seccomp,
    severity: Severity::Warning,
    summary: "conditions that runc turns into separate rules (OR instead of AND)",
    doc: "\
What it checks: one entry has two or more conditions on the same argument index.

Why it matters: libseccomp cannot AND two conditions on one argument, so runc adds every
condition of such an entry as a rule of its own: the call is then allowed when ANY one of
them holds, not all. `value >= 1 AND value <= 5` becomes `value >= 1 OR value <= 5`, which
is every value.

Example:
    bad:  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [
             {\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_GE\"},
             {\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_LE\"}]}
    good: one entry per allowed value, each with one condition on argument 0
          ({\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}).",
};

pub fn check(profile: &Node, c: &mut Check) {
    for entry in entries(profile) {
        let mut per_index: BTreeMap<u64, usize> = BTreeMap::new();
        for arg in entry.args {
            if let Some(index) = arg.get("index").and_then(Node::as_u64) {
                *per_index.entry(index).or_default() += 1;
            }
        }
        if let Some((index, count)) = per_index.iter().find(|(_, n)| **n > 1) {
            let pos = entry.node.member("args").map_or(entry.node.pos, |m| m.key_pos);
            c.report(
                &RULE,
                pos,
                format!("{count} conditions on argument {index}: runc adds each condition of this entry as a rule of its own, so the call is allowed when any one holds"),
            );
        }
    }
}
