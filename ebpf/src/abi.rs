//! Rust mirror of `bpf/cinch.h`, the single source of truth for what crosses
//! the kernel/user boundary. Nothing here is trusted by hand: the tests in
//! `abi/check.rs` compare every constant with the header's `#define` of the
//! same name (`CINCH_` + name), and every struct's size and field offsets with
//! the BTF of the compiled object, so a change to the header fails them until
//! this file follows.

#[cfg(test)]
mod check;

/// Declares the mirrored constants and [`CONSTANTS`], the table the header
/// check walks (each name without its `CINCH_` prefix).
macro_rules! constants {
    ($($(#[$doc:meta])* $name:ident: $ty:ty = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: $ty = $value;)*
        /// Every constant mirrored from `cinch.h`, by its name there less `CINCH_`.
        pub const CONSTANTS: &[(&str, u64)] = &[$((stringify!($name), $name as u64)),*];
    };
}

constants! {
    MAX_SYSCALLS: u32 = 1024;
    MAX_SLOTS: u32 = 16;
    SLOT_NEW: u32 = 0xffff_ffff;

    MODE_MNTNS: u32 = 1;
    MODE_PIDTREE: u32 = 2;
    MODE_NEW_CONTAINERS: u32 = 3;

    KNOWN_WORKLOAD: u32 = 1 << 16;
    KNOWN_SLOT_MASK: u32 = 0xffff;
    KNOWN_EXECED: u32 = 1 << 17;

    PROC_FOLLOWED: u8 = 1;
    PROC_ARMED: u8 = 2;

    FACT_ARGS: u32 = 1;
    FACT_RAW_NR: u32 = 2;
    FACT_FILE: u32 = 3;
    FACT_EXEC: u32 = 4;
    FACT_NET: u32 = 5;
    FACT_REFUSED: u32 = 6;
    FACT_KILL: u32 = 7;
    MAX_REFUSALS: u32 = 4096;
    COMM: usize = 16;

    ACCESS_READ: u32 = 1 << 0;
    ACCESS_WRITE: u32 = 1 << 1;
    ACCESS_APPEND: u32 = 1 << 2;
    ACCESS_CREATE: u32 = 1 << 3;
    ACCESS_TRUNCATE: u32 = 1 << 4;
    ACCESS_DELETE: u32 = 1 << 5;
    ACCESS_RENAME: u32 = 1 << 6;
    ACCESS_LINK: u32 = 1 << 7;
    ACCESS_CHMOD: u32 = 1 << 8;
    ACCESS_CHOWN: u32 = 1 << 9;
    ACCESS_LIST: u32 = 1 << 10;
    ACCESS_EXEC: u32 = 1 << 11;
    ACCESS_MMAP_EXEC: u32 = 1 << 12;
    ACCESS_PATH: u32 = 1 << 13;
    ACCESS_LOCK: u32 = 1 << 14;
    ACCESS_STAT: u32 = 1 << 15;

    PATH_TRUNCATED: u32 = 1 << 0;
    PATH_OUTSIDE_ROOT: u32 = 1 << 1;
    PATH_DIRECTORY: u32 = 1 << 2;
    PATH_UNRESOLVED: u32 = 1 << 3;
    PATH_CHROOTED: u32 = 1 << 4;
    PATH_IN_PLACE: u32 = 1 << 5;
    PATH_DAC_OVERRIDE: u32 = 1 << 6;
    PATH_DAC_READ_SEARCH: u32 = 1 << 7;
    PATH_GIVEN: u32 = 1 << 8;
    PATH_SCRIPT: u32 = 1 << 9;
    PATH_FOWNER: u32 = 1 << 10;
    PATH_UNCHECKED: u32 = 1 << 11;
    PATH_FSETID: u32 = 1 << 12;
    MAX_GROUPS: u32 = 32;
    PATH_MAX: usize = 4096;
    PATH_DEPTH: usize = 1024;
    COMPAT_PATH_DEPTH: usize = 128;
    PATH_DATA: usize = 16384;
    /// Size of the fixed part of `struct cinch_path_fact`, before `data`.
    PATH_FACT_HEADER: usize = 56;

    NET_BIND: u32 = 1;
    NET_LISTEN: u32 = 2;
    NET_CONNECT: u32 = 3;
    UNIX_PATH: usize = 108;

    STAT_LOST: u32 = 0;
    STAT_NEW_MNTNS: u32 = 1;
    STAT_NO_SLOT: u32 = 2;
    N_STATS: u32 = 4;

    CGROUP_NAME: usize = 96;
}

/// `PROC_SUPER_MAGIC`: the superblock magic of procfs (a kernel constant, not cinch's).
pub const PROC_SUPER_MAGIC: u32 = 0x9fa0;

/// A fixed-layout record that can be read from any bytes of its size.
///
/// # Safety
/// Implement only for `#[repr(C)]` structs of integers and integer arrays,
/// for which every bit pattern is a valid value.
unsafe trait Record: Copy {
    /// Reads one from the start of `bytes`, or None if they are too short.
    fn read(bytes: &[u8]) -> Option<Self> {
        if bytes.len() < std::mem::size_of::<Self>() {
            return None;
        }
        // SAFETY: the length is checked above, read_unaligned copes with any
        // alignment, and the trait's contract makes every bit pattern valid.
        Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<Self>()) })
    }
}

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

// SAFETY: repr(C), integers only.
unsafe impl Record for Fact {}
// SAFETY: repr(C), integers only: every bit pattern is a valid value.
unsafe impl aya::Pod for Fact {}

impl Fact {
    /// Reads a fact from a ring-buffer record, or None if it is too short.
    pub fn from_bytes(bytes: &[u8]) -> Option<Fact> {
        Fact::read(bytes)
    }
}

/// `struct cinch_refusal`: key of the refusals map (the value is a u64 count).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Refusal {
    pub slot: u32,
    pub nr: u32,
    pub error: i32,
    pub tgid: u32,
    pub ns_tgid: u32,
    pub pad: u32,
}

// SAFETY: repr(C), integers only: every bit pattern is a valid value.
unsafe impl aya::Pod for Refusal {}

/// `struct cinch_refusal_fact`: a refusal seen for the first time.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefusalFact {
    pub kind: u32,
    pub pad: u32,
    pub key: Refusal,
    pub comm: [u8; COMM],
}

// SAFETY: repr(C), integers only.
unsafe impl Record for RefusalFact {}

impl RefusalFact {
    /// Reads one from a ring-buffer record, or None if it is too short.
    pub fn from_bytes(bytes: &[u8]) -> Option<RefusalFact> {
        RefusalFact::read(bytes)
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
    pub filtered: u32,
    pub pad: u32,
    pub filtered_cgroup: [u8; CGROUP_NAME],
    pub filtered_cgroup_v1: [u8; CGROUP_NAME],
}

// SAFETY: repr(C), integers only: every bit pattern is a valid value.
unsafe impl aya::Pod for Slot {}

/// The NUL-terminated name in a fixed buffer.
pub fn c_name(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// The fixed part of `struct cinch_path_fact`; its `data` follows, holding
/// the strings whose lengths `len` gives, packed without terminators.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PathFactHeader {
    pub kind: u32,
    pub slot: u32,
    pub access: u32,
    pub error: i32,
    pub flags: u32,
    pub fs_magic: u32,
    pub ns_tgid: u32,
    pub ns_tid: u32,
    /// The process as the host sees it.
    pub tgid: u32,
    /// The caller's filesystem uid and gid, as the host sees them.
    pub fsuid: u32,
    pub fsgid: u32,
    pub pad: u32,
    pub len: [u16; 4],
}

// SAFETY: repr(C), integers only.
unsafe impl Record for PathFactHeader {}

/// A `struct cinch_path_fact` as received: the header, and the strings
/// split out of `data` (its `len` says how long each is).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PathFact {
    pub header: PathFactHeader,
    pub strings: [Vec<u8>; 4],
}

impl PathFact {
    /// Decodes a ring-buffer record: None if it is shorter than its header
    /// or than the strings the header announces.
    pub fn from_bytes(bytes: &[u8]) -> Option<PathFact> {
        let header = PathFactHeader::read(bytes)?;
        let mut data = bytes.get(PATH_FACT_HEADER..)?;
        let mut strings: [Vec<u8>; 4] = Default::default();
        for (string, len) in strings.iter_mut().zip(header.len) {
            let (this, rest) = data.split_at_checked(usize::from(len))?;
            *string = this.to_vec();
            data = rest;
        }
        Some(PathFact { header, strings })
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
    /// `type` in C.
    pub socket_type: u16,
    pub port: u16,
    pub path_len: u16,
    pub addr: [u8; 16],
    pub path: [u8; UNIX_PATH],
    pub pad: u32,
}

// SAFETY: repr(C), integers only.
unsafe impl Record for NetFact {}

impl NetFact {
    /// Reads a fact from a ring-buffer record, or None if it is too short.
    pub fn from_bytes(bytes: &[u8]) -> Option<NetFact> {
        NetFact::read(bytes)
    }
}

/// The kind of a ring-buffer record: every record starts with its `kind`
/// (the BTF check proves the offset is 0 in each struct).
pub fn record_kind(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(..4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of<T: Copy>(value: &T) -> Vec<u8> {
        // SAFETY: reading the bytes of a plain repr(C) value of size_of::<T>() bytes.
        unsafe { std::slice::from_raw_parts((value as *const T).cast::<u8>(), std::mem::size_of::<T>()) }.to_vec()
    }

    fn path_record(header: PathFactHeader, data: &[u8]) -> Vec<u8> {
        let mut record = bytes_of(&header);
        record.extend_from_slice(data);
        record
    }

    #[test]
    fn a_fact_decodes_from_its_bytes_and_not_from_fewer() {
        let fact = Fact { kind: FACT_ARGS, nr: 41, slot: 2, pad: 0, args: [2, 1, 6] };
        let record = bytes_of(&fact);
        assert_eq!(record_kind(&record), Some(FACT_ARGS));
        assert_eq!(Fact::from_bytes(&record), Some(fact));
        assert_eq!(Fact::from_bytes(&record[..record.len() - 1]), None);
        // A record from an unaligned place in the ring buffer decodes too.
        let mut shifted = vec![0u8];
        shifted.extend_from_slice(&record);
        assert_eq!(Fact::from_bytes(&shifted[1..]), Some(fact));
    }

    #[test]
    fn a_path_fact_splits_its_strings_by_the_header_lengths() {
        let header = PathFactHeader {
            kind: FACT_EXEC,
            slot: 1,
            access: ACCESS_EXEC,
            error: 0,
            flags: PATH_TRUNCATED,
            fs_magic: PROC_SUPER_MAGIC,
            ns_tgid: 7,
            ns_tid: 8,
            tgid: 70,
            fsuid: 0,
            fsgid: 0,
            pad: 0,
            len: [9, 4, 0, 7],
        };
        let fact = PathFact::from_bytes(&path_record(header, b"/bin/bashbash/bin/sh")).expect("decodes");
        assert_eq!(fact.strings, [b"/bin/bash".to_vec(), b"bash".to_vec(), Vec::new(), b"/bin/sh".to_vec()]);
        let h = fact.header;
        assert_eq!((h.kind, h.slot, h.access, h.flags), (FACT_EXEC, 1, ACCESS_EXEC, PATH_TRUNCATED));
        assert_eq!((h.fs_magic, h.ns_tgid, h.ns_tid), (PROC_SUPER_MAGIC, 7, 8));
    }

    #[test]
    fn a_path_fact_shorter_than_its_strings_is_refused() {
        let header = PathFactHeader {
            kind: FACT_FILE,
            slot: 0,
            access: ACCESS_READ,
            error: 2,
            flags: PATH_UNRESOLVED,
            fs_magic: 0,
            ns_tgid: 1,
            ns_tid: 1,
            tgid: 1,
            fsuid: 0,
            fsgid: 0,
            pad: 0,
            len: [4, 10, 0, 0],
        };
        assert_eq!(PathFact::from_bytes(&path_record(header, b"/tmpmissing")), None, "given is 7 of 10 bytes");
        let whole = PathFact::from_bytes(&path_record(header, b"/tmpmissing.10")).expect("decodes");
        assert_eq!(whole.header.error, 2);
        assert_eq!(whole.strings[1], b"missing.10");
        assert_eq!(PathFact::from_bytes(&bytes_of(&header)[..PATH_FACT_HEADER - 1]), None);
    }

    #[test]
    fn a_net_fact_decodes_from_its_bytes() {
        let mut fact = NetFact {
            kind: FACT_NET,
            slot: 0,
            op: NET_LISTEN,
            error: 0,
            family: 2,
            socket_type: 1,
            port: 5001,
            path_len: 0,
            addr: [0; 16],
            path: [0; UNIX_PATH],
            pad: 0,
        };
        fact.addr[..4].copy_from_slice(&[127, 0, 0, 1]);
        let record = bytes_of(&fact);
        assert_eq!(record_kind(&record), Some(FACT_NET));
        assert_eq!(NetFact::from_bytes(&record), Some(fact));
        assert_eq!(NetFact::from_bytes(&record[..20]), None);
    }
}
