//! What /proc says about a process: its mount namespace (how cinch identifies
//! a container: cgroup ids do not on every machine) and its command line.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;

/// The inode number of process `pid`'s mount namespace.
pub fn mount_namespace_of(pid: u32) -> io::Result<u32> {
    namespace_inode(&format!("/proc/{pid}/ns/mnt"))
}

/// The inode number of cinch's own mount namespace (the host's, usually).
pub fn own_mount_namespace() -> io::Result<u32> {
    namespace_inode("/proc/self/ns/mnt")
}

fn namespace_inode(path: &str) -> io::Result<u32> {
    let ino = std::fs::metadata(path)?.ino();
    u32::try_from(ino).map_err(|_| io::Error::other(format!("{path}: inode {ino} out of range")))
}

/// Process `pid`'s argv, lossily decoded; empty for kernel threads.
pub fn process_argv(pid: u32) -> io::Result<Vec<String>> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline"))?;
    Ok(raw
        .split(|b| *b == 0)
        .filter(|part| !part.is_empty())
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect())
}

/// The program process `pid` runs, as its own root sees it (`/usr/sbin/nginx`,
/// not the host path of the container's root), and its `comm`. None once the
/// process is gone.
pub fn program_of(pid: u32) -> Option<(String, String)> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?.trim_end().to_string();
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    let root = std::fs::read_link(format!("/proc/{pid}/root")).unwrap_or_else(|_| "/".into());
    let inside = match exe.strip_prefix(&root) {
        Ok(rest) if root != std::path::Path::new("/") => std::path::Path::new("/").join(rest),
        _ => exe,
    };
    Some((inside.to_string_lossy().into_owned(), comm))
}

/// Owner, group and mode (uid and gid as the host sees them) of the file
/// `path` names inside process `pid`'s root, resolved as that process
/// resolves it: symbolic links stay inside its root (`RESOLVE_IN_ROOT`).
/// None once the process or the file is gone.
pub fn stat_in_root_of(pid: u32, path: &[u8]) -> Option<(u32, u32, u32)> {
    use rustix::fs::{Mode, OFlags, ResolveFlags};
    let root = rustix::fs::open(
        format!("/proc/{pid}/root"),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .ok()?;
    let inside = path.strip_prefix(b"/").unwrap_or(path);
    let inside: &[u8] = if inside.is_empty() { b"." } else { inside };
    let file = rustix::fs::openat2(
        &root,
        std::ffi::OsStr::from_bytes(inside),
        OFlags::PATH | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::IN_ROOT,
    )
    .ok()?;
    rustix::fs::fstat(&file).ok().map(|stat| (stat.st_uid, stat.st_gid, stat.st_mode))
}

/// The supplementary groups of process `pid` (the `Groups:` of its status),
/// as the host sees them; empty once it is gone.
pub fn groups_of(pid: u32) -> Vec<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Groups:"))
        .map(|groups| groups.split_whitespace().filter_map(|g| g.parse().ok()).collect())
        .unwrap_or_default()
}
