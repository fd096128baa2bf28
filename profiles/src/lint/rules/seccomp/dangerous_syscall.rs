//! SEC002 dangerous-syscall.

use super::entries;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "SEC002",
    name: "dangerous-syscall",
    group: Group::Seccomp,
    severity: Severity::Error,
    summary: "a syscall that can break out of the container is allowed without an argument filter",
    doc: "\
What it checks: an allowing entry (`SCMP_ACT_ALLOW` or `SCMP_ACT_LOG`, with no `args`
and not limited to containers given a capability with `includes.caps`) lists one of: the mount
family and the new mount API, kexec, module loading, bpf, the keyctl family, unshare, setns,
clone (unfiltered) and clone3, open_by_handle_at, perf_event_open, userfaultfd, io_uring,
iopl/ioperm, reboot, swapon/swapoff, clock setting (clock_settime, settimeofday, stime; not
clock_adjtime, whose read-only use is common and whose changes the kernel checks for
CAP_SYS_TIME), or personality (unfiltered).

Why it matters: these are how container escapes and kernel exploits start: new namespaces and
mounts, kernel code, other processes' keys, raw hardware. Docker's default profile allows them
only with `CAP_SYS_ADMIN` and friends, or with argument filters (clone without namespace
flags, personality for known values). A workload that really needs one should say so in a
rule with conditions.

Example:
    bad:  {\"names\": [\"mount\", \"read\"], \"action\": \"SCMP_ACT_ALLOW\"}
    good: {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},
          {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\",
           \"args\": [{\"index\": 0, \"value\": 2114060288, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}",
};

/// Syscall → what it gives.
pub const DANGEROUS: &[(&str, &str)] = &[
    ("mount", "mounts filesystems (mount family)"),
    ("umount", "unmounts filesystems (mount family)"),
    ("umount2", "unmounts filesystems (mount family)"),
    ("pivot_root", "changes the root filesystem (mount family)"),
    ("move_mount", "the new mount API"),
    ("open_tree", "the new mount API"),
    ("fsopen", "the new mount API"),
    ("fsconfig", "the new mount API"),
    ("fsmount", "the new mount API"),
    ("fspick", "the new mount API"),
    ("mount_setattr", "the new mount API"),
    ("kexec_load", "boots another kernel"),
    ("kexec_file_load", "boots another kernel"),
    ("init_module", "loads kernel modules"),
    ("finit_module", "loads kernel modules"),
    ("delete_module", "unloads kernel modules"),
    ("create_module", "creates kernel modules"),
    ("bpf", "loads BPF programs into the kernel"),
    ("keyctl", "the kernel keyring, which is not namespaced (keyctl family)"),
    ("add_key", "the kernel keyring, which is not namespaced (keyctl family)"),
    ("request_key", "the kernel keyring, which is not namespaced (keyctl family)"),
    ("unshare", "creates namespaces"),
    ("setns", "joins other namespaces"),
    ("clone", "creates namespaces when its flags are not filtered"),
    ("clone3", "creates namespaces (its flags cannot be filtered: answer ENOSYS instead)"),
    ("open_by_handle_at", "opens host files by handle (the 'shocker' escape)"),
    ("perf_event_open", "observes the whole system and has a history of kernel bugs"),
    ("userfaultfd", "a favourite tool of kernel exploits"),
    ("io_uring_setup", "io_uring: bypasses seccomp for the calls it submits"),
    ("io_uring_enter", "io_uring: bypasses seccomp for the calls it submits"),
    ("io_uring_register", "io_uring: bypasses seccomp for the calls it submits"),
    ("iopl", "raw I/O port access"),
    ("ioperm", "raw I/O port access"),
    ("reboot", "reboots the host"),
    ("swapon", "changes the host's swap"),
    ("swapoff", "changes the host's swap"),
    ("clock_settime", "sets the host's clock"),
    ("clock_settime64", "sets the host's clock"),
    ("settimeofday", "sets the host's clock"),
    ("stime", "sets the host's clock"),
    ("personality", "changes the execution domain (e.g. turns off ASLR) when its argument is not filtered"),
];

pub fn check(profile: &Node, c: &mut Check) {
    for entry in entries(profile) {
        if !entry.allows_unfiltered() {
            continue;
        }
        for (name, pos) in &entry.names {
            if let Some((_, why)) = DANGEROUS.iter().find(|(d, _)| d == name) {
                c.report(&RULE, *pos, format!("{name} is allowed without an argument filter: it {why}"));
            }
        }
    }
}
