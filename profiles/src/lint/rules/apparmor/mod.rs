//! AppArmor profile rules. Each reads the profile's statements; AA009
//! (does-not-compile) is run by the caller, who can run apparmor_parser.

pub mod all_capabilities;
pub mod all_files;
pub mod change_profile_unconfined;
pub mod complain_or_unconfined;
pub mod dangerous_capability;
pub mod does_not_compile;
pub mod missing_protective_deny;
pub mod ptrace_without_peer;
pub mod unconfined_exec;
pub mod write_everything;

use crate::lint::finding::{Check, Rule};
use crate::lint::parse::apparmor::{Rule as AaRule, Statement};

pub type AppArmorRule = (&'static Rule, fn(&[Statement], &mut Check));

pub static RULES: &[AppArmorRule] = &[
    (&complain_or_unconfined::RULE, complain_or_unconfined::check),
    (&unconfined_exec::RULE, unconfined_exec::check),
    (&change_profile_unconfined::RULE, change_profile_unconfined::check),
    (&missing_protective_deny::RULE, missing_protective_deny::check),
    (&dangerous_capability::RULE, dangerous_capability::check),
    (&ptrace_without_peer::RULE, ptrace_without_peer::check),
    (&write_everything::RULE, write_everything::check),
    (&all_files::RULE, all_files::check),
    (&all_capabilities::RULE, all_capabilities::check),
];

/// The allow rules (not `deny`).
pub fn allows(statements: &[Statement]) -> impl Iterator<Item = &AaRule> {
    statements.iter().filter_map(|s| match s {
        Statement::Rule(rule) if !rule.deny => Some(rule),
        _ => None,
    })
}

pub fn denies(statements: &[Statement]) -> impl Iterator<Item = &AaRule> {
    statements.iter().filter_map(|s| match s {
        Statement::Rule(rule) if rule.deny => Some(rule),
        _ => None,
    })
}

/// A path that matches every file (`/**` and its spellings).
pub fn is_everything(path: &str) -> bool {
    let path = path.trim_matches('"');
    matches!(path, "/**" | "/{,**}" | "/{**,}" | "**" | "/*/**" | "@{ROOT}/**")
}

/// Permissions that write (w) or append (a).
pub fn writes(perms: &str) -> bool {
    perms.contains('w') || perms.contains('a')
}
