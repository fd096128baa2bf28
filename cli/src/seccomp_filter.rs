//! Compiles a seccomp profile (Docker/OCI JSON) into classic BPF filters for
//! the running architecture, with seccompiler, for `cinch run`.
//!
//! seccompiler gives every matching rule of a filter the same action, so the
//! profile becomes a stack of filters: first the allowlist (default action
//! when nothing matches), then one filter per other action (that action when
//! it matches, allow otherwise). The kernel runs them all and keeps the most
//! severe answer, and among equally severe ones (two errnos) that of the
//! filter installed last: the specific rule beats the default, as in libseccomp.

use anyhow::{bail, Context, Result};
use cinch_profiles::seccomp::{Action, Op, Profile};
use cinch_profiles::Arch;
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter, SeccompRule,
    TargetArch,
};
use std::collections::BTreeMap;

/// The filters to install, in order, and notes for the user.
pub struct Compiled {
    pub programs: Vec<BpfProgram>,
    pub notes: Vec<String>,
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

    // Rules grouped by what they do.
    let mut groups: BTreeMap<String, (SeccompAction, BTreeMap<i64, Vec<SeccompRule>>)> = BTreeMap::new();
    let mut unconditional: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut elsewhere = 0;
    for rule in &profile.syscalls {
        if !rule.includes.is_empty() || !rule.excludes.is_empty() {
            notes.push(format!(
                "skipped a rule for {} that depends on Docker capabilities, arches or kernel version",
                rule.all_names().collect::<Vec<_>>().join(", ")
            ));
            continue;
        }
        let what = action(rule.action, rule.errno_ret)?;
        let key = format!("{what:?}");
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
        let group = &mut groups.entry(key.clone()).or_insert_with(|| (what.clone(), BTreeMap::new())).1;
        for name in rule.all_names() {
            let Some(nr) = arch.syscall_number(name) else {
                if Arch::ALL.iter().all(|a| a.syscall_number(name).is_none()) {
                    bail!("{name:?} is not a syscall on any architecture cinch knows");
                }
                elsewhere += 1;
                continue;
            };
            let nr = i64::from(nr);
            if conditions.is_empty() {
                unconditional.entry(key.clone()).or_default().push(nr);
                group.insert(nr, vec![]);
            } else if !unconditional.get(&key).is_some_and(|u| u.contains(&nr)) {
                group.entry(nr).or_default().push(SeccompRule::new(conditions.clone()).context("bad rule")?);
            }
        }
    }
    if elsewhere > 0 {
        notes.push(format!("{elsewhere} syscall names exist only on other architectures and were ignored"));
    }

    let mut programs = Vec::new();
    let lets_through = profile.default_action.lets_through();
    // The allowlist first.
    let allow_key = format!("{:?}", SeccompAction::Allow);
    if !lets_through {
        let rules = groups.get(&allow_key).map(|(_, r)| r.clone()).unwrap_or_default();
        programs.push(build(rules, default.clone(), SeccompAction::Allow, target)?);
    }
    for (key, (what, rules)) in groups {
        if key == allow_key || rules.is_empty() {
            continue;
        }
        programs.push(build(rules, SeccompAction::Allow, what, target)?);
    }
    if programs.is_empty() {
        bail!("the profile allows everything: there is nothing to enforce");
    }
    Ok(Compiled { programs, notes })
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
