//! Reading the files subcommands take as input: traces, seccomp profiles,
//! node lists. Errors name the file and the line. Only regular files are
//! read, and only up to a limit: a FIFO, a device or /dev/zero given by
//! mistake (or planted) is refused, never waited on or read without end.

use anyhow::{bail, Context, Result};
use cinch_profiles::seccomp::{self, Profile};
use cinch_profiles::Trace;
use std::path::Path;

/// The most cinch reads of a trace (the tracer caps what it records well below this).
pub const TRACE_LIMIT: u64 = 1 << 30;
/// The most cinch reads of a profile, a node list or another small input.
pub const SMALL_LIMIT: u64 = 16 << 20;

/// The bytes of the regular file at `path` (symbolic links followed: the
/// user named it), refused if it is anything else or larger than `limit`.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO must not wait for a writer before it can be refused.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let meta = file.metadata().with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_file() {
        bail!("{}: not a regular file (a FIFO, device, socket or directory is not read)", path.display());
    }
    if meta.len() > limit {
        bail!("{}: {} bytes, over cinch's limit of {} MiB for this input", path.display(), meta.len(), limit >> 20);
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes).with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > limit {
        bail!("{}: grew past cinch's limit of {} MiB while being read", path.display(), limit >> 20);
    }
    Ok(bytes)
}

/// The same as text, which must be UTF-8.
pub fn read_text(path: &Path, limit: u64) -> Result<String> {
    String::from_utf8(read_regular(path, limit)?).map_err(|e| {
        let line = cinch_profiles::line_of(&String::from_utf8_lossy(e.as_bytes()), e.utf8_error().valid_up_to());
        anyhow::anyhow!("{}: line {line}: not UTF-8 text", path.display())
    })
}

/// Reads and validates a trace file.
pub fn read_trace(path: &Path) -> Result<Trace> {
    let text = read_text(path, TRACE_LIMIT)?;
    Trace::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Reads a seccomp profile in any JSON form cinch knows.
pub fn read_seccomp_profile(path: &Path) -> Result<Profile> {
    let text = read_text(path, SMALL_LIMIT)?;
    seccomp::load(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
