//! `cinch merge`: several traces of one workload into one, with coverage.

use crate::exit;
use crate::input::read_trace;
use crate::output::PendingOutput;
use anyhow::Result;
use cinch_profiles::merge::merge;
use clap::Args;
use std::path::PathBuf;

/// Unite several traces of the same workload (e.g. one per test suite).
///
/// Every syscall, file, execution and address seen in any run is kept, and
/// says in how many runs it was seen (`runs`), so a fact only one suite
/// exercised shows. Counts add up; merging merged traces counts their runs.
/// Traces of different architectures or trace formats are refused.
#[derive(Args, Debug)]
#[command(after_help = "Example:\n  \
    cinch merge unit.json integration.json soak.json -o worker.json\n\n\
    Exit status: 0 merged; 1 merged, but an input lost events; 2 an input cannot be read or merged.")]
pub struct MergeArgs {
    /// Trace files written by `cinch trace` (or `cinch merge`)
    #[arg(value_name = "TRACE", required = true, num_args = 1..)]
    traces: Vec<PathBuf>,
    /// Where to write the merged trace (written whole or not at all)
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

pub fn run(args: MergeArgs) -> Result<u8> {
    let output = PendingOutput::reserve(&args.output)?;
    let mut traces = Vec::new();
    for path in &args.traces {
        traces.push((path.display().to_string(), read_trace(path)?));
    }
    let merged = merge(&traces)?;
    let shown = output.shown(&args.output);
    output.commit(merged.to_json().as_bytes())?;

    let runs = merged.runs.unwrap_or(1);
    let everywhere = |n: Option<u64>| n == Some(runs);
    let syscalls_everywhere = merged.syscalls.values().filter(|s| everywhere(s.runs)).count();
    let files_everywhere = merged.files.values().filter(|f| everywhere(f.runs)).count();
    say!("cinch: merged {} trace(s), {runs} run(s), into {shown}", traces.len());
    say!(
        "  {} syscalls ({} in every run), {} files ({} in every run), {} programs, {} addresses",
        merged.syscalls.len(),
        syscalls_everywhere,
        merged.files.len(),
        files_everywhere,
        merged.executions.len(),
        merged.network.len()
    );
    if merged.lost_events > 0 {
        eprintln!("cinch: warning: the inputs lost {} events: the merged trace is incomplete", merged.lost_events);
        return Ok(exit::FINDINGS);
    }
    Ok(exit::OK)
}
