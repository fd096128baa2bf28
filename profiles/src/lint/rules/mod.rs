//! Every lint rule, one file each, grouped by the artifact it reads. The
//! tables below are the registry: `cinch explain`, SARIF's rule list and the
//! meta-test read them.

pub mod apparmor;
pub mod dockerfile;
pub mod general;
pub mod oci;
pub mod run;
pub mod seccomp;
pub mod userns;

use super::finding::Rule;

/// Every rule, sorted by ID.
pub fn all() -> Vec<&'static Rule> {
    let mut rules: Vec<&'static Rule> = vec![
        &general::unparsable::RULE,
        &general::bad_suppression::RULE,
        &general::missing_reference::RULE,
        &general::not_read::RULE,
        &apparmor::does_not_compile::RULE,
        &userns::remap_user_without_range::RULE,
    ];
    rules.extend(seccomp::RULES.iter().map(|(r, _)| *r));
    rules.extend(oci::RULES.iter().map(|(r, _)| *r));
    rules.extend(apparmor::RULES.iter().map(|(r, _)| *r));
    rules.extend(userns::DAEMON_RULES.iter().map(|(r, _)| *r));
    rules.extend(userns::SUBID_RULES.iter().map(|(r, _)| *r));
    rules.extend(dockerfile::RULES.iter().map(|(r, _)| *r));
    rules.extend(run::RULES.iter().map(|(r, _)| *r));
    rules.sort_by_key(|r| r.id);
    rules
}

/// The rule with this ID (any case).
pub fn find(id: &str) -> Option<&'static Rule> {
    all().into_iter().find(|r| r.id.eq_ignore_ascii_case(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_and_names_are_unique_and_documented() {
        let rules = all();
        let ids: BTreeSet<&str> = rules.iter().map(|r| r.id).collect();
        let names: BTreeSet<&str> = rules.iter().map(|r| r.name).collect();
        assert_eq!(ids.len(), rules.len(), "duplicate rule IDs");
        assert_eq!(names.len(), rules.len(), "duplicate rule names");
        for rule in rules {
            for part in ["What it checks:", "Why it matters:", "Example:"] {
                assert!(rule.doc.contains(part), "{}: the doc lacks {part:?}", rule.id);
            }
            assert!(!rule.summary.is_empty() && !rule.summary.ends_with('.'), "{}: summary", rule.id);
        }
    }
}
