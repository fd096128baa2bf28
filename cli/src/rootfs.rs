//! A container's files on this host (`cinch recipe --from DIR`), read as the
//! container would see them: every path is resolved inside DIR as a chroot
//! would (`openat2` with `RESOLVE_IN_ROOT`: an absolute symbolic link or a
//! `..` never leaves DIR), a symbolic link named by the trace is kept as a
//! link, and special files are refused. The workload could write its own
//! files; nothing it plants there makes cinch read a host file.

use anyhow::{anyhow, bail, Result};
use cinch_profiles::path;
use cinch_profiles::recipe::complete::{Kind, Resolved, Tree};
use cinch_profiles::recipe::elf;
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

/// Links followed at most in one name (the kernel's limit).
const MAX_LINKS: usize = 40;

/// The most of a file read to inspect it as ELF.
const ELF_LIMIT: u64 = 1 << 30;

impl Root {
    fn stat_nofollow(&self, container: &[u8]) -> Option<(OwnedFd, rustix::fs::Stat)> {
        let fd = self.open_in(container, OFlags::PATH | OFlags::NOFOLLOW).ok()?;
        let stat = rustix::fs::fstat(&fd).ok()?;
        Some((fd, stat))
    }

    /// The names of the directory `container` (resolved in the root).
    fn list(&self, container: &[u8]) -> Vec<Vec<u8>> {
        let Ok(fd) = self.open_in(container, OFlags::RDONLY | OFlags::DIRECTORY) else { return Vec::new() };
        let Ok(dir) = rustix::fs::Dir::read_from(&fd) else { return Vec::new() };
        dir.filter_map(|e| e.ok())
            .map(|e| e.file_name().to_bytes().to_vec())
            .filter(|n| n != b"." && n != b"..")
            .collect()
    }
}

impl Tree for Root {
    fn resolve(&self, name: &[u8]) -> Option<Resolved> {
        let mut links = Vec::new();
        let mut current = b"/".to_vec();
        // Components still to walk, the next one last.
        let mut pending: Vec<Vec<u8>> = components(name);
        let (_, mut stat) = self.stat_nofollow(b"/")?;
        while let Some(part) = pending.pop() {
            if part == b".." {
                current = path::parent(&current).to_vec();
                continue;
            }
            let candidate = path::join_lexically(&current, &part);
            let (fd, found) = self.stat_nofollow(&candidate)?;
            match rustix::fs::FileType::from_raw_mode(found.st_mode) {
                rustix::fs::FileType::Symlink => {
                    if links.len() >= MAX_LINKS {
                        return None;
                    }
                    let target = rustix::fs::readlinkat(&fd, "", Vec::new()).ok()?.into_bytes();
                    if target.starts_with(b"/") {
                        current = b"/".to_vec();
                    }
                    pending.extend(components(&target));
                    links.push((candidate, target));
                }
                rustix::fs::FileType::Directory => {
                    current = candidate;
                    stat = found;
                }
                _ if pending.is_empty() => {
                    current = candidate;
                    stat = found;
                }
                _ => return None, // a file in the middle of a path
            }
        }
        let kind = match rustix::fs::FileType::from_raw_mode(stat.st_mode) {
            rustix::fs::FileType::RegularFile => Kind::File,
            rustix::fs::FileType::Directory => Kind::Directory,
            _ => Kind::Other,
        };
        Some(Resolved { links, path: current, kind, mode: stat.st_mode & 0o7777, uid: stat.st_uid, gid: stat.st_gid })
    }

    fn elf(&self, container: &[u8]) -> Option<elf::ElfInfo> {
        let fd = self.open_in(container, OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY).ok()?;
        let mut file = std::fs::File::from(fd);
        let mut magic = [0u8; 4];
        file.read_exact(&mut magic).ok()?;
        if &magic != b"\x7fELF" {
            return None;
        }
        let mut bytes = magic.to_vec();
        file.take(ELF_LIMIT).read_to_end(&mut bytes).ok()?;
        elf::inspect(&bytes).ok()
    }

    fn interpreter_line(&self, container: &[u8]) -> Option<Vec<u8>> {
        let fd = self.open_in(container, OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::NOCTTY).ok()?;
        let mut head = Vec::new();
        std::fs::File::from(fd).take(256).read_to_end(&mut head).ok()?;
        let line = head.strip_prefix(b"#!")?.split(|b| *b == b'\n').next()?;
        let text = String::from_utf8_lossy(line);
        let interpreter = text.split_whitespace().next()?;
        interpreter.starts_with('/').then(|| interpreter.as_bytes().to_vec())
    }

    fn ld_conf_dirs(&self) -> Vec<Vec<u8>> {
        let mut dirs = Vec::new();
        let mut queue = vec![b"/etc/ld.so.conf".to_vec()];
        let mut read = 0;
        while let Some(file) = queue.pop() {
            read += 1;
            if read > 256 {
                break;
            }
            let Ok(Node::File(bytes)) = self.read(&file) else { continue };
            let (found, includes) = elf::parse_ld_conf(&String::from_utf8_lossy(&bytes));
            dirs.extend(found);
            for pattern in includes {
                let pattern = path::join_lexically(b"/etc", pattern.as_bytes());
                let (dir, leaf) = (path::parent(&pattern).to_vec(), path::file_name(&pattern).to_vec());
                let mut names: Vec<Vec<u8>> = self.list(&dir).into_iter().filter(|n| glob_match(&leaf, n)).collect();
                names.sort();
                queue.extend(names.into_iter().rev().map(|n| path::join_lexically(&dir, &n)));
            }
        }
        dirs
    }
}

/// The components of a path, the first one last (for popping).
fn components(name: &[u8]) -> Vec<Vec<u8>> {
    name.split(|b| *b == b'/').filter(|c| !c.is_empty() && *c != b".").rev().map(<[u8]>::to_vec).collect()
}

/// A file name against a pattern with `*` and `?` (ld.so.conf's `include`).
fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    match (pattern.first(), name.first()) {
        (None, None) => true,
        (Some(b'*'), _) => glob_match(&pattern[1..], name) || (!name.is_empty() && glob_match(pattern, &name[1..])),
        (Some(b'?'), Some(_)) => glob_match(&pattern[1..], &name[1..]),
        (Some(p), Some(n)) if p == n => glob_match(&pattern[1..], &name[1..]),
        _ => false,
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

/// The `--from` of a recipe, opened: a directory as it is, or a tarball
/// (`docker export`) or an image (exported through the Docker API)
/// unpacked into a private temporary directory, removed on drop.
pub struct Origin {
    pub root: Root,
    /// Bytes of the source's regular files (of an image: its size as Docker reports it).
    pub size: u64,
    _unpacked: Option<tempfile::TempDir>,
}

impl Origin {
    pub fn open(from: &Path) -> Result<Origin> {
        let meta = std::fs::metadata(from);
        if meta.as_ref().is_ok_and(|m| m.is_dir()) {
            return Ok(Origin { root: Root::open(from)?, size: tree_size(from), _unpacked: None });
        }
        let temp = tempfile::Builder::new().prefix("cinch-from-").tempdir()?;
        let dir = temp.path().join("root");
        std::fs::create_dir(&dir)?;
        let size = if meta.as_ref().is_ok_and(|m| m.is_file()) {
            let file = std::fs::File::open(from).map_err(|e| anyhow!("cannot open {}: {e}", from.display()))?;
            unpack(file, &dir).map_err(|e| anyhow!("{}: not a tarball cinch can read: {e}", from.display()))?
        } else {
            let image = from.to_str().ok_or_else(|| anyhow!("--from {}: no such directory or file", from.display()))?;
            let tar_path = temp.path().join("export.tar");
            let mut tar = std::fs::File::create(&tar_path)?;
            let size = crate::docker::export_image(image, &mut tar)?;
            drop(tar);
            unpack(std::fs::File::open(&tar_path)?, &dir)
                .map_err(|e| anyhow!("the files Docker exported of {image} are not a tarball cinch can read: {e}"))?;
            std::fs::remove_file(&tar_path)?;
            size
        };
        Ok(Origin { root: Root::open(&dir)?, size, _unpacked: Some(temp) })
    }
}

/// Unpacks a tarball's directories, regular files and links (owners and
/// modes kept) into `dir`; devices and FIFOs are skipped, and no entry
/// lands outside `dir`. Returns the bytes of its regular files.
fn unpack(reader: impl Read, dir: &Path) -> Result<u64> {
    let mut archive = tar::Archive::new(reader);
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(true);
    archive.set_unpack_xattrs(false);
    archive.set_overwrite(true);
    let mut bytes = 0u64;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_dir() || kind.is_symlink() || kind.is_hard_link()) {
            continue;
        }
        if kind.is_file() {
            bytes += entry.size();
        }
        entry.unpack_in(dir)?;
    }
    Ok(bytes)
}

/// Bytes of the regular files under `dir` (links not followed).
fn tree_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            let Ok(meta) = entry.path().symlink_metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                total += meta.len();
            }
        }
    }
    total
}
