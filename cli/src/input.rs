//! Reading the files subcommands take as input: traces and seccomp
//! profiles. Errors name the file and the line.

use anyhow::{Context, Result};
use cinch_profiles::seccomp::{self, Profile};
use cinch_profiles::Trace;
use std::path::Path;

/// Reads and validates a trace file.
pub fn read_trace(path: &Path) -> Result<Trace> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Trace::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Reads a seccomp profile in any JSON form cinch knows.
pub fn read_seccomp_profile(path: &Path) -> Result<Profile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    seccomp::load(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
