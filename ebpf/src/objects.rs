//! Which of the committed eBPF objects this host loads, and why: one per
//! architecture (the syscall registers differ), each in two builds of the
//! same C source (`bpf/compat.bpf.h`): the full one, for kernels with
//! task-local storage, `bpf_loop`, `bpf_find_vma` and
//! `bpf_get_current_task_btf`, and the compatibility one for kernels that
//! lack any of them (Debian 11's 5.10). What the running kernel offers is
//! read from the names in its BTF (`/sys/kernel/btf/vmlinux`): the helpers of
//! `enum bpf_func_id` and the map types of `enum bpf_map_type` it knows.

use cinch_profiles::Arch;
use std::collections::HashSet;

/// A committed object (see `build-bpf.sh`; CI checks each matches its source).
pub struct BpfObject {
    pub arch: Arch,
    /// Built with `-DCINCH_COMPAT`.
    pub compat: bool,
    /// Its file name under `ebpf/bpf/`.
    pub name: &'static str,
    pub bytes: &'static [u8],
}

impl std::fmt::Debug for BpfObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

pub const OBJECTS: [BpfObject; 4] = [
    BpfObject {
        arch: Arch::X86_64,
        compat: false,
        name: "cinch-x86_64.bpf.o",
        bytes: include_bytes!("../bpf/cinch-x86_64.bpf.o"),
    },
    BpfObject {
        arch: Arch::X86_64,
        compat: true,
        name: "cinch-x86_64-compat.bpf.o",
        bytes: include_bytes!("../bpf/cinch-x86_64-compat.bpf.o"),
    },
    BpfObject {
        arch: Arch::Aarch64,
        compat: false,
        name: "cinch-aarch64.bpf.o",
        bytes: include_bytes!("../bpf/cinch-aarch64.bpf.o"),
    },
    BpfObject {
        arch: Arch::Aarch64,
        compat: true,
        name: "cinch-aarch64-compat.bpf.o",
        bytes: include_bytes!("../bpf/cinch-aarch64-compat.bpf.o"),
    },
];

/// A kernel feature the objects use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Feature {
    /// How the trace and the messages name it.
    pub name: &'static str,
    /// The name in the kernel's BTF that says it is there.
    btf_name: &'static str,
    /// The Linux release that brought it.
    pub since: &'static str,
    /// Whether the compatibility object does without it (else nothing loads).
    pub optional: bool,
    /// What a trace loses without it (empty: nothing but speed).
    pub loss: &'static str,
}

/// Every feature probed, in the order messages list them.
pub const FEATURES: &[Feature] = &[
    Feature { name: "ring buffer", btf_name: "BPF_MAP_TYPE_RINGBUF", since: "5.8", optional: false, loss: "" },
    Feature { name: "tp_btf programs", btf_name: "BPF_TRACE_RAW_TP", since: "5.5", optional: false, loss: "" },
    Feature {
        name: "bpf_loop",
        btf_name: "BPF_FUNC_loop",
        since: "5.17",
        optional: true,
        // abi::COMPAT_PATH_DEPTH (a test checks the number).
        loss: "paths deeper than 128 directories are marked truncated",
    },
    Feature { name: "bpf_find_vma", btf_name: "BPF_FUNC_find_vma", since: "5.17", optional: true, loss: "" },
    Feature { name: "task storage", btf_name: "BPF_MAP_TYPE_TASK_STORAGE", since: "5.11", optional: true, loss: "" },
    Feature {
        name: "bpf_get_current_task_btf",
        btf_name: "BPF_FUNC_get_current_task_btf",
        since: "5.11",
        optional: true,
        loss: "",
    },
];

/// The features of [`FEATURES`] a kernel whose BTF holds `names` lacks.
pub fn missing_features(names: &HashSet<&[u8]>) -> Vec<&'static Feature> {
    FEATURES.iter().filter(|f| !names.contains(f.btf_name.as_bytes())).collect()
}

/// The strings of a raw BTF blob (the names of every type, member and enum
/// value), or None if it is not BTF.
pub fn btf_names(btf: &[u8]) -> Option<HashSet<&[u8]>> {
    let u32_at = |at: usize| btf.get(at..at + 4).map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")));
    if btf.get(..2)? != 0xeb9f_u16.to_le_bytes() {
        return None;
    }
    let header_len = u32_at(4)? as usize;
    let (str_off, str_len) = (u32_at(16)? as usize, u32_at(20)? as usize);
    let start = header_len.checked_add(str_off)?;
    let strings = btf.get(start..start.checked_add(str_len)?)?;
    Some(strings.split(|b| *b == 0).filter(|s| !s.is_empty()).collect())
}

/// The object for `arch` on a kernel lacking `missing`: the full one when
/// nothing is missing (and `force_compat` is off), else the compatibility
/// one, unless a feature it needs too is missing (then the error names them).
pub fn choose(
    arch: Arch,
    missing: &[&'static Feature],
    force_compat: bool,
) -> Result<&'static BpfObject, Vec<&'static Feature>> {
    let fatal: Vec<&'static Feature> = missing.iter().copied().filter(|f| !f.optional).collect();
    if !fatal.is_empty() {
        return Err(fatal);
    }
    let compat = force_compat || !missing.is_empty();
    Ok(OBJECTS.iter().find(|o| o.arch == arch && o.compat == compat).expect("an object per arch and build"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn btf_with(strings: &[&str]) -> Vec<u8> {
        let mut blob: Vec<u8> = vec![0];
        for s in strings {
            blob.extend_from_slice(s.as_bytes());
            blob.push(0);
        }
        let mut btf = Vec::new();
        btf.extend_from_slice(&0xeb9f_u16.to_le_bytes());
        btf.extend_from_slice(&[1, 0]);
        for v in [24u32, 0, 0, 0, blob.len() as u32] {
            btf.extend_from_slice(&v.to_le_bytes());
        }
        btf.extend_from_slice(&blob);
        btf
    }

    #[test]
    fn a_kernel_with_everything_gets_the_full_object_and_5_10_the_compat_one() {
        let all: Vec<&str> = FEATURES.iter().map(|f| f.btf_name).collect();
        let btf = btf_with(&all);
        let names = btf_names(&btf).expect("BTF");
        assert!(missing_features(&names).is_empty());
        let full = choose(Arch::X86_64, &missing_features(&names), false).unwrap();
        assert_eq!((full.name, full.compat), ("cinch-x86_64.bpf.o", false));
        assert!(choose(Arch::Aarch64, &[], true).unwrap().compat);
        // 5.10: a ring buffer and tp_btf, none of the newer helpers.
        let btf = btf_with(&["BPF_MAP_TYPE_RINGBUF", "BPF_TRACE_RAW_TP", "BPF_FUNC_loop_other"]);
        let missing = missing_features(&btf_names(&btf).unwrap());
        let lacking: Vec<&str> = missing.iter().map(|f| f.name).collect();
        assert_eq!(lacking, ["bpf_loop", "bpf_find_vma", "task storage", "bpf_get_current_task_btf"]);
        assert_eq!(choose(Arch::Aarch64, &missing, false).unwrap().name, "cinch-aarch64-compat.bpf.o");
        // 5.4: no ring buffer at all.
        let btf = btf_with(&["BPF_TRACE_RAW_TP"]);
        let fatal = choose(Arch::X86_64, &missing_features(&btf_names(&btf).unwrap()), false).unwrap_err();
        assert_eq!(fatal.iter().map(|f| f.name).collect::<Vec<_>>(), ["ring buffer"]);
        assert_eq!(btf_names(b"not btf at all"), None);
    }

    #[test]
    fn the_loss_named_is_the_compat_objects_depth() {
        let bpf_loop = FEATURES.iter().find(|f| f.name == "bpf_loop").unwrap();
        assert!(bpf_loop.loss.contains(&format!(" {} ", crate::abi::COMPAT_PATH_DEPTH)), "{}", bpf_loop.loss);
    }

    #[test]
    fn this_hosts_kernel_btf_names_the_features() {
        let Ok(btf) = std::fs::read("/sys/kernel/btf/vmlinux") else { return };
        let names = btf_names(&btf).expect("the kernel's BTF parses");
        assert!(names.contains(b"task_struct".as_slice()));
    }
}
