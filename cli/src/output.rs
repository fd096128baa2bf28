//! Writing results: always whole or not at all, never through a planted
//! symbolic link, and nothing left behind when cinch is killed.
//!
//! A file's content is written to an unnamed file (`O_TMPFILE`) in the
//! destination's directory, which no one can see and which vanishes if cinch
//! dies, and is given its name in one rename once complete. Where the file
//! system has no unnamed files, a hidden `.cinch-*` file takes its place and
//! is removed on failure. A directory of outputs ([`OutputDir`]) is written
//! in two phases: every file's content first (a full disk fails here, with
//! nothing named), then every rename.

use anyhow::{bail, Context, Result};
use cinch_profiles::{Note, Remedy};
use rustix::fd::OwnedFd;
use rustix::fs::{AtFlags, Mode, OFlags, CWD};
use rustix::io::Errno;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether `-q/--quiet` was given: notes and summaries are not printed
/// (errors, warnings of lost events and the `cinch: tracing` line still are).
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// `eprintln!` for what `--quiet` leaves out: notes, what was written, summaries.
macro_rules! say {
    ($($arg:tt)*) => {
        if !$crate::output::quiet() {
            eprintln!($($arg)*)
        }
    };
}
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// A file's content, complete and synced, waiting for its name.
struct Unnamed {
    file: std::fs::File,
    /// The name it has while hidden, when the file system gave no unnamed file.
    hidden: Option<String>,
}

/// The directory a file goes into, opened once so that its path is not
/// looked up again between writing and naming.
struct Directory {
    fd: OwnedFd,
    shown: PathBuf,
}

impl Directory {
    fn open(path: &Path) -> Result<Directory> {
        let dir = if path.as_os_str().is_empty() { Path::new(".") } else { path };
        let fd = rustix::fs::openat(CWD, dir, OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| anyhow::anyhow!("cannot write into {}: {}", dir.display(), std::io::Error::from(e)))?;
        Ok(Directory { fd, shown: dir.to_path_buf() })
    }

    /// `name` below this directory, as a directory, created if missing and
    /// never followed if it is a symbolic link. Pushes what it created.
    fn child(&self, name: &str, created: &mut Vec<PathBuf>) -> Result<Directory> {
        let shown = self.shown.join(name);
        match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o755)) {
            Ok(()) => created.push(shown.clone()),
            Err(Errno::EXIST) => {}
            Err(e) => bail!("cannot create {}: {}", shown.display(), std::io::Error::from(e)),
        }
        let flags = OFlags::DIRECTORY | OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.fd, name, flags, Mode::empty()).map_err(|e| match e {
            Errno::LOOP | Errno::NOTDIR => anyhow::anyhow!(
                "{} is a symbolic link or not a directory; cinch does not write through it",
                shown.display()
            ),
            e => anyhow::anyhow!("cannot open {}: {}", shown.display(), std::io::Error::from(e)),
        })?;
        Ok(Directory { fd, shown })
    }

    /// A new file in this directory, not yet named.
    fn unnamed(&self) -> Result<Unnamed> {
        let flags = OFlags::TMPFILE | OFlags::WRONLY | OFlags::CLOEXEC;
        match rustix::fs::openat(&self.fd, ".", flags, Mode::from_raw_mode(0o600)) {
            Ok(fd) => return Ok(Unnamed { file: fd.into(), hidden: None }),
            Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL | Errno::NOENT) => {}
            Err(e) => bail!("cannot write into {}: {}", self.shown.display(), std::io::Error::from(e)),
        }
        let flags = OFlags::CREATE | OFlags::EXCL | OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        for attempt in 0..100u32 {
            let name = format!(".cinch-{}-{attempt}", std::process::id());
            match rustix::fs::openat(&self.fd, &name, flags, Mode::from_raw_mode(0o600)) {
                Ok(fd) => return Ok(Unnamed { file: fd.into(), hidden: Some(name) }),
                Err(Errno::EXIST) => continue,
                Err(e) => bail!("cannot write into {}: {}", self.shown.display(), std::io::Error::from(e)),
            }
        }
        bail!("cannot write into {}: no free temporary name", self.shown.display())
    }

    /// Writes `content` with `mode` (less the umask) into a new unnamed file.
    fn write(&self, name: &str, content: &[u8], mode: u32) -> Result<Unnamed> {
        let mut unnamed = self.unnamed()?;
        let shown = self.shown.join(name);
        let written =
            unnamed.file.write_all(content).and_then(|()| unnamed.file.sync_all()).and_then(|()| {
                rustix::fs::fchmod(&unnamed.file, Mode::from_raw_mode(mode & !umask())).map_err(Into::into)
            });
        if let Err(err) = written {
            self.discard(unnamed);
            return Err(err).with_context(|| format!("cannot write {}", shown.display()));
        }
        Ok(unnamed)
    }

    fn discard(&self, unnamed: Unnamed) {
        if let Some(hidden) = unnamed.hidden {
            let _ = rustix::fs::unlinkat(&self.fd, hidden.as_str(), AtFlags::empty());
        }
    }

    /// Gives `unnamed` the name `name` in this directory, replacing what was there.
    fn name(&self, unnamed: Unnamed, name: &str) -> Result<()> {
        let shown = self.shown.join(name);
        let hidden = match unnamed.hidden {
            Some(hidden) => hidden,
            None => {
                // An unnamed file gets a hidden name first (linkat cannot replace), then the rename.
                let proc_path = format!("/proc/self/fd/{}", rustix::fd::AsRawFd::as_raw_fd(&unnamed.file));
                let mut linked = None;
                for attempt in 0..100u32 {
                    let hidden = format!(".cinch-{}-{attempt}", std::process::id());
                    match rustix::fs::linkat(
                        CWD,
                        proc_path.as_str(),
                        &self.fd,
                        hidden.as_str(),
                        AtFlags::SYMLINK_FOLLOW,
                    ) {
                        Ok(()) => {
                            linked = Some(hidden);
                            break;
                        }
                        Err(Errno::EXIST) => continue,
                        Err(e) => bail!("cannot write {}: {}", shown.display(), std::io::Error::from(e)),
                    }
                }
                linked.with_context(|| format!("cannot write {}: no free temporary name", shown.display()))?
            }
        };
        if let Err(e) = rustix::fs::renameat(&self.fd, hidden.as_str(), &self.fd, name) {
            let _ = rustix::fs::unlinkat(&self.fd, hidden.as_str(), AtFlags::empty());
            bail!("cannot write {}: {}", shown.display(), std::io::Error::from(e));
        }
        Ok(())
    }
}

fn umask() -> u32 {
    // SAFETY: umask only swaps a process-wide integer; it is read and restored at once.
    unsafe {
        let old = libc::umask(0o022);
        libc::umask(old);
        old
    }
}

/// The last component of an output path, as a name in its directory.
fn file_name(path: &Path) -> Result<String> {
    match path.file_name().and_then(|n| n.to_str()) {
        Some(name) => Ok(name.to_string()),
        None => bail!("{}: give a file name (UTF-8) for the output", path.display()),
    }
}

/// An output file reserved before the work starts, so that an unwritable
/// destination is reported before a long trace rather than after it. The
/// content goes to an unnamed file beside the destination and is renamed
/// over it in one step: readers see the old file or the new one, never half.
/// A symbolic link at the destination is replaced, never followed. `-` is
/// standard output, as kubectl and hadolint users expect.
pub struct PendingOutput {
    /// None for standard output.
    file: Option<(Directory, String)>,
}

impl PendingOutput {
    pub fn reserve(path: &Path) -> Result<PendingOutput> {
        if path.as_os_str() == "-" {
            return Ok(PendingOutput { file: None });
        }
        if path.is_dir() && !path.is_symlink() {
            bail!("{} is a directory; give a file name for the output", path.display());
        }
        let parent = path.parent().unwrap_or(Path::new(""));
        if !parent.as_os_str().is_empty() && !parent.is_dir() {
            bail!("cannot write {}: directory {} does not exist", path.display(), parent.display());
        }
        let name = file_name(path)?;
        let dir = Directory::open(parent)?;
        // Prove now that a file can be made there; it vanishes unnamed.
        let probe = dir.unnamed().map_err(|e| anyhow::anyhow!("cannot write {}: {e:#}", path.display()))?;
        dir.discard(probe);
        Ok(PendingOutput { file: Some((dir, name)) })
    }

    /// A file only: refuses `-` where standard output is taken (a traced
    /// command writes there too).
    pub fn reserve_file(path: &Path) -> Result<PendingOutput> {
        if path.as_os_str() == "-" {
            bail!("-o -: standard output is the traced command's here; give a file name");
        }
        PendingOutput::reserve(path)
    }

    /// Writes `content` and moves it into place.
    pub fn commit(self, content: &[u8]) -> Result<()> {
        match self.file {
            None => print_bytes(content),
            Some((dir, name)) => {
                let unnamed = dir.write(&name, content, 0o666)?;
                dir.name(unnamed, &name)
            }
        }
    }

    /// The destination as messages name it: the path, or "standard output".
    pub fn shown(&self, path: &Path) -> String {
        match self.file {
            None => "standard output".to_string(),
            Some(_) => path.display().to_string(),
        }
    }
}

/// Several output files in one directory (and its subdirectories), written
/// whole or not at all. The directory itself, and every subdirectory, is
/// never a symbolic link followed: a link planted at `-o` in a shared
/// directory is refused, not written through.
pub struct OutputDir {
    root: PathBuf,
    files: Vec<(Vec<String>, Vec<u8>, u32)>,
}

impl OutputDir {
    /// The directory `root`; refused at once if it is a symbolic link or a file.
    pub fn new(root: &Path) -> Result<OutputDir> {
        if root.is_symlink() {
            bail!(
                "{} is a symbolic link; give the directory itself (cinch does not write through links)",
                root.display()
            );
        }
        if root.exists() && !root.is_dir() {
            bail!("{} exists and is not a directory", root.display());
        }
        Ok(OutputDir { root: root.to_path_buf(), files: Vec::new() })
    }

    /// Adds a file at `relative` (plain names separated by `/`: no `..`, no
    /// absolute path), a script when `executable`.
    pub fn add(&mut self, relative: &str, content: impl Into<Vec<u8>>, executable: bool) -> Result<()> {
        let mut parts = Vec::new();
        for component in Path::new(relative).components() {
            match component {
                Component::Normal(part) => match part.to_str() {
                    Some(part) => parts.push(part.to_string()),
                    None => bail!("output name {relative:?} is not UTF-8"),
                },
                _ => bail!("output name {relative:?} must stay inside {}", self.root.display()),
            }
        }
        if parts.is_empty() {
            bail!("empty output name");
        }
        self.files.push((parts, content.into(), if executable { 0o777 } else { 0o666 }));
        Ok(())
    }

    /// Writes every file, then names every file; on an error before the
    /// naming, nothing is named and the directories cinch made are removed.
    pub fn commit(self) -> Result<()> {
        let mut staging = Staging::default();
        if let Err(err) = self.write_all(&mut staging) {
            for (dir, unnamed, _) in staging.files {
                staging.dirs[dir].discard(unnamed);
            }
            for dir in staging.created.iter().rev() {
                let _ = std::fs::remove_dir(dir);
            }
            return Err(err);
        }
        for (dir, unnamed, name) in staging.files {
            staging.dirs[dir].name(unnamed, &name)?;
        }
        Ok(())
    }

    fn write_all(&self, staging: &mut Staging) -> Result<()> {
        let parent = self.root.parent().unwrap_or(Path::new(""));
        if !parent.as_os_str().is_empty() && !parent.is_dir() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
        // `-o .` or `-o ..` names a directory by no name of its own: opened as given.
        let root = match self.root.file_name() {
            Some(_) => Directory::open(parent)?.child(&file_name(&self.root)?, &mut staging.created)?,
            None => Directory::open(&self.root)?,
        };
        staging.dirs.push(root);
        let mut index = BTreeMap::from([(Vec::<String>::new(), 0)]);
        for (parts, content, mode) in &self.files {
            let (name, subdirs) = parts.split_last().expect("add refuses empty names");
            for depth in 1..=subdirs.len() {
                if !index.contains_key(&subdirs[..depth]) {
                    let parent = &staging.dirs[index[&subdirs[..depth - 1]]];
                    let dir = parent.child(&subdirs[depth - 1], &mut staging.created)?;
                    staging.dirs.push(dir);
                    index.insert(subdirs[..depth].to_vec(), staging.dirs.len() - 1);
                }
            }
            let dir = index[subdirs];
            let unnamed = staging.dirs[dir].write(name, content, *mode)?;
            staging.files.push((dir, unnamed, name.clone()));
        }
        Ok(())
    }
}

/// What [`OutputDir::commit`] has open and made while it writes.
#[derive(Default)]
struct Staging {
    dirs: Vec<Directory>,
    /// Directory index, content, final name.
    files: Vec<(usize, Unnamed, String)>,
    created: Vec<PathBuf>,
}

/// How `diff` and `show` write their report: for people, or JSON for scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// Writes a report to standard output. A reader that stops early (`| head`)
/// ends the output quietly rather than with a panic.
pub fn print_stdout(text: &str) -> Result<()> {
    print_bytes(text.as_bytes())
}

/// The same for bytes.
pub fn print_bytes(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// Prints a generator's notes on stderr, one line each, with the flag that
/// acts on each remedy.
pub fn print_notes(notes: &[Note]) {
    for note in notes {
        match note.remedy {
            Some(remedy) => say!("cinch: note: {}; {}", note.text, remedy_text(remedy)),
            None => say!("cinch: note: {}", note.text),
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
