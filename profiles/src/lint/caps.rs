//! Capabilities that break the container boundary, shared by the AppArmor,
//! OCI and run-flag rules.

/// Why `name` (any case, with or without `CAP_`) is dangerous, or None.
pub fn dangerous(name: &str) -> Option<&'static str> {
    let upper = name.trim().to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    Some(match bare {
        "ALL" => "every capability, root's full power",
        "SYS_ADMIN" => "mount, namespaces, BPF and much more: close to full root",
        "SYS_MODULE" => "loads kernel modules",
        "SYS_PTRACE" => "traces and reads other processes' memory",
        "SYS_RAWIO" => "raw I/O ports and /dev/mem",
        "SYS_BOOT" => "reboots the host",
        "SYS_TIME" => "sets the host's clock",
        "NET_ADMIN" => "reconfigures the network: interfaces, routes, firewall rules",
        "DAC_READ_SEARCH" => "reads any file and opens files by handle (the 'shocker' escape)",
        "BPF" => "loads BPF programs",
        "PERFMON" => "performance monitoring of the whole system",
        "MAC_ADMIN" | "MAC_OVERRIDE" => "changes or bypasses AppArmor/SELinux",
        "SYSLOG" => "reads and clears the kernel log",
        "SYS_PACCT" => "switches process accounting on the host",
        _ => return None,
    })
}
