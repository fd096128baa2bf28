//! `cinch trace`: watch a container, a process or a command, write the trace
//! (the recording itself is `crate::record`, shared with `cinch profile`).

use crate::output::PendingOutput;
use crate::record::{lost_events_verdict, record, Recorded, TargetArgs};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// Record what a container or command does, as a trace file.
///
/// Give exactly one target: --container, --pid, or a command after `--`.
/// Tracing stops when the target exits, on Ctrl-C or SIGTERM, or after
/// --duration; the trace of what was seen is written in every case.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch trace --container mascot-worker --duration 5m -o worker.trace.json\n  \
    cinch trace --pid 4242 -o trace.json\n  \
    cinch trace -o trace.json -- ./mascot-worker --listen 127.0.0.1:5001 --jobs 1\n  \
    cinch trace -o trace.json -- docker run --rm --network host mascot/worker --jobs 1\n\n\
    Exit status: 0 trace written; 1 trace written but events were lost (see --allow-lost);\n\
    2 nothing traced (bad arguments, no such container, not permitted, unwritable output).")]
pub struct TraceArgs {
    /// File to write the trace to (written atomically)
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,

    #[command(flatten)]
    target: TargetArgs,
}

pub fn run(args: TraceArgs) -> Result<u8> {
    args.target.check()?;
    let output = PendingOutput::reserve_file(&args.output)?;
    let Recorded { trace, .. } = record(&args.target, &args.output)?;
    output.commit(trace.to_json().as_bytes())?;
    say!("  wrote {}", args.output.display());
    Ok(lost_events_verdict(&trace, args.target.allow_lost()))
}
