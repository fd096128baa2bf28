//! `cinch run`: apply a seccomp profile to a local command and exec it.

use crate::exec::Exec;
use crate::input::read_seccomp_profile;
use crate::output::print_notes;
use crate::seccomp_filter;
use anyhow::{bail, Context, Result};
use cinch_profiles::Arch;
use clap::Args;
use std::ffi::OsString;
use std::path::PathBuf;

/// Run a command under a seccomp profile (no container): for quick checks of
/// a generated profile and for tests.
///
/// The filter is installed right before the exec, so the command's first
/// instruction already runs under it; no-new-privileges is set, as the
/// kernel requires for an unprivileged caller. A syscall outside the profile
/// fails with the profile's errno (EPERM for cinch's profiles).
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch run --seccomp seccomp.json -- ./mascot-worker --listen 127.0.0.1:5001\n\n\
    Exit status: the command's; 2 if the profile cannot be read or applied.")]
pub struct RunArgs {
    /// Seccomp profile: Docker JSON, an OCI config.json, or an OCI linux.seccomp object
    #[arg(long, value_name = "FILE")]
    seccomp: PathBuf,

    /// The command and its arguments
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<OsString>,
}

pub fn run(args: RunArgs) -> Result<u8> {
    let profile = read_seccomp_profile(&args.seccomp)?;
    let arch = Arch::native().context("cinch knows the syscall tables of x86_64 and aarch64 only")?;
    let compiled = seccomp_filter::compile(&profile, arch)
        .with_context(|| format!("{}: cannot apply the profile", args.seccomp.display()))?;
    print_notes(&compiled.notes);

    // Everything the exec needs is prepared before the filter goes on: after
    // it, the only syscall cinch makes is execve.
    let exec = Exec::prepare(&args.command)?;

    for program in &compiled.programs {
        seccompiler::apply_filter(program).context("the kernel refused the seccomp filter")?;
    }
    exec.execv();
    let err = std::io::Error::last_os_error();
    let program = exec.program.display();
    if err.raw_os_error() == Some(libc::EPERM) {
        bail!("cannot run {program}: execve is not allowed by {} ({err})", args.seccomp.display());
    }
    bail!("cannot run {program}: {err}")
}
