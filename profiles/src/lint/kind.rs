//! What kind of artifact a file is: from its name first, then its content.

use super::parse::json;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A Docker seccomp profile (JSON with defaultAction).
    Seccomp,
    /// An OCI runtime config.json.
    Oci,
    Apparmor,
    /// Docker's daemon.json.
    DaemonJson,
    /// /etc/subuid or /etc/subgid.
    Subid,
    Dockerfile,
    Compose,
    /// A shell script or text with `docker run` lines.
    Shell,
    /// A GitHub Actions workflow: its steps' `run:` scripts are shell.
    Workflow,
    /// A Kubernetes SeccompProfile (security-profiles-operator): its spec
    /// is checked by the seccomp rules.
    K8sSeccomp,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Seccomp,
        Kind::Oci,
        Kind::Apparmor,
        Kind::DaemonJson,
        Kind::Subid,
        Kind::Dockerfile,
        Kind::Compose,
        Kind::Shell,
        Kind::Workflow,
        Kind::K8sSeccomp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Seccomp => "seccomp",
            Kind::Oci => "oci",
            Kind::Apparmor => "apparmor",
            Kind::DaemonJson => "daemon-json",
            Kind::Subid => "subid",
            Kind::Dockerfile => "dockerfile",
            Kind::Compose => "compose",
            Kind::Shell => "shell",
            Kind::Workflow => "workflow",
            Kind::K8sSeccomp => "k8s-seccomp",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether the format has `#` comments (and so inline suppressions).
    pub fn has_comments(self) -> bool {
        matches!(
            self,
            Kind::Apparmor | Kind::Dockerfile | Kind::Compose | Kind::Shell | Kind::Workflow | Kind::K8sSeccomp
        )
    }
}

/// Source code, documentation, templates and test snapshots: they mention
/// `docker run` or `profile x {` without being artifacts (`--kind` still
/// lints one on purpose).
const NOT_ARTIFACTS: &[&str] =
    &["rs", "go", "py", "js", "ts", "c", "h", "md", "rst", "html", "snap", "hbs", "tmpl", "j2", "tpl", "toml", "lock"];

/// The kind of `path`, from its name, else from `text`; None when it is none
/// of them (a directory walk skips such files).
pub fn detect(path: &Path, text: &str) -> Option<Kind> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    let extension = path.extension().map(|e| e.to_string_lossy().to_lowercase()).unwrap_or_default();
    if NOT_ARTIFACTS.contains(&extension.as_str()) {
        return None;
    }
    if name == "dockerfile"
        || name == "containerfile"
        || name.starts_with("dockerfile.")
        || name.starts_with("containerfile.")
        || extension == "dockerfile"
        || extension == "containerfile"
    {
        return Some(Kind::Dockerfile);
    }
    let in_workflows = path.parent().is_some_and(|dir| dir.ends_with(".github/workflows"));
    if in_workflows && matches!(extension.as_str(), "yaml" | "yml") {
        return Some(Kind::Workflow);
    }
    if name == "subuid" || name == "subgid" {
        return Some(Kind::Subid);
    }
    if matches!(name.as_str(), "compose.yaml" | "compose.yml")
        || (name.starts_with("docker-compose") && matches!(extension.as_str(), "yaml" | "yml"))
    {
        return Some(Kind::Compose);
    }
    if name == "daemon.json" {
        return Some(Kind::DaemonJson);
    }
    if extension == "json" || text.trim_start().starts_with('{') {
        if let Some(kind) = json_kind(text) {
            return Some(kind);
        }
        // A .json file that is not JSON: linted as the commonest kind, which
        // reports it unparsable (LINT001) with its line.
        return (extension == "json" && json::parse(text).is_err()).then_some(Kind::Seccomp);
    }
    if extension == "apparmor" || looks_like_apparmor(text) {
        return Some(Kind::Apparmor);
    }
    if matches!(extension.as_str(), "yaml" | "yml") {
        if text.lines().any(|l| matches!(l.trim_end(), "kind: SeccompProfile" | "kind: \"SeccompProfile\"")) {
            return Some(Kind::K8sSeccomp);
        }
        return text.lines().any(|l| l.starts_with("services:")).then_some(Kind::Compose);
    }
    let shell_name = matches!(extension.as_str(), "sh" | "bash") || text.starts_with("#!");
    let has_run = ["docker run", "docker create", "docker container run", "docker container create", "podman run"]
        .iter()
        .any(|command| text.contains(command));
    if has_run || (shell_name && text.starts_with("#!") && text.lines().next().is_some_and(|l| l.contains("sh"))) {
        return Some(Kind::Shell);
    }
    None
}

/// Seccomp, OCI config or daemon.json, by their telling keys.
fn json_kind(text: &str) -> Option<Kind> {
    let node = json::parse(text).ok()?;
    if node.get("defaultAction").is_some() {
        Some(Kind::Seccomp)
    } else if node.get("ociVersion").is_some() {
        Some(Kind::Oci)
    } else if [
        "userns-remap",
        "storage-driver",
        "data-root",
        "log-driver",
        "seccomp-profile",
        "live-restore",
        "icc",
        "no-new-privileges",
        "default-ulimits",
        "registry-mirrors",
        "insecure-registries",
    ]
    .iter()
    .any(|k| node.get(k).is_some())
    {
        Some(Kind::DaemonJson)
    } else {
        None
    }
}

fn looks_like_apparmor(text: &str) -> bool {
    text.lines().map(str::trim_start).any(|l| {
        l.starts_with("#include <tunables/")
            || l.starts_with("include <tunables/")
            || l.starts_with("abi <abi/")
            || (l.starts_with("profile ") && l.trim_end().ends_with('{'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_name_then_content() {
        let k = |p: &str, t: &str| detect(Path::new(p), t);
        assert_eq!(k("a/Dockerfile", ""), Some(Kind::Dockerfile));
        assert_eq!(k("Containerfile.source", ""), Some(Kind::Dockerfile));
        assert_eq!(k("docker-compose.prod.yml", ""), Some(Kind::Compose));
        assert_eq!(k("x.json", "{\"defaultAction\": \"SCMP_ACT_ERRNO\"}"), Some(Kind::Seccomp));
        assert_eq!(k("config.json", "{\"ociVersion\": \"1.0.2\"}"), Some(Kind::Oci));
        assert_eq!(k("d.json", "{\"userns-remap\": \"default\"}"), Some(Kind::DaemonJson));
        assert_eq!(k("p", "#include <tunables/global>\nprofile p {\n}\n"), Some(Kind::Apparmor));
        assert_eq!(k("run.sh", "#!/bin/sh\nexec docker run x\n"), Some(Kind::Shell));
        assert_eq!(k("notes.txt", "nothing here"), None);
        assert_eq!(k("other.json", "{\"a\": 1}"), None);
        assert_eq!(k("broken.json", "{\"a\": "), Some(Kind::Seccomp));
        assert_eq!(k("src/dockerfile.rs", "docker run x"), None);
        assert_eq!(k("README.md", "profile p {\n}\ndocker run x"), None);
        assert_eq!(k("templates/Containerfile.hbs", "FROM scratch"), None);
    }
}
