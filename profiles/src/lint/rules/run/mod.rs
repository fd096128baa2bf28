//! Run-flag rules: `docker run` lines (in scripts and text) and compose
//! services, both read into a [`RunConfig`].

pub mod dangerous_cap_add;
pub mod device;
pub mod host_mount;
pub mod host_namespace;
pub mod no_cap_drop_all;
pub mod no_new_privileges;
pub mod port_all_addresses;
pub mod privileged;
pub mod unchecked_expansion;
pub mod unconfined_apparmor;
pub mod unconfined_seccomp;

use crate::lint::finding::{Check, Rule};
use crate::lint::run_config::RunConfig;

pub type RunRule = (&'static Rule, fn(&RunConfig, &mut Check));

pub static RULES: &[RunRule] = &[
    (&privileged::RULE, privileged::check),
    (&unconfined_seccomp::RULE, unconfined_seccomp::check),
    (&unconfined_apparmor::RULE, unconfined_apparmor::check),
    (&dangerous_cap_add::RULE, dangerous_cap_add::check),
    (&no_cap_drop_all::RULE, no_cap_drop_all::check),
    (&no_new_privileges::RULE, no_new_privileges::check),
    (&host_namespace::RULE, host_namespace::check),
    (&host_mount::RULE, host_mount::check),
    (&device::RULE, device::check),
    (&port_all_addresses::RULE, port_all_addresses::check),
    (&unchecked_expansion::RULE, unchecked_expansion::check),
];

/// Where `docker run` or the service is, for findings about what is missing.
pub fn security_opt<'a>(
    run: &'a RunConfig,
    prefix: &str,
) -> impl Iterator<Item = &'a (String, crate::lint::finding::Pos)> {
    let (eq, colon) = (format!("{prefix}="), format!("{prefix}:"));
    run.security_opts.iter().filter(move |(o, _)| o.starts_with(&eq) || o.starts_with(&colon))
}
