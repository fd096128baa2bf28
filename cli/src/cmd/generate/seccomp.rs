//! `cinch generate seccomp`: trace → seccomp profile (Docker, OCI or Kubernetes).

use crate::cmd::show::read_trace;
use crate::exit;
use crate::output::PendingOutput;
use anyhow::{anyhow, Result};
use cinch_profiles::seccomp::{self, k8s, oci, Runtime};
use cinch_profiles::{Target, Trace};
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Generate a seccomp allowlist from a trace.
///
/// Everything the trace saw is allowed, nothing else (EPERM). Arguments are
/// checked where that keeps the profile tight: clone without namespace flags,
/// socket for the families seen, personality and unshare for the values seen;
/// clone3 answers ENOSYS so that the C library falls back to clone.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch generate seccomp --trace trace.json -o seccomp.json\n  \
    docker run --security-opt seccomp=seccomp.json IMAGE\n  \
    cinch generate seccomp --trace trace.json --format k8s --name mascot-worker -o seccomp.yaml\n\n\
    Exit status: 0 written; 2 unreadable trace or unwritable output.")]
pub struct SeccompArgs {
    /// Trace file written by `cinch trace`
    #[arg(long, value_name = "FILE")]
    trace: PathBuf,

    /// File to write (atomically)
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,

    /// docker: Docker's seccomp JSON; oci: the linux.seccomp object of an OCI
    /// config.json; k8s: a security-profiles-operator SeccompProfile and a Pod snippet
    #[arg(long, value_enum, default_value_t = Format::Docker)]
    format: Format,

    /// Add what the container runtime does after installing the filter:
    /// auto adds runc's for container traces and nothing for commands
    #[arg(long, value_name = "RUNTIME", default_value = "auto")]
    runtime_floor: FloorChoice,

    /// Resource name (k8s format; default: the traced container's name)
    #[arg(long)]
    name: Option<String>,

    /// Resource namespace (k8s format)
    #[arg(long, default_value = "default")]
    namespace: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Docker,
    Oci,
    K8s,
}

/// `auto`, `none`, or a runtime with a measured floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloorChoice {
    Auto,
    Off,
    Runtime(Runtime),
}

impl std::str::FromStr for FloorChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<FloorChoice, String> {
        match s {
            "auto" => Ok(FloorChoice::Auto),
            "none" => Ok(FloorChoice::Off),
            other => other.parse().map(FloorChoice::Runtime).map_err(|e| format!("{e}; or auto, none")),
        }
    }
}

impl FloorChoice {
    /// The runtime whose floor a profile of `trace` gets.
    pub fn resolve(self, trace: &Trace) -> Option<Runtime> {
        match self {
            FloorChoice::Off => None,
            FloorChoice::Runtime(runtime) => Some(runtime),
            // Even a trace from the container's start gets the floor: Go's
            // scheduler makes a few of runc's calls timing-dependent, and the
            // floor is the union of many measured starts.
            FloorChoice::Auto => matches!(trace.target, Target::Container { .. }).then_some(Runtime::Runc),
        }
    }
}

pub fn run(args: SeccompArgs) -> Result<u8> {
    let trace = read_trace(&args.trace)?;
    let output = PendingOutput::reserve(&args.output)?;
    let name = args.name.clone().unwrap_or_else(|| default_name(&trace));
    let text = render(&trace, args.format, args.runtime_floor, &name, &args.namespace)?;
    output.commit(text.as_bytes())?;
    eprintln!("cinch: wrote {}", args.output.display());
    Ok(exit::OK)
}

/// The profile's text in `format`, with generator notes printed to stderr.
pub fn render(trace: &Trace, format: Format, floor: FloorChoice, name: &str, namespace: &str) -> Result<String> {
    let options = seccomp::Options { runtime: floor.resolve(trace) };
    let generated = seccomp::generate(trace, &options).map_err(|e| anyhow!("cannot generate the profile: {e}"))?;
    for note in &generated.notes {
        eprintln!("cinch: note: {note}");
    }
    let profile = generated.profile;
    Ok(match format {
        Format::Docker => profile.to_json(),
        Format::Oci => oci::to_json(&oci::to_oci(&profile).map_err(|e| anyhow!("{e}"))?),
        Format::K8s => k8s::to_yaml(&profile, name, namespace),
    })
}

/// A Kubernetes-safe name for the profile: the container's name, or `cinch`.
pub fn default_name(trace: &Trace) -> String {
    let raw = match &trace.target {
        Target::Container { name, .. } if !name.is_empty() => name.as_str(),
        _ => "cinch",
    };
    let cleaned: String = raw
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '-' })
        .collect();
    let trimmed = cleaned.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    if trimmed.is_empty() {
        "cinch".into()
    } else {
        trimmed.chars().take(63).collect()
    }
}
