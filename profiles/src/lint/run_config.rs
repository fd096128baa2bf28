//! What a container is started with, from a `docker run` line or a compose
//! service: the security-relevant settings the run rules check, each with the
//! place it was written.

use super::finding::Pos;
use super::parse::shell::{RunLine, Word};
use super::parse::tree::Node;
use crate::docker_cli::{flag_is_on, run_options};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunConfig {
    /// The `docker run` word or the compose service's name.
    pub pos: Pos,
    pub privileged: Option<Pos>,
    /// `--security-opt` / `security_opt` values.
    pub security_opts: Vec<(String, Pos)>,
    pub cap_add: Vec<(String, Pos)>,
    pub cap_drop: Vec<(String, Pos)>,
    /// (namespace, mode): ("pid", "host"), ("network", "host")...
    pub namespaces: Vec<(String, String, Pos)>,
    /// Host paths mounted in (bind mounts and `-v /path:...`).
    pub host_mounts: Vec<(String, Pos)>,
    pub devices: Vec<(String, Pos)>,
    /// Published ports as written; `-P` is "(all exposed ports)".
    pub ports: Vec<(String, Pos)>,
    /// Shell expansions (`$OPTS`, `"$@"`, `$(...)`) where options go: what
    /// they add cannot be checked.
    pub unchecked: Vec<(String, Pos)>,
}

impl RunConfig {
    /// The `seccomp=FILE` profiles referenced (not `unconfined`).
    pub fn seccomp_files(&self) -> Vec<(&str, Pos)> {
        self.security_opts
            .iter()
            .filter_map(|(opt, pos)| {
                let value = opt.strip_prefix("seccomp=").or_else(|| opt.strip_prefix("seccomp:"))?;
                (value != "unconfined").then_some((value, *pos))
            })
            .collect()
    }

    pub fn has_no_new_privileges(&self) -> bool {
        self.security_opts.iter().any(|(o, _)| {
            matches!(o.as_str(), "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges=true")
        })
    }
}

/// Options naming a namespace and the key the rules use for it.
const NAMESPACE_OPTIONS: &[(&str, &str)] = &[
    ("--pid", "pid"),
    ("--network", "network"),
    ("--net", "network"),
    ("--ipc", "ipc"),
    ("--uts", "uts"),
    ("--userns", "userns"),
    ("--cgroupns", "cgroupns"),
];

pub fn from_run_line(line: &RunLine) -> RunConfig {
    let mut config = RunConfig { pos: line.pos, ..RunConfig::default() };
    let args = &line.args;
    let words: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
    let (options, image) = run_options(&words);
    // A shell expansion where an option or the image goes can add any option.
    let expands = |w: &str| w.contains('$') || w.contains('`');
    for option in &options {
        if expands(&option.name) {
            config.unchecked.push((option.name.clone(), args[option.word].pos));
        }
    }
    if let Some(word) = args.get(image).filter(|w| expands(&w.text)) {
        config.unchecked.push((word.text.clone(), word.pos));
    }
    for option in options {
        let word = &args[option.word];
        let value_pos =
            if option.value_is_next_word { args.get(option.word + 1).map_or(word.pos, |w| w.pos) } else { word.pos };
        apply(&mut config, &option.name, option.value.as_deref(), word, value_pos);
    }
    config
}

fn apply(config: &mut RunConfig, name: &str, value: Option<&str>, word: &Word, value_pos: Pos) {
    let on = flag_is_on(value);
    let value = value.unwrap_or("");
    match name {
        "--privileged" if on => config.privileged = Some(word.pos),
        "--publish-all" | "-P" if on => config.ports.push(("-P (every exposed port)".into(), word.pos)),
        "--security-opt" => config.security_opts.push((value.to_string(), value_pos)),
        "--cap-add" => config.cap_add.extend(value.split(',').map(|c| (c.to_string(), value_pos))),
        "--cap-drop" => config.cap_drop.extend(value.split(',').map(|c| (c.to_string(), value_pos))),
        "-v" | "--volume" => {
            if let Some(source) = bind_source(value) {
                config.host_mounts.push((source, value_pos));
            }
        }
        "--mount" => {
            if let Some(source) = mount_source(value) {
                config.host_mounts.push((source, value_pos));
            }
        }
        "--device" => config.devices.push((value.to_string(), value_pos)),
        "-p" | "--publish" => config.ports.push((value.to_string(), value_pos)),
        _ => {
            if let Some((_, ns)) = NAMESPACE_OPTIONS.iter().find(|(option, _)| *option == name) {
                config.namespaces.push((ns.to_string(), value.to_string(), value_pos));
            }
        }
    }
}

/// The host path of `-v SOURCE:TARGET[:OPTIONS]`, when SOURCE is a path (not a named volume).
fn bind_source(spec: &str) -> Option<String> {
    let (source, _) = spec.split_once(':')?;
    is_host_path(source).then(|| source.to_string())
}

fn is_host_path(source: &str) -> bool {
    source.starts_with('/') || source.starts_with('.') || source.starts_with('~') || source.starts_with('$')
}

/// The source of `--mount type=bind,source=/x,target=/y`.
fn mount_source(spec: &str) -> Option<String> {
    let fields: Vec<(&str, &str)> = spec.split(',').filter_map(|f| f.split_once('=')).collect();
    let bind = fields.iter().any(|(k, v)| *k == "type" && *v == "bind");
    let source = fields.iter().find(|(k, _)| matches!(*k, "source" | "src")).map(|(_, v)| *v)?;
    (bind || is_host_path(source)).then(|| source.to_string())
}

/// A compose service (`services.NAME`).
pub fn from_compose_service(name_pos: Pos, service: &Node) -> RunConfig {
    let mut config = RunConfig { pos: name_pos, ..RunConfig::default() };
    if let Some(node) = service.get("privileged") {
        if node.as_bool() == Some(true) {
            config.privileged = Some(node.pos);
        }
    }
    let list = |key: &str| {
        service.get(key).map(|n| n.strings().into_iter().map(|(s, p)| (s.to_string(), p)).collect()).unwrap_or_default()
    };
    config.security_opts = list("security_opt");
    config.cap_add = list("cap_add");
    config.cap_drop = list("cap_drop");
    for (key, ns) in [
        ("pid", "pid"),
        ("network_mode", "network"),
        ("ipc", "ipc"),
        ("uts", "uts"),
        ("userns_mode", "userns"),
        ("cgroup", "cgroupns"),
    ] {
        if let Some(node) = service.get(key) {
            if let Some(mode) = node.as_str() {
                config.namespaces.push((ns.to_string(), mode.to_string(), node.pos));
            }
        }
    }
    for volume in service.get("volumes").map(Node::items).unwrap_or_default() {
        let source = match volume.as_str() {
            Some(spec) => bind_source(spec),
            None => {
                let kind = volume.get("type").and_then(Node::as_str);
                let source = volume.get("source").and_then(Node::as_str);
                source.filter(|s| kind == Some("bind") || is_host_path(s)).map(str::to_string)
            }
        };
        if let Some(source) = source {
            config.host_mounts.push((source, volume.pos));
        }
    }
    config.devices = list("devices");
    for port in service.get("ports").map(Node::items).unwrap_or_default() {
        let spec = match port.as_str() {
            Some(spec) => spec.to_string(),
            None => {
                let ip = port.get("host_ip").and_then(Node::as_str);
                let published = port.get("published").and_then(Node::as_str).unwrap_or("");
                let target = port.get("target").and_then(Node::as_str).unwrap_or("");
                match ip {
                    Some(ip) => format!("{ip}:{published}:{target}"),
                    None => format!("{published}:{target}"),
                }
            }
        };
        config.ports.push((spec, port.pos));
    }
    config
}

/// The host address a published port binds to, or None for every address.
pub fn port_address(spec: &str) -> Option<&str> {
    if spec.starts_with("-P") {
        return None;
    }
    let spec = spec.split('/').next().unwrap_or(spec);
    let address = if let Some(rest) = spec.strip_prefix('[') {
        rest.split_once(']').map(|(ip, _)| ip)
    } else {
        let parts: Vec<&str> = spec.split(':').collect();
        (parts.len() >= 3).then(|| parts[0])
    };
    address.filter(|a| !a.is_empty() && !matches!(*a, "0.0.0.0" | "::"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::parse::shell::run_lines;

    #[test]
    fn reads_docker_run_options() {
        let line = &run_lines("docker run -dit --rm --cap-add=SYS_ADMIN -v /var/run/docker.sock:/s:ro -p5001:5001 --security-opt seccomp=p.json --net host --mount type=bind,src=/etc,dst=/e img --privileged")[0];
        let config = from_run_line(line);
        assert_eq!(config.cap_add[0].0, "SYS_ADMIN");
        assert_eq!(
            config.host_mounts.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
            ["/var/run/docker.sock", "/etc"]
        );
        assert_eq!(config.ports[0].0, "5001:5001");
        assert_eq!(config.seccomp_files()[0].0, "p.json");
        assert_eq!(config.namespaces[0], ("network".into(), "host".into(), config.namespaces[0].2));
        assert!(config.privileged.is_none(), "--privileged after the image is the container's argument");
    }

    #[test]
    fn port_addresses() {
        assert_eq!(port_address("5001:5001"), None);
        assert_eq!(port_address("0.0.0.0:5001:5001"), None);
        assert_eq!(port_address("127.0.0.1:5001:5001/tcp"), Some("127.0.0.1"));
        assert_eq!(port_address("[::1]:5001:5001"), Some("::1"));
        assert_eq!(port_address("5001"), None);
    }
}
