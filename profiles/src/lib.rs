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

/// `text` for a message: control characters escaped (a name or value from a
/// file must not move the cursor, clear the screen or fake a line) and cut
/// to `max` characters with the length of the rest, so that a 50 MB field
/// is never echoed whole.
pub fn shorten(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == max {
            let rest = text.chars().count() - max;
            out.push_str(&format!("… ({rest} more characters)"));
            break;
        }
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` on one line of a terminal: every control character escaped,
/// newlines included.
pub fn printable(text: &str) -> String {
    text.chars().flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn printable_keeps_to_one_line() {
        assert_eq!(super::printable("a\nb\u{1b}"), "a\\nb\\u{1b}");
    }

    #[test]
    fn shorten_escapes_and_cuts() {
        assert_eq!(super::shorten("a\u{1b}[2Jb", 20), "a\\u{1b}[2Jb");
        assert_eq!(super::shorten(&"x".repeat(1000), 3), "xxx… (997 more characters)");
    }
}
