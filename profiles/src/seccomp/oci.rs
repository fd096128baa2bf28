//! The OCI runtime spec form: the `linux.seccomp` object of a config.json,
//! built with the oci-spec crate's types so that it is what runc, crun and
//! youki read.

use super::profile::{Action, Op, Profile};
use super::SeccompError;
use oci_spec::runtime::{
    Arch, LinuxSeccomp, LinuxSeccompAction, LinuxSeccompArgBuilder, LinuxSeccompBuilder, LinuxSeccompOperator,
    LinuxSyscallBuilder,
};

/// Converts a profile; `archMap` becomes the flat `architectures` list.
pub fn to_oci(profile: &Profile) -> Result<LinuxSeccomp, SeccompError> {
    let oci = |e: oci_spec::OciSpecError| SeccompError::Oci(e);
    let mut architectures = Vec::new();
    for name in profile.arch_names() {
        architectures.push(oci_arch(name).ok_or_else(|| SeccompError::UnknownArch { arch: name.to_string() })?);
    }
    let mut syscalls = Vec::new();
    for rule in &profile.syscalls {
        // Capability and kernel conditions are Docker's; the OCI form has
        // none. A rule limited to some architectures is kept: its names are
        // calls of those only, which the runtime's libseccomp ignores on the
        // others (a name both have widens the others by it).
        let arches_only = rule.includes.caps.is_empty() && rule.includes.min_kernel.is_none();
        if !arches_only || !rule.excludes.is_empty() {
            continue;
        }
        let mut args = Vec::new();
        for arg in &rule.args {
            args.push(
                LinuxSeccompArgBuilder::default()
                    .index(arg.index as usize)
                    .value(arg.value)
                    .value_two(arg.value_two)
                    .op(oci_op(arg.op))
                    .build()
                    .map_err(oci)?,
            );
        }
        let mut syscall = LinuxSyscallBuilder::default();
        syscall =
            syscall.names(rule.all_names().map(str::to_string).collect::<Vec<_>>()).action(oci_action(rule.action));
        if let Some(errno) = rule.errno_ret {
            syscall = syscall.errno_ret(errno);
        }
        if !args.is_empty() {
            syscall = syscall.args(args);
        }
        syscalls.push(syscall.build().map_err(oci)?);
    }
    let mut seccomp = LinuxSeccompBuilder::default()
        .default_action(oci_action(profile.default_action))
        .architectures(architectures)
        .syscalls(syscalls);
    if let Some(errno) = profile.default_errno_ret {
        seccomp = seccomp.default_errno_ret(errno);
    }
    seccomp.build().map_err(oci)
}

/// The canonical text: pretty JSON with a final newline.
pub fn to_json(seccomp: &LinuxSeccomp) -> String {
    let mut text = serde_json::to_string_pretty(seccomp).expect("an OCI seccomp object serializes");
    text.push('\n');
    text
}

fn oci_action(action: Action) -> LinuxSeccompAction {
    match action {
        Action::Kill => LinuxSeccompAction::ScmpActKill,
        Action::KillProcess => LinuxSeccompAction::ScmpActKillProcess,
        Action::KillThread => LinuxSeccompAction::ScmpActKillThread,
        Action::Trap => LinuxSeccompAction::ScmpActTrap,
        Action::Errno => LinuxSeccompAction::ScmpActErrno,
        Action::Trace => LinuxSeccompAction::ScmpActTrace,
        Action::Notify => LinuxSeccompAction::ScmpActNotify,
        Action::Log => LinuxSeccompAction::ScmpActLog,
        Action::Allow => LinuxSeccompAction::ScmpActAllow,
    }
}

fn oci_op(op: Op) -> LinuxSeccompOperator {
    match op {
        Op::NotEqual => LinuxSeccompOperator::ScmpCmpNe,
        Op::LessThan => LinuxSeccompOperator::ScmpCmpLt,
        Op::LessOrEqual => LinuxSeccompOperator::ScmpCmpLe,
        Op::Equal => LinuxSeccompOperator::ScmpCmpEq,
        Op::GreaterOrEqual => LinuxSeccompOperator::ScmpCmpGe,
        Op::GreaterThan => LinuxSeccompOperator::ScmpCmpGt,
        Op::MaskedEqual => LinuxSeccompOperator::ScmpCmpMaskedEq,
    }
}

fn oci_arch(name: &str) -> Option<Arch> {
    Some(match name {
        "SCMP_ARCH_X86_64" => Arch::ScmpArchX86_64,
        "SCMP_ARCH_X86" => Arch::ScmpArchX86,
        "SCMP_ARCH_X32" => Arch::ScmpArchX32,
        "SCMP_ARCH_AARCH64" => Arch::ScmpArchAarch64,
        "SCMP_ARCH_ARM" => Arch::ScmpArchArm,
        _ => return None,
    })
}
