//! cinch's pure half: the trace model every other part agrees on, the syscall
//! tables, the generators (`seccomp`, `apparmor`, `userns`, `recipe`,
//! `cluster`), one parser per file format, and the linter (`lint`). Nothing
//! here talks to the kernel; see `cinch-ebpf` for that.

pub mod apparmor;
pub mod arch;
pub mod cluster;
pub mod decode;
pub mod docker_cli;
pub mod errno;
pub mod lint;
pub mod merge;
pub mod note;
pub mod path;
pub mod recipe;
pub mod seccomp;
pub mod shell;
pub mod subid;
pub mod trace;
pub mod userns;

pub use arch::Arch;
pub use note::{Note, Remedy};

/// The 1-based line of byte `offset` in `text` (for errors that name the
/// line, from a parser's byte span).
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}
pub use trace::{SyscallUse, Target, Trace, TraceError};
