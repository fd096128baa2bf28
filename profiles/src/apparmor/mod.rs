//! AppArmor profiles for containers: the model and its text, shared by the
//! trace generator ([`mod@generate`]) and bane's TOML ([`bane`]).
//!
//! Every profile is written the same way: `abi <abi/3.0>,`, the global
//! tunables, `profile NAME flags=(attach_disconnected,mediate_deleted)`,
//! sections of rules, then the runtime's signal rules and the protective
//! denies of Docker's `docker-default` ([`runtime`]). Paths are always
//! quoted by [`quote`]; nothing taken from a trace is ever written outside
//! quotes or into a comment.

pub mod bane;
pub mod generate;
pub mod quote;
pub mod runtime;

pub use generate::{generate, Generated, Options};

/// Why a profile could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AppArmorError {
    #[error(
        "invalid profile name {0:?}: use letters, digits, '.', '_' and '-', starting with a letter or digit \
         (at most 128 characters); Docker passes it as --security-opt apparmor=NAME"
    )]
    BadName(String),
    #[error("{file}: line {line}: {message}")]
    Bane { file: String, line: usize, message: String },
}

/// A profile, ready to be written by [`Profile::render`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    /// Comment lines written above the profile: cinch's own words and
    /// numbers only (never names from a trace).
    pub header: Vec<String>,
    /// Files included inside the profile (bane's profiles include
    /// `abstractions/base`; cinch's own do not).
    pub includes: Vec<String>,
    pub sections: Vec<Section>,
    /// `flags=(complain, ...)`: AppArmor logs what the profile would deny and lets it happen.
    pub complain: bool,
}

/// Rules under one comment. Each rule is complete text ending with `,`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub comment: String,
    pub rules: Vec<String>,
}

impl Profile {
    /// The same profile in complain mode, for staging: `flags=(complain)` and
    /// no `deny` rules (AppArmor enforces a deny even in complain mode, so a
    /// complain profile with denies would still break what it should only log).
    pub fn into_complain(mut self) -> Profile {
        self.complain = true;
        for section in &mut self.sections {
            section.rules.retain(|rule| !rule.starts_with("deny "));
        }
        self
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for line in &self.header {
            out.push_str(&format!("# {line}\n").replace("# \n", "#\n"));
        }
        out.push_str("abi <abi/3.0>,\n\ninclude <tunables/global>\n\n");
        let complain = if self.complain { "complain," } else { "" };
        out.push_str(&format!("profile {} flags=({complain}attach_disconnected,mediate_deleted) {{\n", self.name));
        for include in &self.includes {
            out.push_str(&format!("  include <{include}>\n"));
        }
        let mut first = self.includes.is_empty();
        for section in self.sections.iter().filter(|s| !s.rules.is_empty()) {
            if !first {
                out.push('\n');
            }
            first = false;
            for line in section.comment.lines() {
                out.push_str(&format!("  # {line}\n"));
            }
            for rule in &section.rules {
                out.push_str(&format!("  {rule}\n"));
            }
        }
        out.push_str("}\n");
        out
    }
}

/// A name Docker can pass and AppArmor reads as one word.
pub fn check_name(name: &str) -> Result<(), AppArmorError> {
    let ok = name.len() <= 128
        && name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AppArmorError::BadName(name.to_string()))
    }
}

/// How a program may be executed from the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum ExecMode {
    #[default]
    None,
    /// `ix`: runs under this same profile.
    Inherit,
}

/// File permissions, written in one canonical order (`mrwaklix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Perms {
    pub mmap: bool,
    pub read: bool,
    pub write: bool,
    /// Append only; dropped when `write` is set (AppArmor refuses both).
    pub append: bool,
    pub lock: bool,
    pub link: bool,
    pub exec: ExecMode,
}

impl Perms {
    pub fn is_empty(&self) -> bool {
        *self == Perms::default()
    }

    pub fn union(self, other: Perms) -> Perms {
        Perms {
            mmap: self.mmap || other.mmap,
            read: self.read || other.read,
            write: self.write || other.write,
            append: self.append || other.append,
            lock: self.lock || other.lock,
            link: self.link || other.link,
            exec: self.exec.max(other.exec),
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let flags = [
            (self.mmap, "m"),
            (self.read, "r"),
            (self.write, "w"),
            (self.append && !self.write, "a"),
            (self.lock, "k"),
            (self.link, "l"),
            (self.exec == ExecMode::Inherit, "ix"),
        ];
        for (set, text) in flags {
            if set {
                out.push_str(text);
            }
        }
        out
    }
}

/// A file rule: `[qualifier ]PATH PERMS,` with `path` already quoted.
pub fn file_rule(qualifier: &str, path: &str, perms: &Perms) -> String {
    let qualifier = if qualifier.is_empty() { String::new() } else { format!("{qualifier} ") };
    format!("{qualifier}{path} {},", perms.render())
}

/// Linux capability names as AppArmor writes them (lowercase, no `CAP_`),
/// in capability-number order.
pub const CAPABILITIES: &[&str] = &[
    "chown",
    "dac_override",
    "dac_read_search",
    "fowner",
    "fsetid",
    "kill",
    "setgid",
    "setuid",
    "setpcap",
    "linux_immutable",
    "net_bind_service",
    "net_broadcast",
    "net_admin",
    "net_raw",
    "ipc_lock",
    "ipc_owner",
    "sys_module",
    "sys_rawio",
    "sys_chroot",
    "sys_ptrace",
    "sys_pacct",
    "sys_admin",
    "sys_boot",
    "sys_nice",
    "sys_resource",
    "sys_time",
    "sys_tty_config",
    "mknod",
    "lease",
    "audit_write",
    "audit_control",
    "setfcap",
    "mac_override",
    "mac_admin",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "audit_read",
    "perfmon",
    "bpf",
    "checkpoint_restore",
];

/// Socket families AppArmor can name in a `network` rule.
pub const NETWORK_FAMILIES: &[&str] = &[
    "unix",
    "inet",
    "ax25",
    "ipx",
    "appletalk",
    "netrom",
    "bridge",
    "atmpvc",
    "x25",
    "inet6",
    "rose",
    "netbeui",
    "security",
    "key",
    "netlink",
    "packet",
    "ash",
    "econet",
    "atmsvc",
    "rds",
    "sna",
    "irda",
    "pppox",
    "wanpipe",
    "llc",
    "ib",
    "mpls",
    "can",
    "tipc",
    "bluetooth",
    "iucv",
    "rxrpc",
    "isdn",
    "phonet",
    "ieee802154",
    "caif",
    "alg",
    "nfc",
    "vsock",
    "kcm",
    "qipcrtr",
    "smc",
    "xdp",
    "mctp",
];

/// Socket types AppArmor can name in a `network` rule.
pub const NETWORK_TYPES: &[&str] = &["stream", "dgram", "seqpacket", "rdm", "raw", "packet"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_safe_word() {
        assert!(check_name("mascot-worker").is_ok());
        assert!(check_name("docker-nginx_1.2").is_ok());
        for bad in ["", "-x", "a b", "a,b", "a\nb", "a{b}", "unconfined\"", &"x".repeat(129)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn perms_have_one_order_and_never_both_w_and_a() {
        let p = Perms { read: true, write: true, append: true, lock: true, ..Perms::default() };
        assert_eq!(p.render(), "rwk");
        let p = Perms { mmap: true, read: true, exec: ExecMode::Inherit, ..Perms::default() };
        assert_eq!(p.render(), "mrix");
        assert_eq!(Perms { append: true, ..Perms::default() }.render(), "a");
    }

    #[test]
    fn complain_mode_flags_the_profile_and_drops_every_deny() {
        let profile = Profile {
            name: "p".into(),
            header: vec![],
            includes: vec![],
            sections: vec![
                Section { comment: "files".into(), rules: vec!["\"/a\" r,".into()] },
                runtime::protective_denies(),
            ],
            complain: false,
        };
        let enforcing = profile.clone().render();
        assert!(enforcing.contains("flags=(attach_disconnected,") && enforcing.contains("deny mount,"));
        let complain = profile.into_complain().render();
        assert!(complain.contains("profile p flags=(complain,attach_disconnected,mediate_deleted) {"), "{complain}");
        assert!(!complain.contains("deny"), "{complain}");
        assert!(complain.contains("\"/a\" r,"), "{complain}");
    }
}
