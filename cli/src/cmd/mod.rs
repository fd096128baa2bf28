//! One file per subcommand (`generate` has one per artifact), and the
//! readers they share.

pub mod apparmor;
pub mod cluster;
pub mod diff;
pub mod explain;
pub mod generate;
pub mod lint;
pub mod merge;
pub mod profile;
pub mod recipe;
pub mod run;
pub mod show;
pub mod trace;

use anyhow::{Context, Result};
use cinch_profiles::seccomp::{self, Profile};
use std::path::Path;

/// Reads a seccomp profile in any JSON form cinch knows; errors name the file
/// and line.
pub fn read_seccomp_profile(path: &Path) -> Result<Profile> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    seccomp::load(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
