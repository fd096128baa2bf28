//! bane's TOML (github.com/genuinetools/bane), both ways.
//!
//! - [`parse`] reads bane's schema (`Name`; `[Filesystem]` ReadOnlyPaths,
//!   LogOnWritePaths, WritablePaths, AllowExec, DenyExec; `[Capabilities]`
//!   Allow, Deny; `[Network]` Raw, Packet, Protocols) and [`to_profile`]
//!   renders the profile bane would (`docker-NAME`: `file,` and `network`
//!   allowed, the listed denies), in cinch's format: abi 3.0, every path
//!   quoted, the runtime's signals and Docker's protective denies.
//! - [`from_trace`] writes a bane file from a trace, for users who keep bane
//!   files. bane's model is coarser than cinch's allowlist (every file may be
//!   read; writes are denied by directory), so it says so at the top.
//!
//! bane paths are AppArmor globs written by the user: `*`, `**`, `{a,b}` and
//! variables are kept. A path must start with `/` or `@{` and may not hold a
//! quote, a control character or a trailing backslash, so that quoting it
//! keeps it one rule.

use super::{check_name, runtime, AppArmorError, Profile, Section, CAPABILITIES};
use crate::apparmor::generate::{capabilities, perms_of};
use crate::note::Note;
use crate::path;
use crate::trace::{Access, OUTSIDE};
use crate::Trace;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use toml::Spanned;

/// A bane configuration, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BaneConfig {
    pub name: String,
    pub read_only_paths: Vec<String>,
    pub log_on_write_paths: Vec<String>,
    pub writable_paths: Vec<String>,
    pub allow_exec: Vec<String>,
    pub deny_exec: Vec<String>,
    pub allow_capabilities: Vec<String>,
    pub deny_capabilities: Vec<String>,
    pub raw: bool,
    pub packet: bool,
    pub protocols: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(rename = "Name")]
    name: Spanned<String>,
    #[serde(rename = "Filesystem", default)]
    filesystem: RawFilesystem,
    #[serde(rename = "Capabilities", default)]
    capabilities: RawCapabilities,
    #[serde(rename = "Network", default)]
    network: RawNetwork,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFilesystem {
    #[serde(rename = "ReadOnlyPaths", default)]
    read_only_paths: Vec<Spanned<String>>,
    #[serde(rename = "LogOnWritePaths", default)]
    log_on_write_paths: Vec<Spanned<String>>,
    #[serde(rename = "WritablePaths", default)]
    writable_paths: Vec<Spanned<String>>,
    #[serde(rename = "AllowExec", default)]
    allow_exec: Vec<Spanned<String>>,
    #[serde(rename = "DenyExec", default)]
    deny_exec: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawCapabilities {
    #[serde(rename = "Allow", default)]
    allow: Vec<Spanned<String>>,
    #[serde(rename = "Deny", default)]
    deny: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    #[serde(rename = "Raw", default)]
    raw: bool,
    #[serde(rename = "Packet", default)]
    packet: bool,
    #[serde(rename = "Protocols", default)]
    protocols: Vec<Spanned<String>>,
}

/// Protocols bane writes as `network inet PROTO,`.
const PROTOCOLS: &[&str] = &["tcp", "udp", "icmp"];

/// Reads a bane TOML file; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<BaneConfig, AppArmorError> {
    let error = |span: Option<Range<usize>>, message: String| AppArmorError::Bane {
        file: file.to_string(),
        line: span.map_or(1, |s| crate::line_of(text, s.start)),
        message,
    };
    let raw: RawFile = toml::from_str(text).map_err(|e| error(e.span(), e.message().trim().to_string()))?;
    let name = raw.name.get_ref().clone();
    check_name(&format!("docker-{name}")).map_err(|e| error(Some(raw.name.span()), e.to_string()))?;
    let paths = |list: Vec<Spanned<String>>| -> Result<Vec<String>, AppArmorError> {
        list.into_iter()
            .map(|p| check_pattern(p.get_ref()).map(|_| p.get_ref().clone()).map_err(|m| error(Some(p.span()), m)))
            .collect()
    };
    let caps = |list: Vec<Spanned<String>>| -> Result<Vec<String>, AppArmorError> {
        list.into_iter()
            .map(|c| {
                let lower = c.get_ref().to_ascii_lowercase();
                let name = lower.strip_prefix("cap_").unwrap_or(&lower).to_string();
                if CAPABILITIES.contains(&name.as_str()) {
                    Ok(name)
                } else {
                    Err(error(Some(c.span()), format!("unknown capability {:?}", c.get_ref())))
                }
            })
            .collect()
    };
    let protocols = raw
        .network
        .protocols
        .into_iter()
        .map(|p| {
            let lower = p.get_ref().to_ascii_lowercase();
            if PROTOCOLS.contains(&lower.as_str()) {
                Ok(lower)
            } else {
                Err(error(Some(p.span()), format!("unknown protocol {:?}: use tcp, udp or icmp", p.get_ref())))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(BaneConfig {
        name,
        read_only_paths: paths(raw.filesystem.read_only_paths)?,
        log_on_write_paths: paths(raw.filesystem.log_on_write_paths)?,
        writable_paths: paths(raw.filesystem.writable_paths)?,
        allow_exec: paths(raw.filesystem.allow_exec)?,
        deny_exec: paths(raw.filesystem.deny_exec)?,
        allow_capabilities: caps(raw.capabilities.allow)?,
        deny_capabilities: caps(raw.capabilities.deny)?,
        raw: raw.network.raw,
        packet: raw.network.packet,
        protocols,
    })
}

/// A user's glob that stays one quoted rule.
fn check_pattern(pattern: &str) -> Result<(), String> {
    if !(pattern.starts_with('/') || pattern.starts_with("@{")) {
        return Err(format!("path {pattern:?} must start with / or a variable such as @{{HOME}}"));
    }
    if let Some(c) = pattern.chars().find(|c| c.is_control() || *c == '"') {
        return Err(format!("path {pattern:?} holds {c:?}, which a profile cannot quote as a pattern"));
    }
    // The parser's lexer would read a final backslash with the closing quote.
    if pattern.ends_with('\\') {
        return Err(format!("path {pattern:?} ends with a backslash"));
    }
    Ok(())
}

/// The profile bane renders from `config`, named `docker-NAME` as bane does.
pub fn to_profile(config: &BaneConfig) -> Profile {
    let name = format!("docker-{}", config.name);
    let quoted = |p: &String| format!("\"{p}\"");
    let list = |paths: &[String], prefix: &str, perms: &str| -> Vec<String> {
        paths.iter().map(|p| format!("{prefix}{} {perms},", quoted(p))).collect()
    };
    let mut network = Vec::new();
    if config.protocols.is_empty() {
        network.push("network,".to_string());
    }
    for protocol in &config.protocols {
        network.push(format!("network inet {protocol},"));
        // IPv6 has no icmp protocol name in AppArmor.
        if protocol != "icmp" {
            network.push(format!("network inet6 {protocol},"));
        }
    }
    if !config.raw {
        network.push("deny network raw,".into());
    }
    if !config.packet {
        network.push("deny network packet,".into());
    }
    // bane: a Deny list means every capability but those; else the Allow list.
    let capabilities = if config.deny_capabilities.is_empty() {
        config.allow_capabilities.iter().map(|c| format!("capability {c},")).collect()
    } else {
        let mut rules = vec!["capability,".to_string()];
        rules.extend(config.deny_capabilities.iter().map(|c| format!("deny capability {c},")));
        rules
    };
    let sections = vec![
        Section { comment: "Network (bane: Network).".into(), rules: network },
        Section {
            comment: "Files: all, but for the denies below (bane's model).".into(),
            rules: vec!["file,".into(), "umount,".into()],
        },
        Section { comment: "ReadOnlyPaths.".into(), rules: list(&config.read_only_paths, "deny ", "wl") },
        Section { comment: "LogOnWritePaths.".into(), rules: list(&config.log_on_write_paths, "audit ", "w") },
        Section { comment: "WritablePaths.".into(), rules: list(&config.writable_paths, "", "w") },
        Section { comment: "AllowExec.".into(), rules: list(&config.allow_exec, "", "ix") },
        Section { comment: "DenyExec.".into(), rules: list(&config.deny_exec, "deny ", "mrwklx") },
        Section { comment: "Capabilities.".into(), rules: capabilities },
        Section {
            comment: "Its processes signal each other.".into(),
            rules: vec![format!("signal (send,receive) peer={name},")],
        },
        runtime::stop_signals(),
        runtime::protective_denies(),
    ];
    Profile {
        name: name.clone(),
        header: vec![
            format!("AppArmor profile {name}, rendered by cinch from a bane configuration."),
            format!("Use it: docker run --security-opt apparmor={name} ..."),
        ],
        includes: vec!["abstractions/base".into()],
        sections,
        complain: false,
    }
}

/// Top-level directories bane users mark read-only (bane's sample).
const TOP_DIRS: &[&str] = &[
    "bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "media", "mnt", "opt", "proc", "root", "sbin", "srv",
    "sys", "tmp", "usr", "var",
];

/// Programs an attacker reaches for; denied unless the trace ran them.
const SHELLS: &[&str] =
    &["/bin/sh", "/bin/bash", "/bin/dash", "/usr/bin/sh", "/usr/bin/bash", "/usr/bin/dash", "/bin/busybox"];

/// A bane configuration from a trace (`--emit-bane`), and notes.
pub fn from_trace(trace: &Trace, name: &str, glob_min: usize) -> (String, Vec<Note>) {
    let mut notes: Vec<Note> = crate::note::lost_events(trace).into_iter().collect();
    let mut unsafe_names = 0;
    let mut written: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut seen: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut writable: Vec<(Vec<u8>, bool)> = Vec::new();
    let mut created: BTreeMap<Vec<u8>, Vec<(Vec<u8>, bool)>> = BTreeMap::new();
    let mut writable_globs = Vec::new();
    for (spelling, used) in &trace.files {
        if used.outside_root || used.truncated || spelling.starts_with("/proc/") {
            continue;
        }
        let Ok(bytes) = path::decode(spelling) else { continue };
        seen.insert(bytes.clone());
        let perms = perms_of(&used.access);
        if perms.write || perms.append {
            written.insert(bytes.clone());
            if used.access.contains(&Access::Create) && !used.directory {
                created.entry(path::parent(&bytes).to_vec()).or_default().push((bytes, used.directory));
            } else {
                writable.push((bytes, used.directory));
            }
        }
    }
    // As in cinch's profile: DIR/* once the workload created glob_min files there.
    for (dir, files) in created {
        if glob_min > 0 && files.len() >= glob_min {
            match bane_literal(path::without_trailing_slash(&dir), false) {
                Some(p) => writable_globs.push(format!("{p}/*")),
                None => unsafe_names += 1,
            }
        } else {
            writable.extend(files);
        }
    }
    let mut writable_paths = writable_globs;
    for (bytes, directory) in writable {
        match bane_literal(&bytes, directory) {
            Some(p) => writable_paths.push(p),
            None => unsafe_names += 1,
        }
    }
    writable_paths.sort();
    // Read-only: each top directory nothing was written under; into one
    // that was, each directory seen in the trace that nothing was written under.
    let mut read_only = Vec::new();
    for top in TOP_DIRS {
        read_only_under(format!("/{top}/").into_bytes(), &seen, &written, &mut read_only, &mut unsafe_names);
    }
    let mut allow_exec = Vec::new();
    for (spelling, exec) in &trace.executions {
        if exec.parents.iter().all(|p| p == OUTSIDE) || exec.outside_root || exec.truncated {
            continue;
        }
        match path::decode(spelling).ok().and_then(|b| bane_literal(&b, false)) {
            Some(p) => allow_exec.push(p),
            None => unsafe_names += 1,
        }
    }
    let deny_exec: Vec<String> =
        SHELLS.iter().filter(|s| !trace.files.contains_key(**s)).map(|s| s.to_string()).collect();
    let (caps, cap_notes) = capabilities(trace);
    notes.extend(cap_notes);
    let caps: Vec<String> = caps.into_iter().map(String::from).collect();
    let mut protocols = BTreeSet::new();
    let (mut raw, mut packet) = (false, false);
    let sockets = trace.syscalls.get("socket").map(|s| s.args.iter().collect::<Vec<_>>()).unwrap_or_default();
    for args in sockets {
        let domain = args.get("domain").copied().unwrap_or(0) as i32;
        let kind = (args.get("type").copied().unwrap_or(0) & 0xf) as i32;
        packet |= domain == libc::AF_PACKET;
        if domain == libc::AF_INET || domain == libc::AF_INET6 {
            match kind {
                libc::SOCK_STREAM => drop(protocols.insert("tcp")),
                libc::SOCK_DGRAM => drop(protocols.insert("udp")),
                libc::SOCK_RAW => raw = true,
                _ => {}
            }
        }
    }
    if protocols.is_empty() {
        notes.push("the trace has no TCP or UDP socket, but bane allows all networking when Protocols is empty".into());
    }
    if unsafe_names > 0 {
        notes.push(format!(
            "{unsafe_names} path(s) hold characters bane writes unquoted (space, comma, #, quotes, control or non-UTF-8 bytes) and were left out; cinch's own profile has them"
        ).into());
    }
    let array = |items: &[String]| -> String {
        if items.is_empty() {
            return "[]".into();
        }
        let body: Vec<String> = items.iter().map(|i| format!("\t{},\n", toml_string(i))).collect();
        format!("[\n{}]", body.concat())
    };
    let text = format!(
        "# bane configuration generated by cinch from a trace.\n\
         # bane's model is coarser than cinch's own profile (cinch generate apparmor --trace):\n\
         # every file may be read, and writes are denied by directory.\n\
         # bane, and cinch generate apparmor --bane, name the profile docker-<Name>.\n\
         Name = {}\n\n\
         [Filesystem]\n\
         # Nothing was written under these.\n\
         ReadOnlyPaths = {}\n\n\
         LogOnWritePaths = []\n\n\
         # Written by the workload.\n\
         WritablePaths = {}\n\n\
         # Run by the workload itself.\n\
         AllowExec = {}\n\n\
         # Shells it never ran.\n\
         DenyExec = {}\n\n\
         [Capabilities]\n\
         Allow = {}\n\n\
         [Network]\n\
         Raw = {raw}\n\
         Packet = {packet}\n\
         Protocols = {}\n",
        toml_string(name),
        array(&read_only),
        array(&writable_paths),
        array(&allow_exec),
        array(&deny_exec),
        array(&caps),
        array(&protocols.iter().map(|p| p.to_string()).collect::<Vec<_>>()),
    );
    (text, notes)
}

/// `dir/**` when nothing under `dir` (ending in `/`) was written, else the
/// same for each of its subdirectories the trace saw.
fn read_only_under(
    dir: Vec<u8>,
    seen: &BTreeSet<Vec<u8>>,
    written: &BTreeSet<Vec<u8>>,
    out: &mut Vec<String>,
    unsafe_names: &mut usize,
) {
    if !written.iter().any(|p| p.starts_with(&dir)) {
        match bane_literal(&dir, false) {
            Some(p) => out.push(format!("{p}**")),
            None => *unsafe_names += 1,
        }
        return;
    }
    let children: BTreeSet<&[u8]> = seen
        .iter()
        .filter_map(|p| p.strip_prefix(dir.as_slice()))
        .filter_map(|rest| rest.iter().position(|&b| b == b'/').map(|i| &rest[..i]))
        .collect();
    for child in children {
        read_only_under([dir.as_slice(), child, b"/"].concat(), seen, written, out, unsafe_names);
    }
}

/// A literal path as a bane glob (bane writes paths unquoted): glob
/// characters escaped; None when it holds what an unquoted rule cannot.
fn bane_literal(bytes: &[u8], directory: bool) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    if text.chars().any(|c| c.is_whitespace() || c.is_control() || ",#\"\\".contains(c)) {
        return None;
    }
    let mut out = String::new();
    for c in text.chars() {
        if "*?[]{}^@".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    if directory && !out.ends_with('/') {
        out.push('/');
    }
    Some(out)
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_and_line() {
        let err = parse("b.toml", "Name = \"x\"\n[Filesystem]\nWritablePaths = [\n  \"relative\"\n]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "b.toml: line 4: path \"relative\" must start with / or a variable such as @{HOME}"
        );
        let err = parse("b.toml", "Name = \"x\"\n\n[Capabilities]\nAllow = [\"fly\"]\n").unwrap_err();
        assert_eq!(err.to_string(), "b.toml: line 4: unknown capability \"fly\"");
        let err = parse("b.toml", "Name = \"x\"\nNetwrk = {}\n").unwrap_err();
        assert!(err.to_string().starts_with("b.toml: line 2: unknown field `Netwrk`"), "{err}");
        let err = parse("b.toml", "Name = \"a b\"\n").unwrap_err();
        assert!(err.to_string().starts_with("b.toml: line 1: invalid profile name"), "{err}");
        let err = parse("b.toml", "Name = \"x\"\n[Filesystem]\nAllowExec = [\"/a\\\\\"]\n").unwrap_err();
        assert!(err.to_string().contains("ends with a backslash"), "{err}");
        let err = parse("b.toml", "Name = [").unwrap_err();
        assert!(err.to_string().starts_with("b.toml: line 1: "), "{err}");
    }

    #[test]
    fn literal_paths_become_escaped_globs_or_nothing() {
        assert_eq!(bane_literal(b"/a/b*c", false).as_deref(), Some(r"/a/b\*c"));
        assert_eq!(bane_literal(b"/a/d", true).as_deref(), Some("/a/d/"));
        assert_eq!(bane_literal(b"/a b", false), None);
        assert_eq!(bane_literal(b"/a,b", false), None);
        assert_eq!(bane_literal(b"/a\xff", false), None);
        assert_eq!(toml_string("a\"b\\c\n"), r#""a\"b\\c\u000A""#);
    }
}

#[cfg(test)]
mod golden {
    use super::*;

    const SAMPLE: &str = include_str!("../../../fixtures/reference/bane-sample.toml");
    const WORKER_TRACE: &str = include_str!("../../../fixtures/traces/worker-files.json");

    /// bane's own sample; tests/apparmor.rs compiles the golden.
    #[test]
    fn bane_sample_profile() {
        let config = parse("bane-sample.toml", SAMPLE).unwrap();
        assert_eq!(config.name, "nginx-sample");
        assert_eq!(config.read_only_paths.len(), 17);
        insta::assert_snapshot!("bane_sample_profile", to_profile(&config).render());
    }

    #[test]
    fn worker_bane_file_round_trips() {
        let trace = Trace::from_json(WORKER_TRACE).unwrap();
        let (text, notes) = from_trace(&trace, "mascot-worker", 3);
        insta::assert_snapshot!("worker_bane_toml", text);
        assert!(notes.iter().all(|n| !n.text.contains("left out")), "{notes:?}");
        let config = parse("worker.toml", &text).unwrap();
        assert_eq!(config.writable_paths, ["/usr/local/mascotnode/results/*"]);
        insta::assert_snapshot!("worker_bane_profile", to_profile(&config).render());
    }
}
