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
