//! AA010 all-capabilities.

use super::allows;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::apparmor::Statement;

pub static RULE: Rule = Rule {
    id: "AA010",
    name: "all-capabilities",
    group: Group::Apparmor,
    severity: Severity::Warning,
    summary: "a bare `capability,` rule allows every capability",
    doc: "\
What it checks: a `capability` rule without names.

Why it matters: AppArmor then leaves capabilities entirely to the container's capability
set; one `--cap-add` too many goes through unchecked. Docker's docker-default does this to stay
generic; a profile for one workload can name the few it uses (often none).

Example:
    bad:  capability,
    good: capability net_bind_service,",
};

pub fn check(statements: &[Statement], c: &mut Check) {
    for rule in allows(statements) {
        if rule.keyword() == "capability" && rule.words.len() == 1 {
            c.report(&RULE, rule.pos, "capability without names allows every capability");
        }
    }
}
