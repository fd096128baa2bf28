//! LINT001 unparsable.

use crate::lint::finding::{Group, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "LINT001",
    name: "unparsable",
    group: Group::General,
    severity: Severity::Error,
    summary: "the file cannot be read as its kind",
    doc: "\
What it checks: the file parses as the kind detected (or given with --kind): valid JSON or
YAML, AppArmor statements that end with commas and balanced braces, `owner:start:count`
lines, UTF-8 text.

Why it matters: Docker, runc and apparmor_parser refuse such a file, so the container does
not start; and no other rule can check it.

Example:
    bad:  {\"defaultAction\": \"SCMP_ACT_ERRNO\",,}
    good: {\"defaultAction\": \"SCMP_ACT_ERRNO\"}",
};
