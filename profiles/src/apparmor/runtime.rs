//! Rules every container profile carries whatever the workload did: the
//! signals the runtime sends to stop the container, and the protective
//! denies of Docker's `docker-default` profile (mount, writes to /proc and
//! /sys, sysrq-trigger, kcore, kernel memory). A deny wins over any allow, so
//! these hold even if a rule above would have let the access through.

use super::Section;

/// `docker stop` and `docker kill` signal the container from outside
/// (dockerd, or runc/crun when they run under a profile of their own).
pub fn stop_signals() -> Section {
    Section {
        comment: "Docker and the runtime stop the container with signals.".into(),
        rules: vec![
            "signal (receive) peer=unconfined,".into(),
            "signal (receive) peer=runc,".into(),
            "signal (receive) peer=crun,".into(),
        ],
    }
}

/// Written writes that these denies refuse, so a generator can warn: the
/// prefixes of [`protective_denies`] that a workload could plausibly write.
pub fn denied_write(path: &[u8]) -> bool {
    let proc_top_file = path.strip_prefix(b"/proc/").is_some_and(|rest| !rest.contains(&b'/') && !rest.is_empty());
    let sys = path.starts_with(b"/sys/") && !path.starts_with(b"/sys/fs/cgroup/");
    let proc_sys = path.starts_with(b"/proc/sys/") && !path.starts_with(b"/proc/sys/kernel/shm");
    proc_top_file || sys || proc_sys
}

pub fn protective_denies() -> Section {
    let rules = [
        "deny mount,",
        // Files directly in /proc, and anything outside /proc/<pid>/ and /proc/sys/.
        "deny @{PROC}/* w,",
        "deny @{PROC}/{[^1-9/],[^1-9/][^0-9/],[^1-9s/][^0-9y/][^0-9s/],[^1-9/][^0-9/][^0-9/][^0-9/]*}/** w,",
        // /proc/sys except the shm* settings of /proc/sys/kernel.
        "deny @{PROC}/sys/[^k]** w,",
        "deny @{PROC}/sys/kernel/{?,??,[^s][^h][^m]**} w,",
        "deny @{PROC}/sysrq-trigger rwklx,",
        "deny @{PROC}/kcore rwklx,",
        "deny @{PROC}/mem rwklx,",
        "deny @{PROC}/kmem rwklx,",
        // /sys, except the cgroup filesystem.
        "deny /sys/[^f]*/** wklx,",
        "deny /sys/f[^s]*/** wklx,",
        "deny /sys/fs/[^c]*/** wklx,",
        "deny /sys/fs/c[^g]*/** wklx,",
        "deny /sys/fs/cg[^r]*/** wklx,",
        "deny /sys/firmware/** rwklx,",
        "deny /sys/devices/virtual/powercap/** rwklx,",
        "deny /sys/kernel/security/** rwklx,",
    ];
    Section {
        comment: "Never, whatever is allowed above (the protective denies of Docker's docker-default).".into(),
        rules: rules.iter().map(|r| r.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_which_writes_the_denies_refuse() {
        assert!(denied_write(b"/proc/sys/net/core/somaxconn"));
        assert!(denied_write(b"/proc/sysrq-trigger"));
        assert!(denied_write(b"/sys/kernel/mm/x"));
        assert!(!denied_write(b"/proc/sys/kernel/shmmax"));
        assert!(!denied_write(b"/sys/fs/cgroup/cpu.max"));
        assert!(!denied_write(b"/proc/self/attr/current"));
        assert!(!denied_write(b"/tmp/x"));
    }
}
