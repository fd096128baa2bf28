//! SEC005 unknown-syscall.

use super::{entries, known_syscall};
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "SEC005",
    name: "unknown-syscall",
    group: Group::Seccomp,
    severity: Severity::Warning,
    summary: "a syscall name no architecture has",
    doc: "\
What it checks: every name in `names` is a syscall of some architecture (x86_64, x86,
aarch64, arm, riscv64, s390x, ppc64, mips, loongarch64, sparc64) or one of libseccomp's own
names.

Why it matters: runc skips names libseccomp does not know, silently. A typo (`opneat`) is a
rule that does nothing: the call it meant stays denied, or, in a denylist, stays allowed.

Example:
    bad:  {\"names\": [\"opneat\"], \"action\": \"SCMP_ACT_ALLOW\"}
    good: {\"names\": [\"openat\"], \"action\": \"SCMP_ACT_ALLOW\"}",
};

pub fn check(profile: &Node, c: &mut Check) {
    for entry in entries(profile) {
        for (name, pos) in &entry.names {
            if !known_syscall(name) {
                c.report(&RULE, *pos, format!("{name:?} is not a syscall of any architecture: runc skips it"));
            }
        }
    }
}
