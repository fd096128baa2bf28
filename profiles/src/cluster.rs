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
    port: Option<u16>,
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
        value
            .get_ref()
            .parse()
            .map_err(|_| error(value.span().start, format!("{what} {:?} is not an IP address", value.get_ref())))
    };
    let word = |value: &Spanned<String>, what: &str, allowed: &dyn Fn(char) -> bool, max: usize| {
        let v = value.get_ref();
        if v.is_empty() || v.len() > max || !v.chars().all(allowed) {
            return Err(error(value.span().start, format!("{what} {v:?} holds characters it cannot have")));
        }
        Ok(v.clone())
    };
    let host_chars = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    let master = Master {
        hostname: word(&raw.master.hostname, "hostname", &host_chars, 253)?,
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
        Some(n) if n.get_ref().starts_with('/') => {
            word(n, "node_dir", &|c| c.is_ascii_alphanumeric() || "/._-".contains(c), 4095)?
        }
        Some(n) => return Err(error(n.span().start, "node_dir must be an absolute path".into())),
        None => "/usr/local/mascotnode".into(),
    };
    let image = match &d.image {
        Some(i) => word(i, "image", &|c| c.is_ascii_alphanumeric() || "/._-:@".contains(c), 255)?,
        None => "cinch/mascot-worker:hardened".into(),
    };
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
            hostname: word(&w.hostname, "hostname", &host_chars, 253)?,
            ip: ip(&w.ip, "ip")?,
            vpn_interface,
            vpn_ip: w.vpn_ip.as_ref().map(|v| ip(v, "vpn_ip")).transpose()?,
        });
        if workers.iter().filter(|o| o.hostname == w.hostname.get_ref().as_str()).count() > 1 {
            return Err(error(w.hostname.span().start, format!("worker {:?} is listed twice", w.hostname.get_ref())));
        }
    }
    if workers.is_empty() {
        return Err(error(0, "no [[workers]]".into()));
    }
    Ok(Nodes { master, user, uid, gid, node_dir, image, port: d.port.unwrap_or(5001), workers })
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

const TEMPLATES: &[(&str, &str)] = &[
    ("authorized_keys", include_str!("../templates/cluster/authorized_keys.hbs")),
    ("nftables.conf", include_str!("../templates/cluster/nftables.conf.hbs")),
    ("mascot-node-ctl", include_str!("../templates/cluster/mascot-node-ctl.hbs")),
    ("mascot-node-docker", include_str!("../templates/cluster/mascot-node-docker.hbs")),
    ("sudoers", include_str!("../templates/cluster/sudoers.hbs")),
    ("setup.sh", include_str!("../templates/cluster/setup.sh.hbs")),
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
}
