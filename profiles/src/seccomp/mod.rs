//! Seccomp profiles: generated from a trace ([`mod@generate`]), read from any
//! Docker, OCI or security-profiles-operator JSON ([`load`]), written as
//! Docker JSON, an OCI `linux.seccomp` object ([`oci`]) or a Kubernetes
//! resource ([`k8s`]), and compared ([`diff`]).

pub mod diff;
pub mod floor;
pub mod generate;
pub mod k8s;
pub mod oci;
pub mod profile;
pub mod translate;
pub mod verdict;

pub use floor::{FloorChoice, Runtime};
pub use generate::{generate, Generated, Mode, Options};
pub use profile::{Action, Arg, Op, Profile, Rule};

use crate::arch::Arch;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("line {line}, column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("line 1: not a seccomp profile: expected Docker's JSON (with \"defaultAction\"), an OCI config.json (with \"linux\": {{\"seccomp\": ...}}) or an OCI \"linux.seccomp\" object")]
    UnknownFormat,
    #[error("line 1: this OCI config has no linux.seccomp: the container runs without a seccomp filter")]
    NoSeccompInConfig,
    #[error("{name:?} is not a syscall on {arch}: runc would silently ignore it")]
    UnknownSyscall { name: String, arch: Arch },
    #[error("{arch} is not an architecture cinch knows the syscall table of")]
    UnknownArch { arch: String },
    #[error("the OCI runtime spec types refused the profile")]
    Oci(#[source] oci_spec::OciSpecError),
    #[error("{message} (expected Docker's JSON, an OCI config.json or linux.seccomp object, or a Kubernetes SeccompProfile in YAML)")]
    Kubernetes { message: String },
    #[error("{name:?} is not a Kubernetes name (RFC 1123: lowercase letters, digits, '-' and '.', at most 253, starting and ending with a letter or digit)")]
    BadKubernetesName { name: String },
}

/// A Kubernetes object name (RFC 1123 subdomain), as the API server accepts it.
pub fn check_kubernetes_name(name: &str) -> Result<(), SeccompError> {
    let ok = (1..=253).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(SeccompError::BadKubernetesName { name: crate::shorten(name, 80) })
    }
}

impl PartialEq for SeccompError {
    /// Errors compare by what they say (the OCI library's error has no equality).
    fn eq(&self, other: &SeccompError) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for SeccompError {}

/// The forms a profile is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Docker's seccomp JSON.
    Docker,
    /// The `linux.seccomp` object of an OCI config.json.
    Oci,
    /// A security-profiles-operator SeccompProfile and a Pod snippet.
    K8s,
}

impl Format {
    pub const NAMES: [&'static str; 3] = ["docker", "oci", "k8s"];
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s {
            "docker" => Ok(Format::Docker),
            "oci" => Ok(Format::Oci),
            "k8s" => Ok(Format::K8s),
            other => Err(format!("unknown format {other:?}: use docker, oci or k8s")),
        }
    }
}

/// What [`render`] needs besides the trace.
#[derive(Debug, Clone)]
pub struct RenderOptions<'a> {
    pub format: Format,
    pub floor: FloorChoice,
    pub mode: Mode,
    /// The resource's name (k8s form only; SeccompProfile is cluster-scoped).
    pub name: &'a str,
    /// The architectures the profile is for (empty: the trace's).
    pub arches: &'a [Arch],
}

/// A profile's text in its form, and the generator's notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub notes: Vec<crate::Note>,
}

/// The profile of `trace`, generated and written in the asked form.
pub fn render(trace: &crate::Trace, options: &RenderOptions) -> Result<Rendered, SeccompError> {
    let generated = generate(
        trace,
        &Options { runtime: options.floor.resolve(trace), mode: options.mode, arches: options.arches.to_vec() },
    )?;
    let profile = generated.profile;
    let text = match options.format {
        Format::Docker => profile.to_json(),
        Format::Oci => oci::to_json(&oci::to_oci(&profile)?),
        Format::K8s => {
            check_kubernetes_name(options.name)?;
            k8s::to_yaml(&profile, options.name)
        }
    };
    let mut notes = generated.notes;
    if options.format == Format::K8s && profile.default_errno_ret.is_some_and(|errno| errno != 1) {
        notes.push(crate::Note::from(
            "the SeccompProfile CRD has no defaultErrnoRet: denied calls answer EPERM there, not the profile's errno",
        ));
    }
    Ok(Rendered { text, notes })
}

/// Reads a profile in any of the forms cinch knows: Docker's JSON, an OCI
/// config.json or its linux.seccomp object, a Kubernetes SeccompProfile (YAML).
pub fn load(text: &str) -> Result<Profile, SeccompError> {
    #[derive(Deserialize)]
    struct Shape {
        #[serde(rename = "defaultAction")]
        default_action: Option<serde::de::IgnoredAny>,
        linux: Option<serde_json::Value>,
    }
    #[derive(Deserialize)]
    struct OciConfig {
        linux: OciLinux,
    }
    #[derive(Deserialize)]
    struct OciLinux {
        seccomp: Option<Profile>,
    }
    if !text.trim_start().starts_with('{') {
        // Not JSON: the Kubernetes form is the one YAML cinch reads.
        return k8s::from_yaml(text).map_err(|message| SeccompError::Kubernetes { message });
    }
    let shape: Shape = serde_json::from_str(text).map_err(syntax)?;
    if shape.default_action.is_some() {
        return serde_json::from_str(text).map_err(syntax);
    }
    if shape.linux.is_some() {
        let config: OciConfig = serde_json::from_str(text).map_err(syntax)?;
        return config.linux.seccomp.ok_or(SeccompError::NoSeccompInConfig);
    }
    Err(SeccompError::UnknownFormat)
}

fn syntax(err: serde_json::Error) -> SeccompError {
    SeccompError::Syntax { line: err.line(), column: err.column(), message: strip_position(&err.to_string()) }
}

/// serde_json appends " at line L column C"; cinch puts the position first.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// Checks every syscall name against the table of every architecture the
/// profile lists: runc drops names it does not know without a word, so a
/// typo would silently deny what the workload needs.
pub fn validate(profile: &Profile) -> Result<(), SeccompError> {
    let mut arches = Vec::new();
    for name in profile.arch_names() {
        match profile::arch_of_scmp(name) {
            Some(arch) => arches.push(arch),
            None => return Err(SeccompError::UnknownArch { arch: name.to_string() }),
        }
    }
    for rule in &profile.syscalls {
        // A rule limited to some architectures (Docker's includes.arches)
        // names their calls only.
        let limited: Vec<Arch> = rule.includes.arches.iter().filter_map(|a| profile::arch_of_go(a)).collect();
        let applies: Vec<&Arch> = arches.iter().filter(|a| limited.is_empty() || limited.contains(a)).collect();
        for name in rule.all_names() {
            for arch in &applies {
                if arch.syscall_number(name).is_none() {
                    return Err(SeccompError::UnknownSyscall { name: name.to_string(), arch: **arch });
                }
            }
        }
    }
    Ok(())
}
