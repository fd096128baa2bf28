//! Rust mirror of `bpf/cinch.h`, the single source of truth for what crosses
//! the kernel/user boundary. Keep the two in step; the size assertions catch
//! a layout that drifted.

pub const MAX_SYSCALLS: u32 = 1024;
pub const MAX_SLOTS: u32 = 16;

pub const MODE_MNTNS: u32 = 1;
pub const MODE_PIDTREE: u32 = 2;
pub const MODE_NEW_CONTAINERS: u32 = 3;

pub const PROC_FOLLOWED: u8 = 1;
pub const PROC_ARMED: u8 = 2;

pub const FACT_ARGS: u32 = 1;
pub const FACT_RAW_NR: u32 = 2;

pub const STAT_LOST: u32 = 0;
pub const STAT_NEW_MNTNS: u32 = 1;
pub const STAT_NO_SLOT: u32 = 2;

pub const CGROUP_NAME: usize = 96;

/// `struct cinch_fact`: one first-seen fact from the ring buffer.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    pub kind: u32,
    pub nr: u32,
    pub slot: u32,
    pub pad: u32,
    pub args: [u64; 3],
}

const _: () = assert!(std::mem::size_of::<Fact>() == 40);

// SAFETY: plain old data, every bit pattern is a valid value.
unsafe impl aya::Pod for Fact {}

impl Fact {
    /// Reads a fact from a ring-buffer record, or None if it is too short.
    pub fn from_bytes(bytes: &[u8]) -> Option<Fact> {
        if bytes.len() < std::mem::size_of::<Fact>() {
            return None;
        }
        // SAFETY: length checked above; read_unaligned copes with any alignment.
        Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<Fact>()) })
    }
}

/// `struct cinch_slot`: what is known of one container's slot.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    pub mntns: u32,
    pub creator_tgid: u32,
    pub processes: u64,
    pub cgroup: [u8; CGROUP_NAME],
    pub cgroup_v1: [u8; CGROUP_NAME],
}

const _: () = assert!(std::mem::size_of::<Slot>() == 16 + 2 * CGROUP_NAME);

// SAFETY: plain old data, every bit pattern is a valid value.
unsafe impl aya::Pod for Slot {}

/// The NUL-terminated name in a fixed buffer.
pub fn c_name(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

pub const FACT_FILE: u32 = 3;
pub const FACT_EXEC: u32 = 4;
pub const FACT_NET: u32 = 5;

pub const ACCESS_READ: u32 = 1 << 0;
pub const ACCESS_WRITE: u32 = 1 << 1;
pub const ACCESS_APPEND: u32 = 1 << 2;
pub const ACCESS_CREATE: u32 = 1 << 3;
pub const ACCESS_TRUNCATE: u32 = 1 << 4;
pub const ACCESS_DELETE: u32 = 1 << 5;
pub const ACCESS_RENAME: u32 = 1 << 6;
pub const ACCESS_LINK: u32 = 1 << 7;
pub const ACCESS_CHMOD: u32 = 1 << 8;
pub const ACCESS_CHOWN: u32 = 1 << 9;
pub const ACCESS_LIST: u32 = 1 << 10;
pub const ACCESS_EXEC: u32 = 1 << 11;
pub const ACCESS_MMAP_EXEC: u32 = 1 << 12;
pub const ACCESS_PATH: u32 = 1 << 13;
pub const ACCESS_LOCK: u32 = 1 << 14;

pub const PATH_TRUNCATED: u32 = 1 << 0;
pub const PATH_OUTSIDE_ROOT: u32 = 1 << 1;
pub const PATH_DIRECTORY: u32 = 1 << 2;
pub const PATH_UNRESOLVED: u32 = 1 << 3;

pub const NET_BIND: u32 = 1;
pub const NET_LISTEN: u32 = 2;
pub const NET_CONNECT: u32 = 3;

/// `PROC_SUPER_MAGIC`: the superblock magic of procfs.
pub const PROC_SUPER_MAGIC: u32 = 0x9fa0;

/// `struct cinch_path_fact`, header decoded and strings split out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PathFact {
    pub kind: u32,
    pub slot: u32,
    pub access: u32,
    pub error: i32,
    pub flags: u32,
    pub fs_magic: u32,
    pub ns_tgid: u32,
    pub ns_tid: u32,
    pub strings: [Vec<u8>; 3],
}

/// Size of the fixed part of `struct cinch_path_fact` (CINCH_PATH_FACT_HEADER).
pub const PATH_FACT_HEADER: usize = 40;

impl PathFact {
    pub fn from_bytes(bytes: &[u8]) -> Option<PathFact> {
        let u32_at = |at: usize| bytes.get(at..at + 4).map(|b| u32::from_ne_bytes(b.try_into().expect("4")));
        let u16_at = |at: usize| bytes.get(at..at + 2).map(|b| u16::from_ne_bytes(b.try_into().expect("2")));
        let mut strings: [Vec<u8>; 3] = Default::default();
        let mut at = PATH_FACT_HEADER;
        for (i, string) in strings.iter_mut().enumerate() {
            let len = usize::from(u16_at(32 + 2 * i)?);
            *string = bytes.get(at..at + len)?.to_vec();
            at += len;
        }
        Some(PathFact {
            kind: u32_at(0)?,
            slot: u32_at(4)?,
            access: u32_at(8)?,
            error: u32_at(12)? as i32,
            flags: u32_at(16)?,
            fs_magic: u32_at(20)?,
            ns_tgid: u32_at(24)?,
            ns_tid: u32_at(28)?,
            strings,
        })
    }
}

/// `struct cinch_net_fact`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct NetFact {
    pub kind: u32,
    pub slot: u32,
    pub op: u32,
    pub error: i32,
    pub family: u16,
    pub socket_type: u16,
    pub port: u16,
    pub path_len: u16,
    pub addr: [u8; 16],
    pub path: [u8; UNIX_PATH],
    pub pad: u32,
}

pub const UNIX_PATH: usize = 108;

const _: () = assert!(std::mem::size_of::<NetFact>() == 24 + 16 + UNIX_PATH + 4);

impl NetFact {
    pub fn from_bytes(bytes: &[u8]) -> Option<NetFact> {
        if bytes.len() < std::mem::size_of::<NetFact>() {
            return None;
        }
        // SAFETY: length checked above; read_unaligned copes with any alignment,
        // and every bit pattern is a valid NetFact.
        Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<NetFact>()) })
    }
}
