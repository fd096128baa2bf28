//! AA004 missing-protective-deny.

use super::{allows, denies, is_everything, writes};
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::apparmor::Statement;

pub static RULE: Rule = Rule {
    id: "AA004",
    name: "missing-protective-deny",
    group: Group::Apparmor,
    severity: Severity::Warning,
    summary: "broad allows without docker-default's mount, /proc or /sys denies",
    doc: "\
What it checks: when a profile allows broadly (a `mount` rule; `file,` or a write rule on
`/**`), it also has the denies Docker's docker-default profile has: `deny mount,`, a deny on
`@{PROC}` writes (sys, sysrq-trigger, kcore...) and a deny on `/sys` writes.

Why it matters: AppArmor denies what it does not allow, so a tight allowlist needs no deny.
A broad one does: `file,` alone lets the container write /proc/sysrq-trigger and /sys.

Example:
    bad:  file,
          mount,
    good: file,
          deny mount,
          deny @{PROC}/sysrq-trigger rwklx,
          deny /sys/[^f]*/** wklx,",
};

pub fn check(statements: &[Statement], c: &mut Check) {
    let deny_paths: Vec<&str> = denies(statements).filter_map(|r| r.file().map(|(p, _)| p.trim_matches('"'))).collect();
    if let Some(mount) = allows(statements).find(|r| matches!(r.keyword(), "mount" | "remount" | "umount")) {
        if !denies(statements).any(|r| r.keyword() == "mount") {
            c.report(
                &RULE,
                mount.pos,
                "mount is allowed and nothing denies mounting: add `deny mount,` or remove the rule",
            );
        }
    }
    let broad = allows(statements).find(|r| {
        (r.keyword() == "file" && r.words.len() == 1)
            || r.file().is_some_and(|(p, perms)| is_everything(p) && writes(perms))
    });
    let Some(broad) = broad else { return };
    if !deny_paths.iter().any(|p| p.starts_with("@{PROC}") || p.starts_with("/proc")) {
        c.report(
            &RULE,
            broad.pos,
            "this broad rule lets the container write /proc (sysrq-trigger, sys/): add docker-default's @{PROC} denies",
        );
    }
    if !deny_paths.iter().any(|p| p.starts_with("/sys")) {
        c.report(&RULE, broad.pos, "this broad rule lets the container write /sys: add docker-default's /sys denies");
    }
}
