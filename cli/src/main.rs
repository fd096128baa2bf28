//! The `cinch` binary: argument parsing, I/O and exit codes. The work itself
//! lives in the libraries: `cinch-ebpf` (tracing) and `cinch-profiles`
//! (the trace model, generators, lint rules).

// First: its say! macro is used by the modules below.
#[macro_use]
mod output;
mod apparmor_parser;
mod cmd;
mod docker;
mod docker_run;
mod exec;
mod input;
mod process;
mod record;
mod rootfs;
mod seccomp_filter;
mod status;

use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// Exit codes, shared by every subcommand.
pub mod exit {
    /// The job was done and nothing is wrong.
    pub const OK: u8 = 0;
    /// The job was done, but the result needs attention (e.g. lost events).
    pub const FINDINGS: u8 = 1;
    /// Bad usage, unreadable input, or an environment that cannot do the job.
    pub const ERROR: u8 = 2;
}

#[derive(Parser)]
#[command(
    name = "cinch",
    version,
    propagate_version = true,
    about = "Harden containers from evidence",
    long_about = "Harden containers from evidence.\n\n\
                  cinch watches what a container really does with eBPF, keeps it as a trace \
                  file, and turns that trace into the tightest configuration that still runs \
                  the workload. Tracing needs root (or CAP_BPF and CAP_PERFMON) and a kernel \
                  with BTF.",
    after_help = "Examples:\n  \
                  cinch trace --container mascot-worker -o trace.json\n  \
                  cinch trace -o trace.json -- ./mascot-worker --listen 127.0.0.1:5001\n  \
                  cinch show trace.json\n  \
                  cinch generate seccomp --trace trace.json -o seccomp.json\n  \
                  cinch generate apparmor --trace trace.json --name mascot-worker -o mascot-worker.apparmor\n  \
                  cinch generate userns --user mascot-worker -o userns/\n  \
                  cinch recipe --binary mascot-worker --trace trace.json --from rootfs/ -o recipe/\n  \
                  cinch cluster --nodes nodes.toml -o bundle/\n  \
                  cinch profile -o hardening/ -- docker run --rm mascot/worker --jobs 1\n  \
                  cinch run --seccomp seccomp.json -- ./mascot-worker\n  \
                  cinch diff old/seccomp.json new/seccomp.json\n  \
                  cinch merge run1.json run2.json -o merged.json\n  \
                  cinch lint --format sarif -o cinch.sarif .\n  \
                  cinch explain SEC001"
)]
struct Cli {
    /// Print no notes or summaries on stderr (errors and lost-event warnings still)
    #[arg(short, long, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Trace(cmd::trace::TraceArgs),
    Show(cmd::show::ShowArgs),
    Generate(cmd::generate::GenerateArgs),
    Profile(cmd::profile::ProfileArgs),
    Run(cmd::run::RunArgs),
    Watch(cmd::watch::WatchArgs),
    Diff(cmd::diff::DiffArgs),
    Merge(cmd::merge::MergeArgs),
    Apparmor(cmd::apparmor::AppArmorArgs),
    Recipe(cmd::recipe::RecipeArgs),
    Cluster(cmd::cluster::ClusterArgs),
    Lint(cmd::lint::LintArgs),
    Explain(cmd::explain::ExplainArgs),
    Completions(cmd::completions::CompletionsArgs),
    Man(cmd::man::ManArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    output::set_quiet(cli.quiet);
    let result = match cli.command {
        Command::Trace(args) => cmd::trace::run(args),
        Command::Show(args) => cmd::show::run(args),
        Command::Generate(args) => cmd::generate::run(args),
        Command::Profile(args) => cmd::profile::run(args),
        Command::Run(args) => cmd::run::run(args),
        Command::Watch(args) => cmd::watch::run(args),
        Command::Diff(args) => cmd::diff::run(args),
        Command::Merge(args) => cmd::merge::run(args),
        Command::Apparmor(args) => cmd::apparmor::run(args),
        Command::Recipe(args) => cmd::recipe::run(args),
        Command::Cluster(args) => cmd::cluster::run(args),
        Command::Lint(args) => cmd::lint::run(args),
        Command::Explain(args) => cmd::explain::run(args),
        Command::Completions(args) => cmd::completions::run(args, Cli::command()),
        Command::Man(args) => cmd::man::run(args, Cli::command()),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            status::clear_line();
            // Errors may hold text from the files read: escaped and cut, line by line.
            let text = format!("{err:#}");
            let lines: Vec<String> = text.lines().map(|l| cinch_profiles::shorten(l, 2000)).collect();
            eprintln!("cinch: error: {}", lines.join("\n"));
            ExitCode::from(exit::ERROR)
        }
    }
}
