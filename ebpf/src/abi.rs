//! Rust mirror of `bpf/cinch.h`, the single source of truth for what crosses
//! the kernel/user boundary. Keep the two in step; the size assertion catches
//! a layout that drifted.

pub const MAX_SYSCALLS: u32 = 1024;

pub const MODE_MNTNS: u32 = 1;
pub const MODE_PIDTREE: u32 = 2;

pub const PROC_FOLLOWED: u8 = 1;
pub const PROC_ARMED: u8 = 2;

pub const FACT_ARGS: u32 = 1;
pub const FACT_RAW_NR: u32 = 2;

pub const STAT_LOST: u32 = 0;
pub const STAT_PROCESSES: u32 = 1;
pub const STAT_NEW_MNTNS: u32 = 2;

/// `struct cinch_fact`: one first-seen fact from the ring buffer.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    pub kind: u32,
    pub nr: u32,
    pub args: [u64; 3],
}

const _: () = assert!(std::mem::size_of::<Fact>() == 32);

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
