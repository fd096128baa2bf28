//! `cinch generate seccomp`: trace → seccomp profile (Docker, OCI or Kubernetes).

use crate::exit;
use crate::input::read_trace;
use crate::output::{print_notes, PendingOutput};
use anyhow::{Context, Result};
use cinch_profiles::seccomp::{self, FloorChoice, Format, Mode, RenderOptions};
use cinch_profiles::{Arch, Trace};
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;
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
    cinch generate seccomp --trace trace.json --mode log -o staging.json\n  \
    cinch generate seccomp --trace trace.json --format k8s --name mascot-worker -o seccomp.yaml\n  \
    cinch generate seccomp --trace trace.json --arch x86_64,aarch64 -o seccomp.json\n\n\
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
    #[arg(long, default_value = "docker", value_parser = PossibleValuesParser::new(Format::NAMES).map(|s| s.parse::<Format>().expect("a listed name")))]
    format: Format,

    /// Add what the container runtime does after installing the filter:
    /// auto adds that of the runtime a container trace ran under (runc or
    /// crun) and nothing for commands
    #[arg(long, value_name = "RUNTIME", default_value = "auto")]
    runtime_floor: FloorChoice,

    /// enforce: a call outside the allowlist gets EPERM; log: it runs and the
    /// kernel logs it (SCMP_ACT_LOG), for staging under `cinch watch --profile`
    #[arg(long, default_value = "enforce", value_parser = PossibleValuesParser::new(Mode::NAMES).map(|s| s.parse::<Mode>().expect("a listed name")))]
    mode: Mode,

    /// Resource name (k8s format; default: the traced container's name)
    #[arg(long)]
    name: Option<String>,

    /// Architectures to write the profile for, comma-separated (x86_64,
    /// aarch64; default: the trace's). The trace's calls are translated for
    /// another architecture (open -> openat, stat -> newfstatat, fork ->
    /// clone, ...; the README lists the rules), and what only one needs is
    /// limited to it (Docker's includes.arches)
    #[arg(long, value_delimiter = ',', value_name = "ARCH")]
    arch: Vec<Arch>,
}

pub fn run(args: SeccompArgs) -> Result<u8> {
    let trace = read_trace(&args.trace)?;
    let output = PendingOutput::reserve(&args.output)?;
    let name = args.name.clone().unwrap_or_else(|| trace.default_profile_name());
    let options = RenderOptions {
        format: args.format,
        floor: args.runtime_floor,
        mode: args.mode,
        name: &name,
        arches: &args.arch,
    };
    let text = render(&trace, &options)?;
    let shown = output.shown(&args.output);
    output.commit(text.as_bytes())?;
    say!("cinch: wrote {shown}");
    Ok(exit::OK)
}

/// The profile's text, with the generator's notes printed to stderr.
fn render(trace: &Trace, options: &seccomp::RenderOptions) -> Result<String> {
    let rendered = seccomp::render(trace, options).context("cannot generate the profile")?;
    print_notes(&rendered.notes);
    Ok(rendered.text)
}
