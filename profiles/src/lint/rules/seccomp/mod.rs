//! Seccomp profile rules (Docker's JSON; also the `linux.seccomp` of an OCI
//! config). Each rule reads the profile's JSON tree.

pub mod dangerous_syscall;
pub mod errno_ret_misplaced;
pub mod or_split;
pub mod permissive_default;
pub mod ptrace_allowed;
pub mod socket_any_family;
pub mod unknown_action;
pub mod unknown_syscall;

use crate::lint::finding::{Check, Pos, Rule};
use crate::lint::parse::tree::{Member, Node};
use std::str::FromStr;

pub type SeccompRule = (&'static Rule, fn(&Node, &mut Check));

pub static RULES: &[SeccompRule] = &[
    (&permissive_default::RULE, permissive_default::check),
    (&dangerous_syscall::RULE, dangerous_syscall::check),
    (&ptrace_allowed::RULE, ptrace_allowed::check),
    (&socket_any_family::RULE, socket_any_family::check),
    (&unknown_syscall::RULE, unknown_syscall::check),
    (&unknown_action::RULE, unknown_action::check),
    (&errno_ret_misplaced::RULE, errno_ret_misplaced::check),
    (&or_split::RULE, or_split::check),
];

/// The actions libseccomp and runc know.
pub const ACTIONS: &[&str] = &[
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRACE",
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_LOG",
    "SCMP_ACT_NOTIFY",
];

/// Comparison operators of argument conditions.
pub const OPERATORS: &[&str] =
    &["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"];

/// Whether a call meeting `action` runs (LOG runs it too, and logs).
pub fn allows(action: &str) -> bool {
    matches!(action, "SCMP_ACT_ALLOW" | "SCMP_ACT_LOG")
}

/// One entry of `syscalls`.
pub struct Entry<'a> {
    pub node: &'a Node,
    /// `names` (or the old single `name`), with positions.
    pub names: Vec<(&'a str, Pos)>,
    pub action: Option<&'a Node>,
    pub errno_ret: Option<&'a Member>,
    pub args: &'a [Node],
    /// Applies only to containers given a capability (`includes.caps`):
    /// that capability is the risk, and the capability rules judge it.
    pub needs_capability: bool,
}

impl Entry<'_> {
    pub fn action_str(&self) -> &str {
        self.action.and_then(Node::as_str).unwrap_or("")
    }

    /// Allows its calls with no condition on the arguments that filters
    /// anything: none, conditions that every value meets (`arg0 >= 0`,
    /// `MASKED_EQ 0, 0`), or, where runc ORs them (two conditions on one
    /// argument), one such condition.
    pub fn allows_unfiltered(&self) -> bool {
        if !allows(self.action_str()) || self.needs_capability {
            return false;
        }
        let indices: Vec<Option<u64>> = self.args.iter().map(|a| a.get("index").and_then(Node::as_u64)).collect();
        let ored = indices.iter().enumerate().any(|(i, index)| index.is_some() && indices[..i].contains(index));
        if ored {
            self.args.iter().any(always_true)
        } else {
            self.args.iter().all(always_true)
        }
    }
}

/// Whether every argument value meets this condition (comparisons are of
/// unsigned 64-bit values, as libseccomp makes them).
pub fn always_true(condition: &Node) -> bool {
    let value = condition.get("value").and_then(Node::as_u64);
    let value_two = condition.get("valueTwo").and_then(Node::as_u64).unwrap_or(0);
    match (condition.get("op").and_then(Node::as_str), value) {
        (Some("SCMP_CMP_GE"), Some(0)) | (Some("SCMP_CMP_LE"), Some(u64::MAX)) => true,
        (Some("SCMP_CMP_MASKED_EQ"), Some(0)) => value_two == 0,
        _ => false,
    }
}

pub fn entries(profile: &Node) -> Vec<Entry<'_>> {
    let Some(syscalls) = profile.get("syscalls") else { return Vec::new() };
    syscalls
        .items()
        .iter()
        .map(|node| {
            let mut names = node.get("names").map(Node::strings).unwrap_or_default();
            if let Some(name) = node.get("name").and_then(|n| Some((n.as_str()?, n.pos))) {
                names.push(name);
            }
            let caps = node.at(&["includes", "caps"]).map(Node::items).unwrap_or_default();
            Entry {
                node,
                names,
                action: node.get("action"),
                errno_ret: node.member("errnoRet"),
                args: node.get("args").map(Node::items).unwrap_or_default(),
                needs_capability: !caps.is_empty(),
            }
        })
        .collect()
}

/// libseccomp's names that are no entry of a kernel table (ARM's private
/// calls, and a few it resolves itself).
const PSEUDO_SYSCALLS: &[&str] =
    &["breakpoint", "cacheflush", "set_tls", "usr26", "usr32", "arm_sync_file_range", "arm_fadvise64_64"];

/// Whether `name` is a syscall of any architecture Docker profiles list.
pub fn known_syscall(name: &str) -> bool {
    use syscalls::*;
    PSEUDO_SYSCALLS.contains(&name)
        || x86_64::Sysno::from_str(name).is_ok()
        || x86::Sysno::from_str(name).is_ok()
        || aarch64::Sysno::from_str(name).is_ok()
        || arm::Sysno::from_str(name).is_ok()
        || riscv64::Sysno::from_str(name).is_ok()
        || s390x::Sysno::from_str(name).is_ok()
        || powerpc64::Sysno::from_str(name).is_ok()
        || powerpc::Sysno::from_str(name).is_ok()
        || mips::Sysno::from_str(name).is_ok()
        || mips64::Sysno::from_str(name).is_ok()
        || loongarch64::Sysno::from_str(name).is_ok()
        || sparc64::Sysno::from_str(name).is_ok()
}
