//! Writing results: always whole or not at all.

use anyhow::{Context, Result};
use cinch_profiles::{Note, Remedy};
use std::io::Write;
use std::path::{Path, PathBuf};
use tempfile::NamedTempFile;

/// An output file reserved before the work starts, so that an unwritable
/// destination is reported before a long trace rather than after it. The
/// content goes to a temporary file beside the destination and is renamed
/// over it in one step: readers see the old file or the new one, never half.
pub struct PendingOutput {
    path: PathBuf,
    temp: NamedTempFile,
}

impl PendingOutput {
    pub fn reserve(path: &Path) -> Result<PendingOutput> {
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        if path.is_dir() {
            anyhow::bail!("{} is a directory; give a file name for the output", path.display());
        }
        if !dir.is_dir() {
            anyhow::bail!("cannot write {}: directory {} does not exist", path.display(), dir.display());
        }
        let temp = tempfile::Builder::new().prefix(".cinch-").tempfile_in(dir).map_err(|err| {
            // tempfile's message names its random file; the user needs the reason.
            let reason = err.raw_os_error().map_or(err, std::io::Error::from_raw_os_error);
            anyhow::anyhow!("cannot write {}: {reason}", path.display())
        })?;
        Ok(PendingOutput { path: path.to_path_buf(), temp })
    }

    /// Writes `content` and moves it into place.
    pub fn commit(self, content: &[u8]) -> Result<()> {
        self.commit_with_mode(content, 0o666)
    }

    /// The same for a script: executable (0777 less the umask) from the moment it appears.
    pub fn commit_executable(self, content: &[u8]) -> Result<()> {
        self.commit_with_mode(content, 0o777)
    }

    fn commit_with_mode(mut self, content: &[u8], base_mode: u32) -> Result<()> {
        let path = self.path.clone();
        let write = |temp: &mut NamedTempFile| -> std::io::Result<()> {
            temp.write_all(content)?;
            temp.as_file().sync_all()
        };
        write(&mut self.temp).with_context(|| format!("cannot write {}", path.display()))?;
        // Keep the usual permissions of a new file rather than the 0600 of a temp file.
        set_default_mode(self.temp.path(), base_mode);
        self.temp.persist(&path).map_err(|e| e.error).with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
}

fn set_default_mode(path: &Path, base_mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: umask only swaps a process-wide integer; it is read and restored at once.
    let umask = unsafe {
        let old = libc::umask(0o022);
        libc::umask(old);
        old
    };
    let mode = base_mode & !umask;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

/// Prints a generator's notes on stderr, one line each, with the flag that
/// acts on each remedy.
pub fn print_notes(notes: &[Note]) {
    for note in notes {
        match note.remedy {
            Some(remedy) => eprintln!("cinch: note: {}; {}", note.text, remedy_text(remedy)),
            None => eprintln!("cinch: note: {}", note.text),
        }
    }
}

/// A library remedy in the CLI's words: the flag or command that takes the step.
pub fn remedy_text(remedy: Remedy) -> &'static str {
    match remedy {
        Remedy::MoreRunsOrLowerGlobThreshold => {
            "merge traces of more runs (cinch merge) or lower --glob-min (cinch generate apparmor) to allow DIR/*"
        }
        Remedy::NameHostVolumes => "pass --volume HOST:CONTAINER",
        Remedy::GiveTrace => "give --trace",
        Remedy::CopyLibraries => "pass --with-libs",
        Remedy::MountParentDirectory => "mount a parent directory with --volume",
    }
}
