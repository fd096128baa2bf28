//! A container's files on this host (`cinch recipe --from DIR`), read as the
//! container would see them: every path is resolved inside DIR as a chroot
//! would (`openat2` with `RESOLVE_IN_ROOT`: an absolute symbolic link or a
//! `..` never leaves DIR), a symbolic link named by the trace is kept as a
//! link, and special files are refused. The workload could write its own
//! files; nothing it plants there makes cinch read a host file.

use anyhow::{anyhow, bail, Result};
use rustix::fd::OwnedFd;
use rustix::fs::{Mode, OFlags, ResolveFlags, CWD};
use std::io::Read;
use std::path::{Path, PathBuf};

/// The most cinch copies of one file into an image.
const FILE_LIMIT: u64 = 4 << 30;

/// The root directory, opened once.
pub struct Root {
    fd: OwnedFd,
    shown: PathBuf,
}

/// What a container path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    File(Vec<u8>),
    /// A symbolic link, with the target it holds (resolved in the image, not here).
    Symlink(Vec<u8>),
}

impl Root {
    pub fn open(path: &Path) -> Result<Root> {
        let fd = rustix::fs::openat(CWD, path, OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
            .map_err(|e| anyhow!("cannot open {}: {}", path.display(), std::io::Error::from(e)))?;
        Ok(Root { fd, shown: path.to_path_buf() })
    }

    fn shown(&self, container: &[u8]) -> String {
        format!("{}{}", self.shown.display(), cinch_profiles::path::encode(container))
    }

    /// `container` opened inside the root with `flags` (the last
    /// component never followed when `NOFOLLOW` is among them).
    fn open_in(&self, container: &[u8], flags: OFlags) -> std::io::Result<OwnedFd> {
        let relative = container.strip_prefix(b"/").unwrap_or(container);
        let relative = if relative.is_empty() { &b"."[..] } else { relative };
        let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
        Ok(rustix::fs::openat2(&self.fd, relative, flags | OFlags::CLOEXEC, Mode::empty(), resolve)?)
    }

    /// Whether `container` names something inside the root, links followed
    /// as the image's loader would follow them (within the root).
    pub fn exists(&self, container: &[u8]) -> bool {
        self.open_in(container, OFlags::PATH).is_ok()
    }

    /// The size of the file at `container` (of a link itself: it is copied as a link).
    pub fn size(&self, container: &[u8]) -> std::io::Result<u64> {
        let fd = self.open_in(container, OFlags::PATH | OFlags::NOFOLLOW)?;
        Ok(rustix::fs::fstat(&fd)?.st_size as u64)
    }

    /// The file or link at `container`; an error for anything else.
    pub fn read(&self, container: &[u8]) -> Result<Node> {
        let shown = self.shown(container);
        let io = |e: std::io::Error| anyhow!("cannot read {shown}: {e}");
        let found = self.open_in(container, OFlags::PATH | OFlags::NOFOLLOW).map_err(io)?;
        let stat = rustix::fs::fstat(&found).map_err(|e| io(e.into()))?;
        match rustix::fs::FileType::from_raw_mode(stat.st_mode) {
            rustix::fs::FileType::RegularFile => {}
            rustix::fs::FileType::Symlink => {
                let target = rustix::fs::readlinkat(&found, "", Vec::new()).map_err(|e| io(e.into()))?;
                return Ok(Node::Symlink(target.into_bytes()));
            }
            other => {
                bail!("{shown} is a {}, not a regular file: cinch copies no special file into an image", kind(other))
            }
        }
        if stat.st_size as u64 > FILE_LIMIT {
            bail!("{shown}: {} bytes, over the {} GiB cinch copies of one file", stat.st_size, FILE_LIMIT >> 30);
        }
        // Opened again to read; O_NONBLOCK so that a FIFO swapped in meanwhile cannot block,
        // and the same file is required.
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY;
        let file = std::fs::File::from(self.open_in(container, flags).map_err(io)?);
        let again = rustix::fs::fstat(&file).map_err(|e| io(e.into()))?;
        if (again.st_dev, again.st_ino) != (stat.st_dev, stat.st_ino) {
            bail!("{shown} changed while cinch read it");
        }
        let mut bytes = Vec::new();
        file.take(FILE_LIMIT + 1).read_to_end(&mut bytes).map_err(io)?;
        Ok(Node::File(bytes))
    }
}

fn kind(file_type: rustix::fs::FileType) -> &'static str {
    match file_type {
        rustix::fs::FileType::Directory => "directory",
        rustix::fs::FileType::Fifo => "FIFO",
        rustix::fs::FileType::Socket => "socket",
        rustix::fs::FileType::CharacterDevice => "character device",
        rustix::fs::FileType::BlockDevice => "block device",
        _ => "special file",
    }
}
