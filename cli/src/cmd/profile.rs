//! `cinch profile`: trace, then generate every artifact this version knows,
//! and print how to use them.

use crate::apparmor_parser;
use crate::output::{print_notes, print_stdout, PendingOutput};
use crate::record::{lost_events_verdict, record, Recorded, TargetArgs};
use anyhow::{Context, Result};
use cinch_profiles::seccomp::{self, FloorChoice, Format, Mode, RenderOptions};
use cinch_profiles::shell;
use cinch_profiles::{apparmor, Target, Trace};
use clap::Args;
use std::path::{Path, PathBuf};

/// Trace a container or command, then write the trace and every profile
/// made from it into a directory, and print the `docker run` line to use.
///
/// Artifacts: DIR/trace.json, DIR/seccomp.json (Docker's JSON) and
/// DIR/NAME.apparmor (compiled with apparmor_parser where installed). With
/// `-- docker run ...` the container that command creates is traced from its
/// creation, and the printed line is the same command with both profiles.
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
    /// (auto: for containers that of the runtime they ran under, runc or crun; nothing for commands)
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
    let options = RenderOptions {
        format: Format::Docker,
        floor: args.runtime_floor,
        mode: Mode::Enforce,
        name: &name,
        arches: &[],
    };
    let seccomp = seccomp::render(&trace, &options).context("cannot generate the seccomp profile")?;
    print_notes(&seccomp.notes);
    seccomp_out.commit(seccomp.text.as_bytes())?;

    let generated = apparmor::generate(&trace, &apparmor::Options { name: name.clone(), glob_min: 3 })
        .context("cannot generate the AppArmor profile")?;
    print_notes(&generated.notes);
    let apparmor_text = generated.profile.render();
    let apparmor_path = dir.join(format!("{name}.apparmor"));
    let compiled = apparmor_parser::check(&apparmor_text)
        .with_context(|| format!("{} was not written", apparmor_path.display()))?;
    PendingOutput::reserve_file(&apparmor_path)?.commit(apparmor_text.as_bytes())?;
    say!("cinch: wrote {}, {} and {}", trace_path.display(), seccomp_path.display(), apparmor_path.display());
    if !compiled {
        say!("cinch: note: apparmor_parser is not installed; {} was not compile-checked", apparmor_path.display());
    }

    let is_container = docker_run.is_some() || matches!(trace.target, Target::Container { .. });
    if is_container {
        say!(
            "cinch: load the AppArmor profile first (where the kernel has AppArmor): sudo apparmor_parser -r {}",
            shell::quote(&apparmor_path.to_string_lossy())
        );
    }
    let line = run_line(&trace, docker_run.as_ref(), &seccomp_path, &name);
    say!("cinch: run it with:");
    print_stdout(&format!("{line}\n"))?;
    Ok(lost_events_verdict(&trace, args.target.allow_lost()))
}

/// The command line that runs the traced workload under the new profile.
/// (A host command gets `cinch run`, which applies seccomp only.)
fn run_line(
    trace: &Trace,
    docker_run: Option<&crate::docker_run::DockerRun>,
    seccomp: &Path,
    apparmor: &str,
) -> String {
    let profile = seccomp.to_string_lossy();
    if let Some(run) = docker_run {
        let words: Vec<String> = run
            .with_profiles(seccomp.as_os_str(), Some(apparmor))
            .iter()
            .map(|w| w.to_string_lossy().into_owned())
            .collect();
        return shell::join(&words);
    }
    match &trace.target {
        Target::Container { image, .. } => shell::join(&[
            "docker",
            "run",
            "--security-opt",
            &format!("seccomp={profile}"),
            "--security-opt",
            &format!("apparmor={apparmor}"),
            image,
        ]),
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
