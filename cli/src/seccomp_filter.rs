//! Compiles a seccomp profile (Docker/OCI JSON) into classic BPF filters for
//! the running architecture, with seccompiler, for `cinch run`.
//!
//! seccompiler gives every matching rule of a filter the same action, so the
//! profile becomes a stack of filters: one per action other than allow (that
//! action when a rule matches, allow otherwise), then, last, the allowlist:
//! every rule of the profile lets its syscall through, anything else gets
//! the default action. The kernel runs them all and keeps the most severe
//! answer, so `clone3 -> ENOSYS` wins over the allowlist's "let through",
//! and a syscall no rule names gets the default. The allowlist goes last
//! because installing a filter takes prctl and seccomp, which it denies.

use anyhow::{bail, Context, Result};
use cinch_profiles::seccomp::profile::RuleEnv;
use cinch_profiles::seccomp::{Action, Op, Profile};
use cinch_profiles::Arch;
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule, TargetArch,
};
use std::collections::BTreeMap;

/// The filters to install, in order, and notes for the user.
pub struct Compiled {
    pub programs: Vec<BpfProgram>,
    pub notes: Vec<cinch_profiles::Note>,
}

/// This process's [`RuleEnv`]: the command `cinch run` starts keeps cinch's
/// bounding capabilities, on this kernel.
pub fn rule_env(arch: Arch) -> Result<RuleEnv> {
    rule_env_of("self", arch)
}

/// The [`RuleEnv`] of process `pid` (`self` for this one): its bounding
/// capabilities, on this kernel. For a container's first process, what Docker
/// weighed its profile's rules against.
pub fn rule_env_of(pid: &str, arch: Arch) -> Result<RuleEnv> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).with_context(|| format!("cannot read {path}"))?;
    let bounding = status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .with_context(|| format!("{path} has no CapBnd"))?;
    let caps = cinch_profiles::apparmor::CAPABILITIES
        .iter()
        .enumerate()
        .filter(|(bit, _)| bounding & (1 << bit) != 0)
        .map(|(_, name)| format!("CAP_{}", name.to_ascii_uppercase()))
        .collect();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let kernel = cinch_profiles::seccomp::profile::parse_kernel(&release).unwrap_or((0, 0));
    Ok(RuleEnv { arch, caps, kernel })
}

/// Compiles `profile` as Docker would load it in `env`: rules whose
/// `includes`/`excludes` do not hold there are left out, and conditions on
/// one argument are ORed, as runc does.
pub fn compile(profile: &Profile, env: &RuleEnv) -> Result<Compiled> {
    let arch = env.arch;
    let target = match arch {
        Arch::X86_64 => TargetArch::x86_64,
        Arch::Aarch64 => TargetArch::aarch64,
    };
    let arches = profile.arch_names();
    if !arches.is_empty() && !arches.contains(&cinch_profiles::seccomp::profile::scmp_arch(arch)) {
        bail!("the profile is for {} only, not for this machine's {arch}", arches.join(", "));
    }
    let mut notes = Vec::new();
    let default = action(profile.default_action, profile.default_errno_ret)?;

    // Rules grouped by what they do; `every` lets through what any rule names.
    let mut groups: BTreeMap<String, (SeccompAction, Rules)> = BTreeMap::new();
    let mut every = Rules::default();
    let mut elsewhere = 0;
    for rule in profile.syscalls.iter().filter(|rule| rule.applies(env)) {
        let what = action(rule.action, rule.errno_ret)?;
        let condition_sets = rule.condition_sets().iter().map(|set| conditions(set)).collect::<Result<Vec<_>>>()?;
        let group = &mut groups.entry(format!("{what:?}")).or_insert_with(|| (what.clone(), Rules::default())).1;
        for name in rule.all_names() {
            let Some(nr) = arch.syscall_number(name) else {
                if Arch::ALL.iter().all(|a| a.syscall_number(name).is_none()) {
                    bail!("{name:?} is not a syscall on any architecture cinch knows");
                }
                elsewhere += 1;
                continue;
            };
            for conditions in &condition_sets {
                group.add(i64::from(nr), conditions)?;
                every.add(i64::from(nr), conditions)?;
            }
        }
    }
    if elsewhere > 0 {
        notes.push(format!("{elsewhere} syscall names exist only on other architectures and were ignored").into());
    }
    let execve = i64::from(arch.syscall_number("execve").expect("every architecture has execve"));
    let denied_outright = groups.values().any(|(what, rules)| {
        *what != SeccompAction::Allow
            && *what != SeccompAction::Log
            && rules.by_syscall.get(&execve).is_some_and(Vec::is_empty)
    });
    if denied_outright || (!profile.default_action.lets_through() && !every.by_syscall.contains_key(&execve)) {
        bail!("the profile does not allow execve, so no command can start under it");
    }

    let mut programs = Vec::new();
    for (what, rules) in groups.into_values() {
        if what != SeccompAction::Allow && !rules.by_syscall.is_empty() {
            programs.push(build(rules.by_syscall, SeccompAction::Allow, what, target)?);
        }
    }
    if !profile.default_action.lets_through() {
        programs.push(build(every.by_syscall, default, SeccompAction::Allow, target)?);
    }
    if programs.is_empty() {
        bail!("the profile allows everything: there is nothing to enforce");
    }
    Ok(Compiled { programs, notes })
}

/// One set of argument conditions (ANDed), in seccompiler's terms.
fn conditions(args: &[cinch_profiles::seccomp::Arg]) -> Result<Vec<SeccompCondition>> {
    args.iter()
        .map(|arg| {
            let op = match arg.op {
                Op::NotEqual => SeccompCmpOp::Ne,
                Op::LessThan => SeccompCmpOp::Lt,
                Op::LessOrEqual => SeccompCmpOp::Le,
                Op::Equal => SeccompCmpOp::Eq,
                Op::GreaterOrEqual => SeccompCmpOp::Ge,
                Op::GreaterThan => SeccompCmpOp::Gt,
                Op::MaskedEqual => SeccompCmpOp::MaskedEq(arg.value),
            };
            let value = if arg.op == Op::MaskedEqual { arg.value_two } else { arg.value };
            let index = u8::try_from(arg.index).context("argument index out of range")?;
            SeccompCondition::new(index, SeccompCmpArgLen::Qword, op, value)
                .with_context(|| format!("bad condition {arg}"))
        })
        .collect()
}

/// Rules by syscall number; an empty list matches unconditionally.
#[derive(Default)]
struct Rules {
    by_syscall: BTreeMap<i64, Vec<SeccompRule>>,
}

impl Rules {
    fn add(&mut self, nr: i64, conditions: &[SeccompCondition]) -> Result<()> {
        let existing = self.by_syscall.get(&nr);
        if existing.is_some_and(Vec::is_empty) {
            return Ok(()); // already unconditional
        }
        if conditions.is_empty() {
            self.by_syscall.insert(nr, vec![]);
        } else {
            let rule = SeccompRule::new(conditions.to_vec()).context("bad rule")?;
            self.by_syscall.entry(nr).or_default().push(rule);
        }
        Ok(())
    }
}

fn build(
    rules: BTreeMap<i64, Vec<SeccompRule>>,
    mismatch: SeccompAction,
    matched: SeccompAction,
    target: TargetArch,
) -> Result<BpfProgram> {
    let filter = SeccompFilter::new(rules, mismatch, matched, target).context("cannot build the filter")?;
    BpfProgram::try_from(filter).context("cannot compile the filter")
}

fn action(action: Action, errno: Option<u32>) -> Result<SeccompAction> {
    Ok(match action {
        Action::Allow => SeccompAction::Allow,
        Action::Log => SeccompAction::Log,
        Action::Errno => SeccompAction::Errno(errno.unwrap_or(libc::EPERM as u32)),
        Action::Kill | Action::KillThread => SeccompAction::KillThread,
        Action::KillProcess => SeccompAction::KillProcess,
        Action::Trap => SeccompAction::Trap,
        Action::Trace => SeccompAction::Trace(errno.unwrap_or(0)),
        Action::Notify => bail!("SCMP_ACT_NOTIFY needs a supervisor listening on a socket; cinch run cannot apply it"),
    })
}
