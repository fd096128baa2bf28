//! The seccomp profile model: Docker's JSON schema, which is also what the
//! OCI runtime spec's `linux.seccomp` and the security-profiles-operator use
//! (minus `archMap`). cinch reads any of them and writes Docker's.

use crate::arch::Arch;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A seccomp profile in Docker's JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Profile {
    pub default_action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_errno_ret: Option<u32>,
    /// Docker's form: each architecture with the ABIs that share its kernel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arch_map: Vec<ArchMap>,
    /// The OCI form: a flat list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listener_metadata: Option<String>,
    #[serde(default)]
    pub syscalls: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ArchMap {
    pub architecture: String,
    /// Docker's own default profile writes `null` here.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub sub_architectures: Vec<String>,
}

/// One entry of `syscalls`: these names get this action when every argument
/// condition holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub names: Vec<String>,
    /// Docker's older single-name form; read, never written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub action: Action,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errno_ret: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub args: Vec<Arg>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub comment: String,
    /// Docker only: the rule applies only with these capabilities, arches or kernel.
    #[serde(default, skip_serializing_if = "Filter::is_empty")]
    pub includes: Filter,
    /// Docker only: the rule does not apply with these.
    #[serde(default, skip_serializing_if = "Filter::is_empty")]
    pub excludes: Filter,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Filter {
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub arches: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty", deserialize_with = "null_as_empty")]
    pub caps: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_kernel: Option<String>,
}

impl Rule {
    /// The syscall names of the rule, in either form (the list, then the old single `name`).
    pub fn all_names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str).chain(self.name.as_deref())
    }
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.arches.is_empty() && self.caps.is_empty() && self.min_kernel.is_none()
    }
}

/// What Docker weighs a rule's `includes` and `excludes` against: the
/// architecture, the container's capabilities and the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleEnv {
    pub arch: crate::Arch,
    /// Bounding-set capabilities, `CAP_`-prefixed upper case (`CAP_SYS_ADMIN`).
    pub caps: Vec<String>,
    /// The kernel's major and minor version.
    pub kernel: (u32, u32),
}

impl RuleEnv {
    fn go_arch(&self) -> &'static str {
        go_arch(self.arch)
    }

    fn has_cap(&self, cap: &str) -> bool {
        let upper = cap.to_ascii_uppercase();
        let named = if upper.starts_with("CAP_") { upper } else { format!("CAP_{upper}") };
        self.caps.contains(&named)
    }

    fn kernel_at_least(&self, version: &str) -> bool {
        parse_kernel(version).is_some_and(|min| self.kernel >= min)
    }
}

/// `major.minor` of a kernel release (`6.18.0-1-amd64` -> (6, 18)).
pub fn parse_kernel(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next().unwrap_or("0").parse().unwrap_or(0)))
}

impl Rule {
    /// Whether Docker applies this rule in `env` (moby's profile loading):
    /// skipped if an excluded arch matches, any excluded capability is held or
    /// the kernel is at least the excluded version; kept only if an included
    /// arch matches, every included capability is held and the kernel is at
    /// least the included version.
    pub fn applies(&self, env: &RuleEnv) -> bool {
        let (ex, inc) = (&self.excludes, &self.includes);
        let excluded = ex.arches.iter().any(|a| a == env.go_arch())
            || ex.caps.iter().any(|c| env.has_cap(c))
            || ex.min_kernel.as_deref().is_some_and(|k| env.kernel_at_least(k));
        let included = (inc.arches.is_empty() || inc.arches.iter().any(|a| a == env.go_arch()))
            && inc.caps.iter().all(|c| env.has_cap(c))
            && inc.min_kernel.as_deref().is_none_or(|k| env.kernel_at_least(k));
        !excluded && included
    }

    /// The rule's conditions as runc applies them: all in one set (ANDed),
    /// or, when two name the same argument (libseccomp cannot AND those),
    /// each a set of its own (ORed).
    pub fn condition_sets(&self) -> Vec<Vec<Arg>> {
        let repeated = self.args.iter().enumerate().any(|(i, a)| self.args[..i].iter().any(|b| b.index == a.index));
        if repeated {
            self.args.iter().map(|a| vec![*a]).collect()
        } else {
            vec![self.args.clone()]
        }
    }
}

/// A condition on one syscall argument (the register value, 64 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Arg {
    pub index: u32,
    pub value: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub value_two: u64,
    pub op: Op,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = "SCMP_CMP_NE")]
    NotEqual,
    #[serde(rename = "SCMP_CMP_LT")]
    LessThan,
    #[serde(rename = "SCMP_CMP_LE")]
    LessOrEqual,
    #[serde(rename = "SCMP_CMP_EQ")]
    Equal,
    #[serde(rename = "SCMP_CMP_GE")]
    GreaterOrEqual,
    #[serde(rename = "SCMP_CMP_GT")]
    GreaterThan,
    /// `(arg & value) == valueTwo`
    #[serde(rename = "SCMP_CMP_MASKED_EQ")]
    MaskedEqual,
}

/// What the kernel does with a matching syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Action {
    #[serde(rename = "SCMP_ACT_KILL")]
    Kill,
    #[serde(rename = "SCMP_ACT_KILL_PROCESS")]
    KillProcess,
    #[serde(rename = "SCMP_ACT_KILL_THREAD")]
    KillThread,
    #[serde(rename = "SCMP_ACT_TRAP")]
    Trap,
    #[serde(rename = "SCMP_ACT_ERRNO")]
    Errno,
    #[serde(rename = "SCMP_ACT_TRACE")]
    Trace,
    #[serde(rename = "SCMP_ACT_NOTIFY")]
    Notify,
    #[serde(rename = "SCMP_ACT_LOG")]
    Log,
    #[serde(rename = "SCMP_ACT_ALLOW")]
    Allow,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Kill => "SCMP_ACT_KILL",
            Action::KillProcess => "SCMP_ACT_KILL_PROCESS",
            Action::KillThread => "SCMP_ACT_KILL_THREAD",
            Action::Trap => "SCMP_ACT_TRAP",
            Action::Errno => "SCMP_ACT_ERRNO",
            Action::Trace => "SCMP_ACT_TRACE",
            Action::Notify => "SCMP_ACT_NOTIFY",
            Action::Log => "SCMP_ACT_LOG",
            Action::Allow => "SCMP_ACT_ALLOW",
        }
    }

    /// Whether the syscall goes ahead (possibly logged).
    pub fn lets_through(self) -> bool {
        matches!(self, Action::Allow | Action::Log)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let i = self.index;
        match self.op {
            Op::MaskedEqual => write!(f, "arg{i} & {:#x} == {:#x}", self.value, self.value_two),
            op => {
                let symbol = match op {
                    Op::NotEqual => "!=",
                    Op::LessThan => "<",
                    Op::LessOrEqual => "<=",
                    Op::Equal => "==",
                    Op::GreaterOrEqual => ">=",
                    _ => ">",
                };
                write!(f, "arg{i} {symbol} {}", self.value)
            }
        }
    }
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// libseccomp's name for an architecture (`SCMP_ARCH_X86_64`).
pub fn scmp_arch(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "SCMP_ARCH_X86_64",
        Arch::Aarch64 => "SCMP_ARCH_AARCH64",
    }
}

/// Go's name of the architecture, which Docker's `includes.arches` use.
pub fn go_arch(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "amd64",
        Arch::Aarch64 => "arm64",
    }
}

/// The architecture cinch knows for Go's name of it, if any.
pub fn arch_of_go(name: &str) -> Option<Arch> {
    Arch::ALL.into_iter().find(|a| go_arch(*a) == name)
}

/// The architecture cinch knows for a libseccomp name, if any.
pub fn arch_of_scmp(name: &str) -> Option<Arch> {
    Arch::ALL.into_iter().find(|a| scmp_arch(*a) == name)
}

impl Profile {
    /// Every architecture the profile names, main and sub.
    pub fn arch_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .arch_map
            .iter()
            .flat_map(|m| {
                std::iter::once(m.architecture.as_str()).chain(m.sub_architectures.iter().map(String::as_str))
            })
            .chain(self.architectures.iter().map(String::as_str))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The canonical text: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a profile serializes");
        text.push('\n');
        text
    }
}
