//! LINT002 bad-suppression.

use crate::lint::finding::{Group, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "LINT002",
    name: "bad-suppression",
    group: Group::General,
    severity: Severity::Warning,
    summary: "an inline `cinch: ignore=` without a reason or with an unknown rule",
    doc: "\
What it checks: every inline suppression, `# cinch: ignore=ID[,ID...] reason`, names known
rule IDs and gives a reason.

Why it matters: a suppression is a decision someone will have to revisit; without a reason
nobody can. A suppression without a reason does not suppress anything.

Example:
    bad:  ptrace (read),  # cinch: ignore=AA006
    good: ptrace (read),  # cinch: ignore=AA006 the health check reads its own /proc entries",
};
