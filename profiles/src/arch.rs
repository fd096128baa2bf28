//! CPU architectures a trace can come from, and their syscall tables.
//!
//! Names and numbers come from the `syscalls` crate, which is generated from
//! the kernel's own tables; no syscall name is ever typed by hand in cinch.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    #[serde(rename = "x86_64")]
    X86_64,
    Aarch64,
}

impl Arch {
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

    /// The architecture this binary runs on, if cinch knows its syscall table.
    pub fn native() -> Option<Arch> {
        match std::env::consts::ARCH {
            "x86_64" => Some(Arch::X86_64),
            "aarch64" => Some(Arch::Aarch64),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// The name of syscall number `nr` on this architecture.
    pub fn syscall_name(self, nr: u32) -> Option<&'static str> {
        let nr = usize::try_from(nr).ok()?;
        let name = match self {
            Arch::X86_64 => syscalls::x86_64::Sysno::new(nr).map(|s| s.name()),
            Arch::Aarch64 => syscalls::aarch64::Sysno::new(nr).map(|s| s.name()),
        }?;
        Some(RENAMED.iter().find(|(arch, table, _)| *arch == self && *table == name).map_or(name, |(.., n)| n))
    }

    /// The number of syscall `name` on this architecture.
    pub fn syscall_number(self, name: &str) -> Option<u32> {
        let table_name =
            match RENAMED.iter().find(|(arch, table, kernel)| *arch == self && (*kernel == name || *table == name)) {
                Some((_, _, kernel)) if *kernel != name => return None,
                Some((_, table, _)) => table,
                None => name,
            };
        let id = match self {
            Arch::X86_64 => syscalls::x86_64::Sysno::from_str(table_name).ok()?.id(),
            Arch::Aarch64 => syscalls::aarch64::Sysno::from_str(table_name).ok()?.id(),
        };
        u32::try_from(id).ok()
    }
}

/// Where the `syscalls` crate's name is not the kernel's (and libseccomp's,
/// which profiles use): (arch, the crate's name, the kernel's). The crate
/// names aarch64's 79 after the generic table's `__NR3264_fstatat`; 64-bit
/// kernels define it as `__NR_newfstatat`, and runc's libseccomp knows only
/// that name: a profile saying `fstatat` would silently deny it.
const RENAMED: &[(Arch, &str, &str)] = &[(Arch::Aarch64, "fstatat", "newfstatat")];

impl FromStr for Arch {
    type Err = String;
    /// `x86_64` or `aarch64` (also Go's and Debian's names, `amd64`, `arm64`).
    fn from_str(s: &str) -> Result<Arch, String> {
        match s {
            "x86_64" | "amd64" => Ok(Arch::X86_64),
            "aarch64" | "arm64" => Ok(Arch::Aarch64),
            other => Err(format!("unknown architecture {other:?}: use x86_64 or aarch64")),
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Syscalls whose argument values cinch records, and the names it gives the
/// recorded arguments, in argument order. Seccomp rules can only compare
/// register values, so only arguments that are plain numbers are listed.
/// `clone3`'s flags live in user memory and are read by the tracer.
pub const RECORDED_ARGS: &[(&str, &[&str])] = &[
    ("clone", &["flags"]),
    ("clone3", &["flags"]),
    ("personality", &["persona"]),
    ("prctl", &["option"]),
    ("socket", &["domain", "type", "protocol"]),
    ("unshare", &["flags"]),
];

/// The bits of a recorded argument that the kernel looks at. The registers
/// are 64 bits wide, but `int` arguments only use the low 32 and the upper
/// half may hold anything; only `clone` and `clone3` take 64-bit flags.
pub fn recorded_arg_mask(syscall: &str) -> u64 {
    match syscall {
        "clone" | "clone3" => u64::MAX,
        _ => u64::from(u32::MAX),
    }
}

/// The argument names recorded for `syscall`, if its arguments are recorded.
pub fn recorded_args(syscall: &str) -> Option<&'static [&'static str]> {
    RECORDED_ARGS.iter().find(|(name, _)| *name == syscall).map(|(_, args)| *args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_round_trip_on_every_arch() {
        for arch in Arch::ALL {
            let nr = arch.syscall_number("openat").expect("openat exists everywhere");
            assert_eq!(arch.syscall_name(nr), Some("openat"));
        }
        assert_eq!(Arch::X86_64.syscall_number("open"), Some(2));
        assert_eq!(Arch::Aarch64.syscall_number("open"), None, "arm64 has only openat");
        assert_eq!(Arch::X86_64.syscall_name(100_000), None);
    }

    #[test]
    fn every_recorded_syscall_exists_on_x86_64() {
        for (name, _) in RECORDED_ARGS {
            assert!(Arch::X86_64.syscall_number(name).is_some(), "{name}");
        }
    }
}
