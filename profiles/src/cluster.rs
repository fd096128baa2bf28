//! The Mascot cluster hardening bundle: from a list of the master and the
//! worker nodes, per worker, everything that closes it to all but the master.
//!
//! The seeds' advice, as artifacts: the master's ssh key restricted on each
//! worker (`from=`, `restrict`, a forced command that only starts, stops and
//! receives databases), TCP 5001 accepted only from the master (and only on
//! the VPN interface when there is one), the worker run as the non-root
//! `mascot-worker` account that owns only its node directory, and the
//! hardened `docker run`. [`parse`] reads `nodes.toml` (errors name the
//! line); [`render`] fills the templates in `profiles/templates/cluster/`.

use crate::shell;
use handlebars::{handlebars_helper, Handlebars};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use toml::Spanned;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{file}: line {line}: {message}")]
pub struct ClusterError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNodes {
    master: RawMaster,
    #[serde(default)]
    worker: RawDefaults,
    workers: Vec<RawWorker>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMaster {
    hostname: Spanned<String>,
    ip: Spanned<String>,
    vpn_ip: Option<Spanned<String>>,
    ssh_key: Spanned<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    user: Option<Spanned<String>>,
    uid: Option<u32>,
    gid: Option<u32>,
    node_dir: Option<Spanned<String>>,
    image: Option<Spanned<String>>,
    port: Option<Spanned<u16>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorker {
    hostname: Spanned<String>,
    ip: Spanned<String>,
    vpn_interface: Option<Spanned<String>>,
    vpn_ip: Option<Spanned<String>>,
}

/// A checked node list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Nodes {
    pub master: Master,
    pub user: String,
    pub uid: u32,
    pub gid: u32,
    pub node_dir: String,
    pub image: String,
    pub port: u16,
    pub workers: Vec<Worker>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Master {
    pub hostname: String,
    pub ip: IpAddr,
    pub vpn_ip: Option<IpAddr>,
    pub ssh_key: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Worker {
    pub hostname: String,
    pub ip: IpAddr,
    pub vpn_interface: Option<String>,
    pub vpn_ip: Option<IpAddr>,
}

pub fn parse(file: &str, text: &str) -> Result<Nodes, ClusterError> {
    let error = |offset: usize, message: String| ClusterError {
        file: file.into(),
        line: crate::line_of(text, offset),
        message,
    };
    let raw: RawNodes =
        toml::from_str(text).map_err(|e| error(e.span().map_or(0, |s| s.start), e.message().trim().to_string()))?;
    let ip = |value: &Spanned<String>, what: &str| -> Result<IpAddr, ClusterError> {
        let at = value.span().start;
        let ip: IpAddr = value
            .get_ref()
            .parse()
            .map_err(|_| error(at, format!("{what} {:?} is not an IP address", value.get_ref())))?;
        check_host_address(ip).map_err(|why| error(at, format!("{what} {ip}: {why}")))?;
        Ok(ip)
    };
    let word = |value: &Spanned<String>, what: &str, allowed: &dyn Fn(char) -> bool, max: usize| {
        let v = value.get_ref();
        if v.is_empty() || v.len() > max || !v.chars().all(allowed) {
            return Err(error(value.span().start, format!("{what} {v:?} holds characters it cannot have")));
        }
        Ok(v.clone())
    };
    let hostname = |value: &Spanned<String>| {
        check_hostname(value.get_ref()).map_err(|why| error(value.span().start, why))?;
        Ok::<_, ClusterError>(value.get_ref().clone())
    };
    let master = Master {
        hostname: hostname(&raw.master.hostname)?,
        ip: ip(&raw.master.ip, "ip")?,
        vpn_ip: raw.master.vpn_ip.as_ref().map(|v| ip(v, "vpn_ip")).transpose()?,
        ssh_key: check_key(&raw.master.ssh_key).map_err(|m| error(raw.master.ssh_key.span().start, m))?,
    };
    let d = raw.worker;
    let user = match &d.user {
        Some(u) => word(u, "user", &|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-', 32)?,
        None => "mascot-worker".into(),
    };
    let node_dir = match &d.node_dir {
        Some(n) => {
            let dir = word(n, "node_dir", &|c| c.is_ascii_alphanumeric() || "/._-".contains(c), 4095)?;
            check_node_dir(&dir).map_err(|why| error(n.span().start, format!("node_dir {dir:?}: {why}")))?;
            dir
        }
        None => "/usr/local/mascotnode".into(),
    };
    let image = match &d.image {
        Some(i) => {
            let image = word(i, "image", &|c| c.is_ascii_alphanumeric() || "/._-:@".contains(c), 255)?;
            check_image(&image).map_err(|why| error(i.span().start, format!("image {image:?}: {why}")))?;
            image
        }
        None => "cinch/mascot-worker:hardened".into(),
    };
    let port = d.port.as_ref().map_or(5001, |p| *p.get_ref());
    if port < 1024 {
        return Err(error(
            d.port.as_ref().map_or(0, |p| p.span().start),
            format!("port {port}: ports below 1024 belong to system services (ssh is 22); give 1024-65535"),
        ));
    }
    let (uid, gid) = (d.uid.unwrap_or(10001), d.gid.unwrap_or(10001));
    if uid == 0 || gid == 0 {
        return Err(error(0, "the worker's uid and gid must not be 0".into()));
    }
    let mut workers = Vec::new();
    for w in &raw.workers {
        let vpn_interface = match &w.vpn_interface {
            Some(i) => Some(word(i, "vpn_interface", &|c| c.is_ascii_alphanumeric() || "_.-".contains(c), 15)?),
            None => None,
        };
        workers.push(Worker {
            hostname: hostname(&w.hostname)?,
            ip: ip(&w.ip, "ip")?,
            vpn_interface,
            vpn_ip: w.vpn_ip.as_ref().map(|v| ip(v, "vpn_ip")).transpose()?,
        });
        if workers.iter().filter(|o| o.hostname.eq_ignore_ascii_case(w.hostname.get_ref())).count() > 1 {
            return Err(error(w.hostname.span().start, format!("worker {:?} is listed twice", w.hostname.get_ref())));
        }
    }
    if workers.is_empty() {
        return Err(error(0, "no [[workers]]".into()));
    }
    Ok(Nodes { master, user, uid, gid, node_dir, image, port, workers })
}

/// A hostname as RFC 1123 has it: dot-separated labels of 1 to 63 letters,
/// digits and hyphens, no label starting or ending with a hyphen, at most
/// 253 characters. It names a directory of the bundle, so this also keeps
/// `..`, `/` and the empty name out.
pub fn check_hostname(name: &str) -> Result<(), String> {
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if name.len() > 253 || !name.split('.').all(label_ok) {
        return Err(format!(
            "hostname {name:?} is not a valid hostname (RFC 1123: labels of letters, digits and inner hyphens, joined by dots)"
        ));
    }
    if name.split('.').next_back().is_some_and(|l| l.chars().all(|c| c.is_ascii_digit())) {
        return Err(format!("hostname {name:?} looks like an address; give the host's name"));
    }
    Ok(())
}

/// An address a node can be reached at and the master be recognised by: not
/// the unspecified address (it would admit every source in `from=` and
/// nftables), nor multicast or broadcast.
fn check_host_address(ip: IpAddr) -> Result<(), &'static str> {
    let broadcast = matches!(ip, IpAddr::V4(v4) if v4.is_broadcast());
    if ip.is_unspecified() {
        Err("the unspecified address stands for every address; give the node's own")
    } else if ip.is_multicast() || broadcast {
        Err("a multicast or broadcast address is not one host")
    } else {
        Ok(())
    }
}

/// The worker's node directory: a normal absolute path of its own, not a
/// system or shared directory (setup.sh makes it root-owned 0755 and gives
/// its subdirectories to the worker), and nothing under a world-writable
/// temporary directory, where another user could plant links.
fn check_node_dir(dir: &str) -> Result<(), &'static str> {
    let parts: Vec<&str> = dir.split('/').skip(1).collect();
    if !dir.starts_with('/') {
        return Err("must be an absolute path");
    }
    if dir.ends_with('/') || parts.iter().any(|p| p.is_empty() || *p == "." || *p == "..") {
        return Err("must be a plain path (no trailing /, no // , . or ..)");
    }
    const SHARED: &[&str] = &["tmp", "var/tmp", "dev", "proc", "sys", "run", "boot"];
    if SHARED.iter().any(|s| crate::path::is_under(dir.as_bytes(), format!("/{s}").as_bytes())) {
        return Err("is under a system or world-writable directory; give a directory of the worker's own");
    }
    const SYSTEM: &[&str] = &[
        "bin",
        "etc",
        "home",
        "lib",
        "lib32",
        "lib64",
        "libx32",
        "media",
        "mnt",
        "opt",
        "root",
        "sbin",
        "srv",
        "usr",
        "var",
        "usr/bin",
        "usr/lib",
        "usr/local",
        "usr/local/bin",
        "usr/sbin",
        "usr/share",
        "var/lib",
        "var/log",
        "var/cache",
        "var/spool",
        "var/mail",
    ];
    if parts.len() < 2 || SYSTEM.contains(&parts.join("/").as_str()) {
        return Err("is a system directory; give a directory of the worker's own (e.g. /usr/local/mascotnode)");
    }
    Ok(())
}

/// An image reference docker reads as an image and nothing else: it starts
/// with a letter or digit (`--privileged` would be an option).
fn check_image(image: &str) -> Result<(), &'static str> {
    if !image.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("must start with a letter or digit (docker would read it as an option)");
    }
    if image.contains("..") || image.contains("//") || image.ends_with([':', '@', '/']) {
        return Err("is not an image reference (registry/name:tag or name@digest)");
    }
    Ok(())
}

/// An OpenSSH public key line: type, base64 blob, optional comment; nothing
/// that could add options or lines to authorized_keys.
fn check_key(key: &Spanned<String>) -> Result<String, String> {
    let key = key.get_ref().trim();
    let mut parts = key.splitn(3, ' ');
    let (kind, blob, comment) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next());
    let kinds = [
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    ];
    let blob_ok = blob.len() >= 16 && blob.chars().all(|c| c.is_ascii_alphanumeric() || "+/=".contains(c));
    let comment_ok = comment.is_none_or(|c| c.chars().all(|c| c.is_ascii_graphic() && c != '"' || c == ' '));
    if kinds.contains(&kind) && blob_ok && comment_ok {
        Ok(key.to_string())
    } else {
        Err("ssh_key must be one OpenSSH public key line (type, base64, optional comment)".into())
    }
}

/// The AppArmor profile the workers' `docker run` asks for (mascot-node-docker),
/// which a profile given to the bundle must declare.
pub const APPARMOR_PROFILE: &str = "mascot-worker";

const TEMPLATES: &[(&str, &str)] = &[
    ("authorized_keys", include_str!("../templates/cluster/authorized_keys.hbs")),
    ("nftables.conf", include_str!("../templates/cluster/nftables.conf.hbs")),
    ("mascot-node-ctl", include_str!("../templates/cluster/mascot-node-ctl.hbs")),
    ("mascot-node-docker", include_str!("../templates/cluster/mascot-node-docker.hbs")),
    ("sudoers", include_str!("../templates/cluster/sudoers.hbs")),
    ("setup.sh", include_str!("../templates/cluster/setup.sh.hbs")),
    ("sshd_config.conf", include_str!("../templates/cluster/sshd_config.conf.hbs")),
    ("README.md", include_str!("../templates/cluster/README.md.hbs")),
];

/// What one worker's templates see.
#[derive(Debug, Serialize)]
struct View<'a> {
    nodes: &'a Nodes,
    worker: &'a Worker,
    /// The address the master connects from, for `from=`.
    master_from: String,
    /// The address the master reaches the worker on, and the port is published on.
    bind: String,
    /// The master's address as the worker sees it on the interface used.
    master_addr: String,
    master_family: &'static str,
    has_seccomp: bool,
    has_apparmor: bool,
    apparmor_profile: &'static str,
}

handlebars_helper!(sh_helper: |value: str| shell::quote(value));
handlebars_helper!(str_helper: |value: Json| match value {
    serde_json::Value::String(s) => s.clone(),
    other => other.to_string(),
});

/// Each worker's files: (hostname, [(file name, text)]).
pub fn render(nodes: &Nodes, has_seccomp: bool, has_apparmor: bool) -> Vec<(String, Vec<(&'static str, String)>)> {
    let mut hb = Handlebars::new();
    hb.register_escape_fn(handlebars::no_escape);
    hb.set_strict_mode(true);
    hb.register_helper("sh", Box::new(sh_helper));
    hb.register_helper("str", Box::new(str_helper));
    for (name, text) in TEMPLATES {
        hb.register_template_string(name, *text).expect("the templates shipped with cinch parse");
    }
    nodes
        .workers
        .iter()
        .map(|worker| {
            let master_addr = match (worker.vpn_interface.is_some(), nodes.master.vpn_ip) {
                (true, Some(vpn)) => vpn,
                _ => nodes.master.ip,
            };
            let bind = match (worker.vpn_interface.is_some(), worker.vpn_ip) {
                (true, Some(vpn)) => vpn,
                _ => worker.ip,
            };
            let view = View {
                nodes,
                worker,
                // ssh comes the same way as the jobs: over the VPN when the worker has one.
                master_from: master_addr.to_string(),
                bind: if bind.is_ipv6() { format!("[{bind}]") } else { bind.to_string() },
                master_addr: master_addr.to_string(),
                master_family: if master_addr.is_ipv6() { "ip6" } else { "ip" },
                has_seccomp,
                has_apparmor,
                apparmor_profile: APPARMOR_PROFILE,
            };
            let files = TEMPLATES
                .iter()
                .map(|(name, _)| (*name, hb.render(name, &view).expect("the views fit the templates")))
                .collect();
            (worker.hostname.clone(), files)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODES: &str = include_str!("../../fixtures/cluster/nodes.toml");

    #[test]
    fn the_sample_bundle() {
        let nodes = parse("nodes.toml", NODES).unwrap();
        for (host, files) in render(&nodes, true, true) {
            for (name, text) in files {
                insta::assert_snapshot!(format!("cluster_{host}_{name}"), text);
            }
        }
    }

    #[test]
    fn errors_name_the_line() {
        let bad = NODES.replace("ip = \"192.0.2.11\"", "ip = \"192.0.2.311\"");
        let err = parse("nodes.toml", &bad).unwrap_err();
        assert!(err.message.contains("not an IP address"), "{err}");
        assert_eq!(err.line, NODES.lines().position(|l| l.contains("192.0.2.11")).unwrap() + 1);
        let bad = NODES.replace("ssh-ed25519 ", "command=\\\"sh\\\" ssh-ed25519 ");
        assert!(parse("nodes.toml", &bad).unwrap_err().message.contains("ssh_key"));
        let bad = NODES.replace("hostname = \"node1\"", "hostname = \"node1\\nx\"");
        assert!(parse("nodes.toml", &bad).unwrap_err().message.contains("hostname"));
        let err = parse("nodes.toml", "[master]\nhostname = \"m\"\n").unwrap_err();
        assert!(err.to_string().starts_with("nodes.toml: line "), "{err}");
    }

    #[test]
    fn dangerous_values_are_refused_on_their_line() {
        let line_of = |needle: &str| NODES.lines().position(|l| l.contains(needle)).unwrap() + 1;
        let cases: &[(&str, &str, &str)] = &[
            ("hostname = \"node1\"", "hostname = \"..\"", "not a valid hostname"),
            ("hostname = \"node1\"", "hostname = \"a/b\"", "not a valid hostname"),
            ("hostname = \"node1\"", "hostname = \"-x\"", "not a valid hostname"),
            ("hostname = \"node1\"", "hostname = \"10.0.0.1\"", "looks like an address"),
            ("hostname = \"node2\"", "hostname = \"NODE1\"", "listed twice"),
            ("node_dir = \"/usr/local/mascotnode\"", "node_dir = \"/tmp\"", "world-writable"),
            ("node_dir = \"/usr/local/mascotnode\"", "node_dir = \"/tmp/x\"", "world-writable"),
            ("node_dir = \"/usr/local/mascotnode\"", "node_dir = \"/etc\"", "system directory"),
            ("node_dir = \"/usr/local/mascotnode\"", "node_dir = \"/var/lib\"", "system directory"),
            ("node_dir = \"/usr/local/mascotnode\"", "node_dir = \"/srv/../etc\"", "plain path"),
            ("node_dir = \"/usr/local/mascotnode\"", "node_dir = \"relative\"", "absolute"),
            ("image = \"cinch/mascot-worker:hardened\"", "image = \"--privileged\"", "read it as an option"),
            ("ip = \"192.0.2.10\"", "ip = \"0.0.0.0\"", "unspecified"),
            ("ip = \"192.0.2.10\"", "ip = \"::\"", "unspecified"),
            ("ip = \"192.0.2.11\"", "ip = \"255.255.255.255\"", "broadcast"),
            ("vpn_ip = \"10.8.0.1\"", "vpn_ip = \"224.0.0.1\"", "multicast"),
            ("port = 5001", "port = 22", "below 1024"),
        ];
        for (from, to, why) in cases {
            let bad = NODES.replacen(from, to, 1);
            let err = parse("nodes.toml", &bad).expect_err(to);
            assert!(err.message.contains(why), "{to}: {err}");
            assert_eq!(err.line, line_of(from), "{to}: {err}");
        }
        for good in ["node-1", "n1.example.org", "a"] {
            assert_eq!(check_hostname(good), Ok(()));
        }
    }
}
