//! What one profile allows that another does not: per syscall, the rules
//! (action and argument conditions) present in one and not in the other.
//! For CI: a profile that silently grows is a regression to review.

use super::profile::{Action, Arg, Filter, Profile};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One way a syscall may be treated: the action, its errno, and the
/// conditions (arguments, Docker's includes/excludes) under which it applies.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Treatment {
    pub action: Action,
    pub errno: Option<u32>,
    pub args: Vec<Arg>,
    pub includes: Filter,
    pub excludes: Filter,
}

/// The differences between profiles `a` and `b`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// (old, new) default action and errno, if they differ.
    pub default_action: Option<(String, String)>,
    /// (old, new) architecture lists, if they differ.
    pub arches: Option<(Vec<String>, Vec<String>)>,
    /// Treatments only `b` has, by syscall.
    pub added: BTreeMap<String, BTreeSet<Treatment>>,
    /// Treatments only `a` has, by syscall.
    pub removed: BTreeMap<String, BTreeSet<Treatment>>,
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.default_action.is_none() && self.arches.is_none() && self.added.is_empty() && self.removed.is_empty()
    }
}

pub fn diff(a: &Profile, b: &Profile) -> Diff {
    let default = |p: &Profile| match p.default_errno_ret {
        Some(errno) => format!("{} (errno {errno})", p.default_action),
        None => p.default_action.to_string(),
    };
    let (ta, tb) = (treatments(a), treatments(b));
    let arches = |p: &Profile| p.arch_names().into_iter().map(str::to_string).collect::<Vec<_>>();
    Diff {
        default_action: (default(a) != default(b)).then(|| (default(a), default(b))),
        arches: (arches(a) != arches(b)).then(|| (arches(a), arches(b))),
        added: only_in(&tb, &ta),
        removed: only_in(&ta, &tb),
    }
}

fn treatments(profile: &Profile) -> BTreeMap<String, BTreeSet<Treatment>> {
    let mut out: BTreeMap<String, BTreeSet<Treatment>> = BTreeMap::new();
    for rule in &profile.syscalls {
        let mut args = rule.args.clone();
        args.sort();
        let treatment = Treatment {
            action: rule.action,
            errno: rule.errno_ret,
            args,
            includes: rule.includes.clone(),
            excludes: rule.excludes.clone(),
        };
        for name in rule.all_names() {
            out.entry(name.to_string()).or_default().insert(treatment.clone());
        }
    }
    out
}

fn only_in(
    x: &BTreeMap<String, BTreeSet<Treatment>>,
    y: &BTreeMap<String, BTreeSet<Treatment>>,
) -> BTreeMap<String, BTreeSet<Treatment>> {
    let mut out = BTreeMap::new();
    for (name, set) in x {
        let missing: BTreeSet<Treatment> = match y.get(name) {
            Some(other) => set.difference(other).cloned().collect(),
            None => set.clone(),
        };
        if !missing.is_empty() {
            out.insert(name.clone(), missing);
        }
    }
    out
}

impl fmt::Display for Treatment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.action, self.errno) {
            (Action::Errno, Some(errno)) => write!(f, "errno {errno}")?,
            (Action::Allow, _) => f.write_str("allow")?,
            (action, _) => write!(f, "{action}")?,
        }
        if self.args.is_empty() && self.action == Action::Allow {
            f.write_str(" (any arguments)")?;
        }
        let conditions: Vec<String> = self.args.iter().map(Arg::to_string).collect();
        if !conditions.is_empty() {
            write!(f, " if {}", conditions.join(" and "))?;
        }
        if !self.includes.caps.is_empty() {
            write!(f, " with {}", self.includes.caps.join(", "))?;
        }
        if !self.excludes.caps.is_empty() {
            write!(f, " without {}", self.excludes.caps.join(", "))?;
        }
        if !self.includes.arches.is_empty() {
            write!(f, " on {}", self.includes.arches.join(", "))?;
        }
        if !self.excludes.arches.is_empty() {
            write!(f, " except on {}", self.excludes.arches.join(", "))?;
        }
        if let Some(kernel) = &self.includes.min_kernel {
            write!(f, " from kernel {kernel}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::load;

    const A: &str = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
        "syscalls":[{"names":["read","write"],"action":"SCMP_ACT_ALLOW"},
                    {"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]}]}"#;

    #[test]
    fn a_profile_equals_itself_whatever_the_rule_order() {
        let reordered = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
            "syscalls":[{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"}]},
                        {"names":["write"],"action":"SCMP_ACT_ALLOW"},{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}"#;
        assert!(diff(&load(A).unwrap(), &load(reordered).unwrap()).is_empty());
    }

    #[test]
    fn growth_is_reported_both_ways() {
        let grown = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,
            "syscalls":[{"names":["read","write","ptrace"],"action":"SCMP_ACT_ALLOW"},
                        {"names":["socket"],"action":"SCMP_ACT_ALLOW"}]}"#;
        let d = diff(&load(A).unwrap(), &load(grown).unwrap());
        assert_eq!(d.added.keys().collect::<Vec<_>>(), ["ptrace", "socket"]);
        assert_eq!(d.removed.keys().collect::<Vec<_>>(), ["socket"]);
        assert_eq!(d.added["socket"].iter().next().unwrap().to_string(), "allow (any arguments)");
        assert_eq!(d.removed["socket"].iter().next().unwrap().to_string(), "allow if arg0 == 2");
    }
}
