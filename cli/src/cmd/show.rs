//! `cinch show`: a trace file, readable by a person.

use crate::exit;
use crate::input::read_trace;
use crate::output::{print_stdout, ReportFormat};
use anyhow::Result;
use cinch_profiles::decode::describe;
use cinch_profiles::printable;
use cinch_profiles::Trace;
use clap::Args;
use std::fmt::Write;
use std::path::PathBuf;

/// Summarise a trace file, and check that it is valid.
///
/// Prints the target, the host, every syscall with its count (and how many
/// of those the container runtime made while setting the container up) and the
/// argument values seen, decoded (CLONE_*, AF_*, PR_*), then the files (how
/// each was used), failed attempts, programs executed and socket addresses.
/// For a merged trace, each fact says in how many runs it was seen.
#[derive(Args, Debug)]
#[command(after_help = "Example:\n  cinch show worker.trace.json\n\n\
    Exit status: 0 valid trace; 1 valid but it lost events; 2 unreadable or invalid.")]
pub struct ShowArgs {
    /// Trace file written by `cinch trace`
    #[arg(value_name = "TRACE")]
    trace: PathBuf,

    /// text: for people; json: a summary for scripts (schema in the README, `version` 1)
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
}

pub fn run(args: ShowArgs) -> Result<u8> {
    let trace = read_trace(&args.trace)?;
    match args.format {
        ReportFormat::Text => print_stdout(&render(&trace))?,
        ReportFormat::Json => print_stdout(&format!("{}\n", serde_json::to_string_pretty(&summary(&trace))?))?,
    }
    Ok(if trace.lost_events > 0 { exit::FINDINGS } else { exit::OK })
}

/// The JSON summary: what the text report heads with, as numbers.
fn summary(trace: &Trace) -> serde_json::Value {
    serde_json::json!({
        "version": 1,
        "target": trace.target.to_string(),
        "host": {"arch": trace.host.arch.to_string(), "kernel": trace.host.kernel},
        "complete": trace.lost_events == 0,
        "lost_events": trace.lost_events,
        "target_exited": trace.target_exited,
        "processes": trace.processes,
        "runs": trace.runs,
        "calls": trace.total_calls(),
        "syscalls": trace.syscalls.iter().map(|(name, usage)| (name.clone(), serde_json::json!(usage.count))).collect::<serde_json::Map<_, _>>(),
        "files": trace.files.len(),
        "failed_files": trace.failed_files.len(),
        "programs": trace.executions.len(),
        "addresses": trace.network.len(),
    })
}

fn render(trace: &Trace) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "target     {}", printable(&trace.target.to_string()));
    let _ = writeln!(out, "host       {} (Linux {})", trace.host.arch, printable(&trace.host.kernel));
    if !trace.host.kernel_lacks.is_empty() {
        let lacks: Vec<String> = trace.host.kernel_lacks.iter().map(|f| printable(f)).collect();
        let _ = writeln!(out, "kernel     lacks {} (traced with the compatibility programs)", lacks.join(", "));
    }
    let _ = writeln!(out, "processes  {} started while traced", trace.processes);
    let lost = if trace.lost_events > 0 { "  << INCOMPLETE TRACE" } else { "" };
    let _ = writeln!(out, "lost       {}{lost}", trace.lost_events);
    if trace.target_exited == Some(false) {
        let _ = writeln!(out, "ended      with the workload still running  << SHUTDOWN NOT TRACED");
    }
    let _ = writeln!(out, "syscalls   {} distinct, {} calls", trace.syscalls.len(), trace.total_calls());
    let width = trace.syscalls.keys().map(String::len).max().unwrap_or(0);
    for (name, usage) in &trace.syscalls {
        let setup = match usage.setup {
            0 => String::new(),
            n if n == usage.count => "  (all by the runtime, setting the container up)".to_string(),
            n => format!("  ({n} by the runtime, setting the container up)"),
        };
        let _ = writeln!(out, "  {name:<width$}  {:>10}{setup}", usage.count);
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
    render_files(&mut out, trace);
    out
}

/// `  (2/3 runs)` in a merged trace.
fn coverage(trace: &Trace, runs: Option<u64>) -> String {
    match (trace.runs, runs) {
        (Some(total), Some(seen)) => format!("  ({seen}/{total} runs)"),
        _ => String::new(),
    }
}

fn names<T: serde::Serialize>(items: impl IntoIterator<Item = T>) -> String {
    let words: Vec<String> = items
        .into_iter()
        .map(|item| serde_json::to_value(item).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default())
        .collect();
    words.join(",")
}

fn render_files(out: &mut String, trace: &Trace) {
    if !trace.files.is_empty() {
        let _ = writeln!(out, "files      {}", trace.files.len());
        for (path, usage) in &trace.files {
            let mut notes = Vec::new();
            for (set, note) in [
                (usage.directory, "directory"),
                (usage.truncated, "truncated"),
                (usage.by_name, "by name"),
                (usage.outside_root, "outside the root"),
            ] {
                if set {
                    notes.push(note.to_string());
                }
            }
            notes.extend(usage.capabilities.iter().map(|cap| format!("needed {}", printable(cap))));
            let notes = if notes.is_empty() { String::new() } else { format!("  [{}]", notes.join(", ")) };
            let path = printable(path);
            let _ = writeln!(out, "  {path}  {}{notes}{}", names(&usage.access), coverage(trace, usage.runs));
        }
    }
    if !trace.failed_files.is_empty() {
        let _ = writeln!(out, "failed     {} (attempts that failed: not needs)", trace.failed_files.len());
        for (path, usage) in &trace.failed_files {
            let errors: Vec<String> = usage.errors.iter().map(|e| printable(e)).collect();
            let path = printable(path);
            let _ =
                writeln!(out, "  {path}  {} {}{}", names(&usage.access), errors.join(","), coverage(trace, usage.runs));
        }
    }
    if !trace.executions.is_empty() {
        let _ = writeln!(out, "programs   {}", trace.executions.len());
        for (path, usage) in &trace.executions {
            let argv0: Vec<String> = usage.argv0.iter().map(|a| printable(a)).collect();
            let parents: Vec<String> = usage.parents.iter().map(|p| printable(p)).collect();
            let path = printable(path);
            let _ = writeln!(
                out,
                "  {path}  as {}  run by {}{}",
                argv0.join(", "),
                parents.join(", "),
                coverage(trace, usage.runs)
            );
        }
    }
    if !trace.signals_across_users.is_empty() {
        let _ =
            writeln!(out, "signals    {} to another user's processes (needed kill)", trace.signals_across_users.len());
        for signal in &trace.signals_across_users {
            let _ = writeln!(out, "  {}", printable(signal));
        }
    }
    if !trace.network.is_empty() {
        let _ = writeln!(out, "network    {}", trace.network.len());
        for e in &trace.network {
            let op = names([e.op]);
            let at = match e.port {
                Some(port) if e.family == "inet6" => format!("[{}]:{port}", e.address),
                Some(port) => format!("{}:{port}", e.address),
                None => e.address.clone(),
            };
            let error = e.error.as_deref().map(|err| format!("  {err}")).unwrap_or_default();
            let (family, socket_type, at, error) =
                (printable(&e.family), printable(&e.socket_type), printable(&at), printable(&error));
            let _ = writeln!(out, "  {op} {family} {socket_type} {at}{error}{}", coverage(trace, e.runs));
        }
    }
}
