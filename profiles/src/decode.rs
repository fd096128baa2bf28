//! Human names for recorded argument values (`cinch show`). The trace keeps
//! the numbers, which is what seccomp compares; names are for people.
//! Constants come from the libc crate, never typed by hand.

/// `CLONE_*` flags by name, namespace flags first.
const CLONE_FLAGS: &[(&str, u64)] = &[
    ("CLONE_NEWNS", libc::CLONE_NEWNS as u64),
    ("CLONE_NEWUTS", libc::CLONE_NEWUTS as u64),
    ("CLONE_NEWIPC", libc::CLONE_NEWIPC as u64),
    ("CLONE_NEWUSER", libc::CLONE_NEWUSER as u64),
    ("CLONE_NEWPID", libc::CLONE_NEWPID as u64),
    ("CLONE_NEWNET", libc::CLONE_NEWNET as u64),
    ("CLONE_NEWCGROUP", libc::CLONE_NEWCGROUP as u64),
    ("CLONE_NEWTIME", libc::CLONE_NEWTIME as u64),
    ("CLONE_VM", libc::CLONE_VM as u64),
    ("CLONE_FS", libc::CLONE_FS as u64),
    ("CLONE_FILES", libc::CLONE_FILES as u64),
    ("CLONE_SIGHAND", libc::CLONE_SIGHAND as u64),
    ("CLONE_PIDFD", libc::CLONE_PIDFD as u64),
    ("CLONE_PTRACE", libc::CLONE_PTRACE as u64),
    ("CLONE_VFORK", libc::CLONE_VFORK as u64),
    ("CLONE_PARENT", libc::CLONE_PARENT as u64),
    ("CLONE_THREAD", libc::CLONE_THREAD as u64),
    ("CLONE_SYSVSEM", libc::CLONE_SYSVSEM as u64),
    ("CLONE_SETTLS", libc::CLONE_SETTLS as u64),
    ("CLONE_PARENT_SETTID", libc::CLONE_PARENT_SETTID as u64),
    ("CLONE_CHILD_CLEARTID", libc::CLONE_CHILD_CLEARTID as u64),
    ("CLONE_UNTRACED", libc::CLONE_UNTRACED as u64),
    ("CLONE_CHILD_SETTID", libc::CLONE_CHILD_SETTID as u64),
    ("CLONE_IO", libc::CLONE_IO as u64),
];

/// Address families by name.
const SOCKET_DOMAINS: &[(&str, u64)] = &[
    ("AF_UNIX", libc::AF_UNIX as u64),
    ("AF_INET", libc::AF_INET as u64),
    ("AF_INET6", libc::AF_INET6 as u64),
    ("AF_NETLINK", libc::AF_NETLINK as u64),
    ("AF_PACKET", libc::AF_PACKET as u64),
    ("AF_ALG", libc::AF_ALG as u64),
    ("AF_VSOCK", libc::AF_VSOCK as u64),
    ("AF_BLUETOOTH", libc::AF_BLUETOOTH as u64),
    ("AF_KEY", libc::AF_KEY as u64),
];

const SOCKET_TYPES: &[(&str, u64)] = &[
    ("SOCK_STREAM", libc::SOCK_STREAM as u64),
    ("SOCK_DGRAM", libc::SOCK_DGRAM as u64),
    ("SOCK_RAW", libc::SOCK_RAW as u64),
    ("SOCK_SEQPACKET", libc::SOCK_SEQPACKET as u64),
];

const SOCKET_TYPE_FLAGS: &[(&str, u64)] =
    &[("SOCK_CLOEXEC", libc::SOCK_CLOEXEC as u64), ("SOCK_NONBLOCK", libc::SOCK_NONBLOCK as u64)];

const PRCTL_OPTIONS: &[(&str, u64)] = &[
    ("PR_SET_PDEATHSIG", libc::PR_SET_PDEATHSIG as u64),
    ("PR_GET_DUMPABLE", libc::PR_GET_DUMPABLE as u64),
    ("PR_SET_DUMPABLE", libc::PR_SET_DUMPABLE as u64),
    ("PR_SET_KEEPCAPS", libc::PR_SET_KEEPCAPS as u64),
    ("PR_SET_NAME", libc::PR_SET_NAME as u64),
    ("PR_GET_NAME", libc::PR_GET_NAME as u64),
    ("PR_SET_SECCOMP", libc::PR_SET_SECCOMP as u64),
    ("PR_CAPBSET_READ", libc::PR_CAPBSET_READ as u64),
    ("PR_CAPBSET_DROP", libc::PR_CAPBSET_DROP as u64),
    ("PR_SET_NO_NEW_PRIVS", libc::PR_SET_NO_NEW_PRIVS as u64),
    ("PR_GET_NO_NEW_PRIVS", libc::PR_GET_NO_NEW_PRIVS as u64),
    ("PR_SET_CHILD_SUBREAPER", libc::PR_SET_CHILD_SUBREAPER as u64),
    ("PR_SET_VMA", 0x53564d41),
    ("PR_CAP_AMBIENT", libc::PR_CAP_AMBIENT as u64),
];

/// A readable rendering of one recorded argument value.
pub fn describe(syscall: &str, arg: &str, value: u64) -> String {
    match (syscall, arg) {
        ("clone" | "clone3" | "unshare", "flags") => clone_flags(value),
        ("socket", "domain") => exact(SOCKET_DOMAINS, value),
        ("socket", "type") => socket_type(value),
        ("prctl", "option") => exact(PRCTL_OPTIONS, value),
        ("personality", _) => format!("{value:#x}"),
        _ => value.to_string(),
    }
}

/// `CLONE_VM|CLONE_FS|...`, with any exit signal (low byte) and unknown bits in hex.
fn clone_flags(value: u64) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = value;
    for (name, bit) in CLONE_FLAGS {
        if rest & bit != 0 {
            parts.push((*name).to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join("|")
    }
}

fn socket_type(value: u64) -> String {
    let mut parts = vec![exact(SOCKET_TYPES, value & 0xf)];
    for (name, bit) in SOCKET_TYPE_FLAGS {
        if value & bit != 0 {
            parts.push((*name).to_string());
        }
    }
    let known = SOCKET_TYPE_FLAGS.iter().fold(0xf, |acc, (_, bit)| acc | bit);
    if value & !known != 0 {
        parts.push(format!("{:#x}", value & !known));
    }
    parts.join("|")
}

fn exact(table: &[(&str, u64)], value: u64) -> String {
    table.iter().find(|(_, v)| *v == value).map_or_else(|| value.to_string(), |(name, _)| (*name).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_thread_creation_flags() {
        let flags = (libc::CLONE_VM | libc::CLONE_THREAD | libc::CLONE_NEWNS) as u64 | 17;
        assert_eq!(describe("clone", "flags", flags), "CLONE_NEWNS|CLONE_VM|CLONE_THREAD|0x11");
    }

    #[test]
    fn names_socket_family_and_type() {
        assert_eq!(describe("socket", "domain", 2), "AF_INET");
        let ty = (libc::SOCK_STREAM | libc::SOCK_CLOEXEC) as u64;
        assert_eq!(describe("socket", "type", ty), "SOCK_STREAM|SOCK_CLOEXEC");
        assert_eq!(describe("socket", "protocol", 6), "6");
    }
}
