//! `cinch show`: a trace file, readable by a person.

use crate::exit;
use anyhow::{Context, Result};
use cinch_profiles::decode::describe;
use cinch_profiles::Trace;
use clap::Args;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Summarise a trace file, and check that it is valid.
///
/// Prints the target, the host, and every syscall with its count and the
/// argument values seen, decoded (CLONE_*, AF_*, PR_*).
#[derive(Args, Debug)]
#[command(after_help = "Example:\n  cinch show worker.trace.json\n\n\
    Exit status: 0 valid trace; 1 valid but it lost events; 2 unreadable or invalid.")]
pub struct ShowArgs {
    /// Trace file written by `cinch trace`
    #[arg(value_name = "TRACE")]
    trace: PathBuf,
}

pub fn run(args: ShowArgs) -> Result<u8> {
    let trace = read_trace(&args.trace)?;
    print!("{}", render(&trace));
    Ok(if trace.lost_events > 0 { exit::FINDINGS } else { exit::OK })
}

/// Reads and validates a trace file; errors name the file and line.
pub fn read_trace(path: &Path) -> Result<Trace> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Trace::from_json(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn render(trace: &Trace) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "target     {}", trace.target);
    let _ = writeln!(out, "host       {} (Linux {})", trace.host.arch, trace.host.kernel);
    let _ = writeln!(out, "processes  {} started while traced", trace.processes);
    let lost = if trace.lost_events > 0 { "  << INCOMPLETE TRACE" } else { "" };
    let _ = writeln!(out, "lost       {}{lost}", trace.lost_events);
    let _ = writeln!(out, "syscalls   {} distinct, {} calls", trace.syscalls.len(), trace.total_calls());
    let width = trace.syscalls.keys().map(String::len).max().unwrap_or(0);
    for (name, usage) in &trace.syscalls {
        let _ = writeln!(out, "  {name:<width$}  {:>10}", usage.count);
        for args in &usage.args {
            let shown: Vec<String> =
                args.iter().map(|(arg, value)| format!("{arg}={}", describe(name, arg, *value))).collect();
            let _ = writeln!(out, "  {:<width$}    {}", "", shown.join(" "));
        }
    }
    if !trace.unknown_syscall_numbers.is_empty() {
        let numbers: Vec<String> = trace.unknown_syscall_numbers.iter().map(u32::to_string).collect();
        let _ = writeln!(out, "unnamed syscall numbers: {}", numbers.join(", "));
    }
    out
}
