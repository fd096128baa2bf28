//! `cinch profile`: trace, then generate every artifact this version knows,
//! and print how to use them.

use crate::output::{print_notes, PendingOutput};
use crate::record::{lost_events_verdict, record, Recorded, TargetArgs};
use anyhow::{Context, Result};
use cinch_profiles::seccomp::{self, FloorChoice, Format, RenderOptions};
use cinch_profiles::shell;
use cinch_profiles::{Target, Trace};
use clap::Args;
use std::path::{Path, PathBuf};

/// Trace a container or command, then write the trace and every profile
/// made from it into a directory, and print the `docker run` line to use.
///
/// Artifacts: DIR/trace.json and DIR/seccomp.json (Docker's JSON). With
/// `-- docker run ...` the container that command creates is traced from its
/// creation, and the printed line is the same command with the new profile.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch profile -o hardening/ -- docker run --rm --network host mascot/worker --jobs 1\n  \
    cinch profile -o hardening/ --container mascot-worker --duration 10m\n\n\
    Exit status: 0 written; 1 written but events were lost; 2 nothing written.")]
pub struct ProfileArgs {
    /// Directory for the artifacts (created if missing; files in it are replaced atomically)
    #[arg(long, short = 'o', value_name = "DIR")]
    output: PathBuf,

    /// Add what the container runtime does after installing the filter
    /// (auto: runc's for containers, nothing for commands)
    #[arg(long, value_name = "RUNTIME", default_value = "auto")]
    runtime_floor: FloorChoice,

    #[command(flatten)]
    target: TargetArgs,
}

pub fn run(args: ProfileArgs) -> Result<u8> {
    args.target.check()?;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create directory {}", args.output.display()))?;
    let dir = args.output.canonicalize().with_context(|| format!("cannot resolve {}", args.output.display()))?;
    let trace_path = dir.join("trace.json");
    let seccomp_path = dir.join("seccomp.json");
    let trace_out = PendingOutput::reserve_file(&trace_path)?;
    let seccomp_out = PendingOutput::reserve_file(&seccomp_path)?;

    let Recorded { trace, docker_run } = record(&args.target, &trace_path)?;
    // The trace is kept even if a generator fails: it is the evidence.
    trace_out.commit(trace.to_json().as_bytes())?;
    let name = trace.default_profile_name();
    let options = RenderOptions { format: Format::Docker, floor: args.runtime_floor, name: &name };
    let seccomp = seccomp::render(&trace, &options).context("cannot generate the seccomp profile")?;
    print_notes(&seccomp.notes);
    seccomp_out.commit(seccomp.text.as_bytes())?;
    eprintln!("cinch: wrote {} and {}", trace_path.display(), seccomp_path.display());

    let line = run_line(&trace, docker_run.as_ref(), &seccomp_path);
    eprintln!("cinch: run it with:");
    println!("{line}");
    Ok(lost_events_verdict(&trace, args.target.allow_lost()))
}

/// The command line that runs the traced workload under the new profile.
fn run_line(trace: &Trace, docker_run: Option<&crate::docker_run::DockerRun>, seccomp: &Path) -> String {
    let profile = seccomp.to_string_lossy();
    if let Some(run) = docker_run {
        let words: Vec<String> =
            run.with_seccomp(seccomp.as_os_str()).iter().map(|w| w.to_string_lossy().into_owned()).collect();
        return shell::join(&words);
    }
    match &trace.target {
        Target::Container { image, .. } => {
            shell::join(&["docker", "run", "--security-opt", &format!("seccomp={profile}"), image])
        }
        Target::Command { argv } | Target::Process { argv } => {
            let mut words =
                vec!["cinch".to_string(), "run".into(), "--seccomp".into(), profile.into_owned(), "--".into()];
            words.extend(argv.iter().cloned());
            shell::join(&words)
        }
        // `cinch profile` traces one run; a merged trace has no single command.
        Target::Merged { .. } => format!("--security-opt {}", shell::quote(&format!("seccomp={profile}"))),
    }
}
