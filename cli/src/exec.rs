//! Preparing an exec in advance, for the places where nothing may happen
//! between a decisive step and the exec: after a fork (only async-signal-safe
//! calls), or after installing a seccomp filter (only execve is allowed).

use anyhow::{bail, Context, Result};
use std::ffi::{CString, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A program and its arguments, resolved and converted ahead of the exec.
pub struct Exec {
    /// The program found on PATH.
    pub program: PathBuf,
    c_program: CString,
    _c_args: Vec<CString>,
    /// Pointers into `_c_args`, NULL-terminated, as execv wants them.
    arg_ptrs: Vec<*const libc::c_char>,
}

impl Exec {
    pub fn prepare(argv: &[OsString]) -> Result<Exec> {
        let program = resolve_program(&argv[0])?;
        let c_program = CString::new(program.as_os_str().as_bytes()).context("the command name contains a NUL byte")?;
        let c_args = argv
            .iter()
            .map(|a| CString::new(a.as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .context("an argument contains a NUL byte")?;
        let mut arg_ptrs: Vec<*const libc::c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
        arg_ptrs.push(std::ptr::null());
        Ok(Exec { program, c_program, _c_args: c_args, arg_ptrs })
    }

    /// Replaces the process; returns only if the exec failed (see errno).
    /// Makes no allocation and no syscall but execve.
    pub fn execv(&self) {
        // SAFETY: NUL-terminated strings and a NULL-terminated array, all
        // owned by self and alive for the call.
        unsafe { libc::execv(self.c_program.as_ptr(), self.arg_ptrs.as_ptr()) };
    }
}

/// Finds the program the way a shell would (PATH search), so that failed
/// lookups in PATH directories do not end up in the trace as execve calls.
pub fn resolve_program(name: &OsString) -> Result<PathBuf> {
    let path = Path::new(name);
    if name.as_bytes().contains(&b'/') {
        return Ok(path.to_path_buf());
    }
    let search = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    for dir in std::env::split_paths(&search) {
        let candidate = dir.join(path);
        if is_executable(&candidate) {
            return Ok(candidate);
        }
    }
    bail!("command not found: {}", path.display())
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}
