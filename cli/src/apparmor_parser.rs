//! The real `apparmor_parser` (Debian package `apparmor`): compile checks
//! for every profile cinch writes, and loading where the kernel has AppArmor.

use anyhow::{anyhow, Context, Result};
use cinch_profiles::lint::ParserRefusal;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The parser, from PATH or the sbin directories root's PATH usually has.
pub fn find() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join("apparmor_parser"))
        .find(|candidate| candidate.is_file())
}

/// Why the kernel cannot load profiles, or None when it can.
pub fn kernel_lacks_apparmor() -> Option<String> {
    let enabled = Path::new("/sys/module/apparmor/parameters/enabled");
    match std::fs::read_to_string(enabled) {
        Err(_) => Some("this kernel has no AppArmor (/sys/module/apparmor is missing)".into()),
        Ok(value) if value.trim() != "Y" => Some("AppArmor is disabled on this kernel (apparmor=0 at boot?)".into()),
        Ok(_) if !Path::new("/sys/kernel/security/apparmor").is_dir() => {
            Some("securityfs is not mounted at /sys/kernel/security, so profiles cannot be loaded".into())
        }
        Ok(_) => None,
    }
}

/// What compiling a profile gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Compiled {
    /// apparmor_parser accepted it.
    Accepted,
    /// apparmor_parser refused it.
    Refused(ParserRefusal),
    /// apparmor_parser is not installed: nothing was checked.
    NoParser,
}

/// Compiles `text` without loading it (`-QTK`: skip the kernel, no cache).
/// Err only when the parser could not be run.
pub fn compile(text: &str) -> Result<Compiled> {
    let Some(parser) = find() else { return Ok(Compiled::NoParser) };
    let mut child = Command::new(&parser)
        .args(["-Q", "-T", "-K"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot run {}", parser.display()))?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    // A parser that stops reading early reports its error below.
    let _ = stdin.write_all(text.as_bytes());
    drop(stdin);
    let out = child.wait_with_output().with_context(|| format!("cannot run {}", parser.display()))?;
    if out.status.success() {
        return Ok(Compiled::Accepted);
    }
    let message = refusal_message(&out.stderr, &out.stdout, &out.status.to_string());
    Ok(Compiled::Refused(ParserRefusal { message }))
}

/// Why the parser refused: its stderr, failing that its stdout, failing that
/// how it ended (never an empty reason).
fn refusal_message(stderr: &[u8], stdout: &[u8], status: &str) -> String {
    [parser_message(stderr), parser_message(stdout)]
        .into_iter()
        .find(|m| !m.trim().is_empty())
        .unwrap_or_else(|| format!("it ended with {status} and said nothing"))
}

/// Compiles `text`: Ok(true) accepted, Ok(false) no parser to check with,
/// Err when it is refused or the parser cannot run.
pub fn check(text: &str) -> Result<bool> {
    match compile(text)? {
        Compiled::Accepted => Ok(true),
        Compiled::NoParser => Ok(false),
        Compiled::Refused(refusal) => Err(anyhow!(refusal)),
    }
}

/// The parser's stderr without its note about a missing kernel interface.
pub fn parser_message(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| !l.starts_with("Cache read/write disabled"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_always_has_a_reason() {
        let cache = b"Cache read/write disabled: interface file missing.\n";
        assert_eq!(
            refusal_message(b"AppArmor parser error at line 2\n", b"", "exit status: 1"),
            "AppArmor parser error at line 2"
        );
        assert_eq!(refusal_message(cache, b"syntax error\n", "exit status: 1"), "syntax error");
        assert_eq!(
            refusal_message(cache, b"", "signal: 9 (SIGKILL)"),
            "it ended with signal: 9 (SIGKILL) and said nothing"
        );
    }
}
