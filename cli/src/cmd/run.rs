//! `cinch run`: apply a seccomp profile to a local command and exec it.

use crate::exec::Exec;
use crate::input::read_seccomp_profile;
use crate::output::print_notes;
use crate::seccomp_filter;
use anyhow::{Context, Result};
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
    let env = seccomp_filter::rule_env(arch)?;
    let compiled = seccomp_filter::compile(&profile, &env)
        .with_context(|| format!("{}: cannot apply the profile", args.seccomp.display()))?;
    print_notes(&compiled.notes);

    // Everything the exec needs is prepared before the filter goes on: after
    // it, the only syscalls cinch makes are execve and, if that fails, one
    // write of a message formatted now and exit_group.
    let exec = Exec::prepare(&args.command)?;
    let failed = format!(
        "cinch: error: cannot run {} under {}: execve failed with errno ",
        exec.program.display(),
        args.seccomp.display()
    );

    for program in &compiled.programs {
        seccompiler::apply_filter(program).context("the kernel refused the seccomp filter")?;
    }
    exec.execv();
    exec_failed(failed.as_bytes())
}

/// Reports a failed exec under the filter without allocating (the filter may
/// deny mmap and brk) and exits 126, as a shell does for a command it cannot run.
fn exec_failed(message: &[u8]) -> ! {
    let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0).unsigned_abs();
    let mut digits = [0u8; 12];
    let mut at = digits.len() - 1;
    digits[at] = b'\n';
    let mut n = errno;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    // SAFETY: write and _exit take plain buffers owned here; _exit does not return.
    unsafe {
        libc::write(2, message.as_ptr().cast(), message.len());
        libc::write(2, digits[at..].as_ptr().cast(), digits.len() - at);
        libc::_exit(126)
    }
}
