//! The same calls under another architecture's syscall table. aarch64 (like
//! every newer port) has only the generic table: the legacy calls x86_64
//! keeps (`open`, `stat`, `fork`, `poll`, `dup2`...) do not exist there, and
//! the C library makes their `*at`, `2`/`3`/`4`, `p*` forms instead. A trace
//! from one architecture says what the workload does; a profile for the
//! other must allow what the same program calls there.
//!
//! Most equivalents are found from the tables themselves, by the kernel's
//! naming: for a call the target lacks, the first of `NAMEat`, `fNAMEat`,
//! `NAMEat2`, `NAME64`, `NAME2`, `NAME4`, `NAME1`, `pNAME` that the target
//! has (`open`→`openat`, `chmod`→`fchmodat`, `rename`→`renameat`,
//! `getdents`→`getdents64`, `pipe`→`pipe2`, `signalfd`→`signalfd4`,
//! `inotify_init`→`inotify_init1`, `poll`→`ppoll`). [`IRREGULAR`] lists the
//! few the naming does not give; a test checks every entry against both
//! tables. Going the other way (a generic name the legacy table also has),
//! the legacy calls that map to it are added too: glibc on x86_64 still
//! makes `poll`, `pipe`, `dup2`, `fork` where aarch64's makes the new ones.

use crate::arch::Arch;
use std::collections::{BTreeMap, BTreeSet};

/// Legacy calls whose generic equivalents the naming does not give, with
/// what the C library calls in their place on a generic-table architecture.
pub const IRREGULAR: &[(&str, &[&str])] = &[
    ("stat", &["newfstatat"]),
    ("lstat", &["newfstatat"]),
    ("lchown", &["fchownat"]),
    ("rmdir", &["unlinkat"]),
    ("creat", &["openat"]),
    ("dup2", &["dup3"]),
    ("select", &["pselect6"]),
    ("epoll_wait", &["epoll_pwait"]),
    ("fork", &["clone"]),
    ("vfork", &["clone"]),
    ("utime", &["utimensat"]),
    ("utimes", &["utimensat"]),
    ("futimesat", &["utimensat"]),
    ("alarm", &["setitimer"]),
    ("pause", &["ppoll"]),
    ("time", &["clock_gettime"]),
    ("getpgrp", &["getpgid"]),
    ("access", &["faccessat"]),
];

/// Name patterns tried, in order, for a call the target lacks.
const PATTERNS: &[(&str, &str)] =
    &[("", "at"), ("f", "at"), ("", "at2"), ("", "64"), ("", "2"), ("", "4"), ("", "1"), ("p", "")];

/// What `name` (a call of `from`) is on `to`: itself if `to` has it, else
/// its equivalents; empty if `to` has none (x86_64's `arch_prctl`, `iopl`).
pub fn equivalents(name: &str, from: Arch, to: Arch) -> Vec<String> {
    if to.syscall_number(name).is_some() || from == to {
        return vec![name.to_string()];
    }
    if let Some((_, names)) = IRREGULAR.iter().find(|(legacy, _)| *legacy == name) {
        return names.iter().filter(|n| to.syscall_number(n).is_some()).map(|n| n.to_string()).collect();
    }
    PATTERNS
        .iter()
        .map(|(prefix, suffix)| format!("{prefix}{name}{suffix}"))
        .find(|candidate| to.syscall_number(candidate).is_some())
        .into_iter()
        .collect()
}

/// A set of calls seen on `from`, as `to` needs them: each name's
/// [`equivalents`], plus, where `to` has legacy calls `from` lacks, the
/// legacy calls whose equivalents on `from` were seen. Returns the set and
/// the translations made (`open -> openat`), and the names `to` has no
/// equivalent for.
pub fn translate<'a>(
    names: impl IntoIterator<Item = &'a str>,
    from: Arch,
    to: Arch,
) -> (BTreeSet<String>, BTreeMap<String, Vec<String>>, Vec<String>) {
    let mut out = BTreeSet::new();
    let mut made = BTreeMap::new();
    let mut dropped = Vec::new();
    let names: BTreeSet<&str> = names.into_iter().collect();
    for name in &names {
        let eq = equivalents(name, from, to);
        if eq.is_empty() {
            dropped.push(name.to_string());
        } else if eq != [name.to_string()] {
            made.insert(name.to_string(), eq.clone());
        }
        out.extend(eq);
    }
    if from != to {
        // The legacy calls of `to` (absent from `from`) that stand for a call seen.
        for legacy in legacy_calls(to, from) {
            let eq = equivalents(legacy, to, from);
            if !eq.is_empty() && eq.iter().all(|e| names.contains(e.as_str())) && out.insert(legacy.to_string()) {
                made.entry(eq.join("+")).or_insert_with(Vec::new).push(legacy.to_string());
            }
        }
    }
    (out, made, dropped)
}

/// Calls `arch` has that `other` lacks, in table order.
fn legacy_calls(arch: Arch, other: Arch) -> Vec<&'static str> {
    (0..1024).filter_map(|nr| arch.syscall_name(nr)).filter(|n| other.syscall_number(n).is_none()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_irregular_entry_is_a_legacy_call_with_generic_equivalents() {
        for (legacy, generic) in IRREGULAR {
            assert!(Arch::X86_64.syscall_number(legacy).is_some(), "{legacy} is not an x86_64 call");
            assert!(Arch::Aarch64.syscall_number(legacy).is_none(), "{legacy} exists on aarch64: not legacy");
            for g in *generic {
                assert!(Arch::Aarch64.syscall_number(g).is_some(), "{g} is not an aarch64 call");
            }
        }
    }

    #[test]
    fn legacy_calls_become_what_the_generic_table_has() {
        let eq = |n: &str| equivalents(n, Arch::X86_64, Arch::Aarch64);
        for (legacy, generic) in [
            ("open", "openat"),
            ("chmod", "fchmodat"),
            ("chown", "fchownat"),
            ("mkdir", "mkdirat"),
            ("unlink", "unlinkat"),
            ("rename", "renameat"),
            ("readlink", "readlinkat"),
            ("symlink", "symlinkat"),
            ("link", "linkat"),
            ("mknod", "mknodat"),
            ("getdents", "getdents64"),
            ("pipe", "pipe2"),
            ("poll", "ppoll"),
            ("eventfd", "eventfd2"),
            ("signalfd", "signalfd4"),
            ("inotify_init", "inotify_init1"),
            ("epoll_create", "epoll_create1"),
            ("stat", "newfstatat"),
            ("dup2", "dup3"),
            ("fork", "clone"),
            ("access", "faccessat"),
        ] {
            assert_eq!(eq(legacy), [generic], "{legacy}");
        }
        assert_eq!(eq("read"), ["read"]);
        // The kernel's and libseccomp's name for aarch64's 79, not the crate's `fstatat`.
        assert_eq!(Arch::Aarch64.syscall_number("newfstatat"), Some(79));
        assert_eq!(Arch::Aarch64.syscall_name(79), Some("newfstatat"));
        assert_eq!(Arch::Aarch64.syscall_number("fstatat"), None);
        assert!(eq("arch_prctl").is_empty());
        assert_eq!(equivalents("openat", Arch::Aarch64, Arch::X86_64), ["openat"]);
    }

    #[test]
    fn a_translated_set_lists_what_it_made_and_dropped_and_the_way_back_adds_legacy_calls() {
        let (set, made, dropped) = translate(["open", "read", "arch_prctl", "fork"], Arch::X86_64, Arch::Aarch64);
        assert_eq!(set.into_iter().collect::<Vec<_>>(), ["clone", "openat", "read"]);
        assert_eq!(made["open"], ["openat"]);
        assert_eq!(dropped, ["arch_prctl"]);
        // Every legacy call x86_64 has is covered: by the naming or IRREGULAR, or it is x86-only.
        let (back, _, _) = translate(["openat", "ppoll", "clone", "dup3"], Arch::Aarch64, Arch::X86_64);
        for legacy in ["open", "poll", "fork", "vfork", "dup2", "creat"] {
            assert!(back.contains(legacy), "{legacy} missing from {back:?}");
        }
        assert!(!back.contains("stat"), "newfstatat was not seen: {back:?}");
    }
}
