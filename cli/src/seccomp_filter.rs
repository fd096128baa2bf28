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

pub fn compile(profile: &Profile, arch: Arch) -> Result<Compiled> {
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
    for rule in &profile.syscalls {
        if !rule.includes.is_empty() || !rule.excludes.is_empty() {
            notes.push(
                format!(
                    "skipped a rule for {} that depends on Docker capabilities, arches or kernel version",
                    rule.all_names().collect::<Vec<_>>().join(", ")
                )
                .into(),
            );
            continue;
        }
        let what = action(rule.action, rule.errno_ret)?;
        let conditions = rule
            .args
            .iter()
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
            .collect::<Result<Vec<_>>>()?;
        let group = &mut groups.entry(format!("{what:?}")).or_insert_with(|| (what.clone(), Rules::default())).1;
        for name in rule.all_names() {
            let Some(nr) = arch.syscall_number(name) else {
                if Arch::ALL.iter().all(|a| a.syscall_number(name).is_none()) {
                    bail!("{name:?} is not a syscall on any architecture cinch knows");
                }
                elsewhere += 1;
                continue;
            };
            group.add(i64::from(nr), &conditions)?;
            every.add(i64::from(nr), &conditions)?;
        }
    }
    if elsewhere > 0 {
        notes.push(format!("{elsewhere} syscall names exist only on other architectures and were ignored").into());
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
