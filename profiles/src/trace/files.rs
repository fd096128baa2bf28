//! Files and executions in the trace: what the tracer saw ([`FileSeen`],
//! [`ExecSeen`]) and how it is kept ([`FileUse`], [`FailedUse`], [`ExecUse`]).
//!
//! Paths are the absolute paths the container sees, in the byte-exact
//! encoding of [`crate::path`]. A path too long or too deep to walk keeps its
//! end and loses its leading `/` (`mascotnode/results/job-1.dat`) and says
//! `truncated`, so that it can never be taken for a whole path.

use super::Trace;
use crate::path;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// What was done to a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Read,
    Write,
    Append,
    /// Made by the target: open with O_CREAT that created it, mkdir, mknod,
    /// symlink, or the new name of a rename.
    Create,
    Truncate,
    /// unlink or rmdir.
    Delete,
    /// The old name of a rename.
    Rename,
    /// The new name of a hard link.
    Link,
    Chmod,
    Chown,
    /// Its entries were read (getdents).
    List,
    /// Executed (execve).
    Exec,
    /// Mapped executable: a library, the dynamic loader, or an executed
    /// binary (the kernel maps it).
    MmapExec,
    /// Opened with O_PATH: located, not read.
    Path,
    /// A lock was taken on it (flock, or an fcntl set-lock command).
    Lock,
    /// Looked up by name without being opened, successfully: a directory
    /// found by stat, lstat, newfstatat or statx (a file's stat is not
    /// kept), or any name found by access or faccessat. It must exist,
    /// whatever is in it.
    Stat,
}

impl Access {
    /// Whether the access changes the file or its directory: written,
    /// appended, created, truncated, deleted, renamed or linked.
    pub fn is_write(self) -> bool {
        matches!(
            self,
            Access::Write
                | Access::Append
                | Access::Create
                | Access::Truncate
                | Access::Delete
                | Access::Rename
                | Access::Link
        )
    }
}

/// One file the target touched successfully.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileUse {
    pub access: BTreeSet<Access>,
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub directory: bool,
    /// Only the end of the path could be kept (over 4095 bytes or 1024 levels).
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub truncated: bool,
    /// Some access named the file without leaving it open (delete, rename,
    /// mkdir, chmod by name...): the path is the resolved directory joined
    /// with the name as given, so a symlink in that name is not followed.
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub by_name: bool,
    /// The file is not under the target's root (e.g. a file opened by the
    /// runtime before pivot_root): the path is the host's.
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub outside_root: bool,
    /// A chrooted process used it: the path is the mount namespace's (what
    /// AppArmor and the image see), not the name the process gave inside
    /// its chroot.
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub chrooted: bool,
    /// Capabilities the workload's use of it needed: at an open, by its
    /// owner, group and mode the opener had no permission (`dac_override`
    /// to write, `dac_read_search` to read), which the kernel side compared;
    /// at a successful chmod, the caller was not its owner (`fowner`),
    /// compared by the kernel side for fchmod and by the tracer, on the file
    /// in the caller's root, for a chmod by name.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub capabilities: BTreeSet<String>,
    /// Other absolute names the workload opened or executed it by, each
    /// reaching it through a symbolic link (`/lib64/ld-linux-x86-64.so.2`,
    /// `/etc/nginx/sites-enabled/default`, `/bin/sh`): what an image must
    /// spell as links. The kernel side sends the name given with the first
    /// open of the file for each kind of access.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub names: BTreeSet<String>,
    /// In a merged trace: how many runs saw it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
}

impl FileUse {
    /// Whether some access changed the file or its directory ([`Access::is_write`]).
    pub fn is_written(&self) -> bool {
        self.access.iter().any(|a| a.is_write())
    }

    /// Whether the path is whole and inside the target's root: a path the
    /// container sees, that a rule, a volume or an image can use.
    pub fn is_container_path(&self) -> bool {
        !self.outside_root && !self.truncated
    }
}

/// Kernel filesystems the runtime mounts in every container: never part of
/// an image, never a volume.
pub const KERNEL_FILESYSTEMS: &[&[u8]] = &[b"/proc", b"/sys", b"/dev"];

/// A file the target tried and failed to touch; not a need, but worth a look
/// (a workload probing `/etc/ld.so.preload` does not need it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailedUse {
    pub access: BTreeSet<Access>,
    /// Errno names (`ENOENT`, `EACCES`...).
    pub errors: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub truncated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
}

/// A program the target executed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecUse {
    /// `argv[0]` of each execution.
    pub argv0: BTreeSet<String>,
    /// Which tree ran it: the executable of the parent process, [`IN_PLACE`]
    /// when the workload exec'd it in place of its own program, or
    /// [`OUTSIDE`] when the parent is not part of the target (the container
    /// runtime, or cinch starting the command).
    pub parents: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub truncated: bool,
    #[serde(default, skip_serializing_if = "super::is_false")]
    pub outside_root: bool,
    /// Scripts run with it as their `#!` interpreter: each script's path as
    /// given to execve (`/docker-entrypoint.sh`).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub scripts: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runs: Option<u64>,
}

/// `parents` entry for a program started from outside the target.
pub const OUTSIDE: &str = "(outside)";
/// `parents` entry for a program the workload exec'd in place of its own
/// (an entrypoint script's `exec "$@"`, `exec gosu ...`) whose parent is outside.
pub const IN_PLACE: &str = "(exec in place)";

/// How the tracer found a file's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeenPath {
    /// Walked in the kernel from the file itself, up to the task's root.
    Resolved(Vec<u8>),
    /// The call left no file to walk: the directory it was relative to
    /// (walked) and the name as given.
    ByName { base: Vec<u8>, given: Vec<u8> },
}

/// One file observation from the tracer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSeen {
    pub path: SeenPath,
    pub access: BTreeSet<Access>,
    /// The errno when the attempt failed.
    pub error: Option<i32>,
    pub directory: bool,
    pub truncated: bool,
    pub outside_root: bool,
    /// The caller was chrooted: the path is walked to its mount namespace's
    /// root; a name given absolute was resolved from the chroot (the base).
    pub chrooted: bool,
    /// The file is on a procfs (its `/proc/<pid>` names are grouped).
    pub procfs: bool,
    /// The process and thread ids of the caller, as its pid namespace (and
    /// so its /proc) numbers them.
    pub pid: u32,
    pub tid: u32,
    /// Capabilities the access needed (see [`FileUse::capabilities`]).
    pub capabilities: Vec<&'static str>,
    /// The absolute name the call gave, for a resolved path (see [`FileUse::names`]).
    pub given: Option<Vec<u8>>,
}

/// One execution observation from the tracer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecSeen {
    pub path: Vec<u8>,
    pub argv0: Vec<u8>,
    /// The parent's executable when the parent is part of the target.
    pub parent: Option<Vec<u8>>,
    /// The process had already exec'd while traced: the workload ran this
    /// program in place of its own (`exec "$@"`).
    pub in_place: bool,
    pub truncated: bool,
    pub outside_root: bool,
    /// The file name given to execve (see [`FileUse::names`]); with
    /// `script`, the script's, run by this program as its interpreter.
    pub given: Option<Vec<u8>>,
    pub script: bool,
}

/// `given` as another name of `path`: absolute, and not `path` itself spelled differently.
fn other_name(path: &[u8], given: Option<&Vec<u8>>) -> Option<String> {
    let given = given?;
    let normal = path::join_lexically(b"/", given);
    (given.starts_with(b"/") && normal != path).then(|| path::encode(&normal))
}

impl Trace {
    /// Adds a file observation: to `files`, or to `failed_files` with its errno.
    pub fn add_file(&mut self, seen: &FileSeen) {
        let (bytes, by_name) = match &seen.path {
            SeenPath::Resolved(bytes) => (slash_if_empty(bytes), false),
            // A chrooted caller's absolute name is relative to its root, the base.
            SeenPath::ByName { base, given } if seen.chrooted && given.starts_with(b"/") => {
                (path::join_lexically(base, &given[1..]), true)
            }
            SeenPath::ByName { base, given } => (path::join_lexically(base, given), true),
        };
        let bytes = if seen.procfs || (by_name && bytes.starts_with(b"/proc/")) {
            group_proc(&bytes, seen.pid, seen.tid)
        } else {
            bytes
        };
        let key = spelling(&bytes, seen.truncated);
        match seen.error {
            Some(errno) => {
                let entry = self.failed_files.entry(key).or_default();
                entry.access.extend(&seen.access);
                entry.errors.insert(crate::errno::name(errno));
                entry.truncated |= seen.truncated;
            }
            None => {
                let entry = self.files.entry(key).or_default();
                entry.access.extend(&seen.access);
                entry.directory |= seen.directory;
                entry.truncated |= seen.truncated;
                entry.by_name |= by_name;
                entry.outside_root |= seen.outside_root;
                entry.chrooted |= seen.chrooted;
                entry.capabilities.extend(seen.capabilities.iter().map(|c| c.to_string()));
                if !by_name && !seen.chrooted && !seen.truncated {
                    entry.names.extend(other_name(&bytes, seen.given.as_ref()));
                }
            }
        }
    }

    /// Adds an execution; the program is also a file executed and mapped.
    pub fn add_exec(&mut self, seen: &ExecSeen) {
        let key = spelling(&slash_if_empty(&seen.path), seen.truncated);
        let entry = self.executions.entry(key.clone()).or_default();
        entry.argv0.insert(path::encode(&seen.argv0));
        let parent = match &seen.parent {
            Some(parent) => path::encode(&slash_if_empty(parent)),
            None if seen.in_place => IN_PLACE.to_string(),
            None => OUTSIDE.to_string(),
        };
        entry.parents.insert(parent);
        entry.truncated |= seen.truncated;
        entry.outside_root |= seen.outside_root;

        let key_of_exec = key.clone();
        let file = self.files.entry(key).or_default();
        file.access.extend([Access::Exec, Access::MmapExec]);
        file.truncated |= seen.truncated;
        file.outside_root |= seen.outside_root;
        if seen.truncated || seen.outside_root {
            return;
        }
        match &seen.given {
            Some(script) if seen.script && script.starts_with(b"/") => {
                let script = path::encode(&path::join_lexically(b"/", script));
                self.executions.get_mut(&key_of_exec).expect("inserted above").scripts.insert(script);
            }
            Some(_) if seen.script => {}
            given => {
                let name = other_name(&slash_if_empty(&seen.path), given.as_ref());
                self.files.get_mut(&key_of_exec).expect("inserted above").names.extend(name);
            }
        }
    }
}

/// The root directory walks to nothing: it is `/`.
fn slash_if_empty(bytes: &[u8]) -> Vec<u8> {
    if bytes.is_empty() {
        b"/".to_vec()
    } else {
        bytes.to_vec()
    }
}

/// The trace's key for a path: encoded, and without its leading `/` when
/// only its end is known.
fn spelling(bytes: &[u8], truncated: bool) -> String {
    let encoded = path::encode(bytes);
    if truncated {
        encoded.trim_start_matches('/').to_string()
    } else {
        encoded
    }
}

/// `/proc/<pid>/...` of the caller itself becomes `/proc/self/...` (and its
/// own thread's `/proc/thread-self/...`); another process's becomes
/// `/proc/<pid>/...`, literally, since pids differ from run to run. procfs
/// names cannot contain `<`, so nothing real is shadowed.
fn group_proc(bytes: &[u8], pid: u32, tid: u32) -> Vec<u8> {
    let Some(rest) = bytes.strip_prefix(b"/proc/") else { return bytes.to_vec() };
    let (first, tail) = split_first(rest);
    if first.is_empty() || !first.iter().all(u8::is_ascii_digit) {
        return bytes.to_vec();
    }
    let is = |name: &[u8], id: u32| name == id.to_string().as_bytes();
    let mut out = b"/proc/".to_vec();
    if is(first, pid) {
        // /proc/<pid>/task/<tid>/... of its own thread.
        if let Some(task) = tail.strip_prefix(b"/task/") {
            let (thread, after) = split_first(task);
            if is(thread, tid) {
                out.extend_from_slice(b"thread-self");
                out.extend_from_slice(after);
                return out;
            }
            if thread.iter().all(u8::is_ascii_digit) && !thread.is_empty() {
                out.extend_from_slice(b"self/task/<tid>");
                out.extend_from_slice(after);
                return out;
            }
        }
        out.extend_from_slice(b"self");
    } else {
        out.extend_from_slice(b"<pid>");
    }
    out.extend_from_slice(tail);
    out
}

/// `("123", "/status")` from `"123/status"`.
fn split_first(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|b| *b == b'/') {
        Some(at) => bytes.split_at(at),
        None => (bytes, b""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_paths_of_the_caller_become_self() {
        assert_eq!(group_proc(b"/proc/42/status", 42, 42), b"/proc/self/status");
        assert_eq!(group_proc(b"/proc/42", 42, 42), b"/proc/self");
        assert_eq!(group_proc(b"/proc/42/task/43/comm", 42, 43), b"/proc/thread-self/comm");
        assert_eq!(group_proc(b"/proc/42/task/44/comm", 42, 43), b"/proc/self/task/<tid>/comm");
        assert_eq!(group_proc(b"/proc/7/cmdline", 42, 42), b"/proc/<pid>/cmdline");
        assert_eq!(group_proc(b"/proc/sys/kernel/osrelease", 42, 42), b"/proc/sys/kernel/osrelease");
        assert_eq!(group_proc(b"/proc/4a/x", 42, 42), b"/proc/4a/x");
    }

    #[test]
    fn truncated_paths_lose_their_leading_slash() {
        assert_eq!(spelling(b"/a/b", true), "a/b");
        assert_eq!(spelling(b"/a/b", false), "/a/b");
    }
}
