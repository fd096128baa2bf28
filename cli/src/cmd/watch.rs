//! `cinch watch`: follows a container that runs under a seccomp profile and
//! reports every call the filter refused (and, given the profile, every call
//! that ran outside it), live and in a summary.

use crate::exit;
use crate::input::read_seccomp_profile;
use crate::output::{print_stdout, PendingOutput};
use crate::process::signals::{StopReason, StopSignals};
use crate::record::{attach_container, parse_duration, Attached};
use crate::seccomp_filter::rule_env_of;
use anyhow::Result;
use cinch_ebpf::{program_of, Options, Refusal};
use cinch_profiles::errno;
use cinch_profiles::seccomp::verdict::{is_fallback, lacking_trace, outside_profile, Outside};
use clap::Args;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Report the syscalls a container's seccomp filter refuses, as they happen.
///
/// Follows a running container and prints, live, each call its filter refuses
/// (process, program, syscall, errno), then a summary with counts. With
/// --profile, also the calls that ran although the profile does not allow
/// them: under a `--mode log` profile (SCMP_ACT_LOG) that is every call the
/// enforcing profile would refuse, without breaking the service. ENOSYS
/// answers to calls the C library falls back from (clone3, openat2, ...) are
/// listed as fallbacks and are not findings.
///
/// -o writes what the profile lacked as a trace: cinch merge it with the
/// original trace, generate again, and cinch diff the two profiles.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch watch --container redis --duration 10m\n  \
    cinch watch --container redis --profile staging.json -o lacking.json\n  \
    cinch merge -o fixed.json trace.json lacking.json && cinch generate seccomp --trace fixed.json -o seccomp.json\n\n\
    Exit status: 0 nothing refused or outside the profile; 1 some were (or events were lost); 2 error.")]
pub struct WatchArgs {
    /// Docker container to watch, by name or id
    #[arg(long, short = 'c', value_name = "NAME|ID")]
    container: String,

    /// The seccomp profile the container runs under (Docker, OCI or k8s form):
    /// calls that ran outside it are reported too
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,

    /// Stop after this long: 90s, 5m, 1h30m (default: until the container exits or Ctrl-C)
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    duration: Option<Duration>,

    /// Write what the profile lacked (refused calls, calls outside it) as a trace for `cinch merge`
    #[arg(long, short = 'o', value_name = "TRACE")]
    output: Option<PathBuf>,
}

pub fn run(args: WatchArgs) -> Result<u8> {
    let profile = args.profile.as_deref().map(read_seccomp_profile).transpose()?;
    let output = args.output.as_deref().map(PendingOutput::reserve).transpose()?;
    let stop = StopSignals::install()?;
    let Attached { mut tracer, pidfd, target, pid } =
        attach_container(&args.container, Options { refusals: true, ..Options::default() })?;
    if let Some(note) = tracer.kernel_note() {
        eprintln!("cinch: note: {note}");
    }
    let env = profile.as_ref().map(|_| rule_env_of(&pid.to_string(), tracer_arch())).transpose()?;
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("cinch: watching {target} for refused calls; Ctrl-C to stop\n").as_bytes(),
    );

    let started = Instant::now();
    let mut programs: BTreeMap<u32, String> = BTreeMap::new();
    let reason = loop {
        tracer.poll(Duration::from_millis(100))?;
        for refusal in tracer.new_refusals() {
            let program =
                programs.entry(refusal.host_pid).or_insert_with(|| program_label(refusal.host_pid, &refusal.comm));
            let what = if is_fallback(&refusal.syscall, refusal.errno) { "fallback" } else { "REFUSED" };
            eprintln!(
                "cinch: {what} {} ({}) in pid {} {program}",
                refusal.syscall,
                errno::name(refusal.errno),
                refusal.pid
            );
        }
        if let Some(reason) = stop.received() {
            break reason;
        }
        if args.duration.is_some_and(|limit| started.elapsed() >= limit) {
            break StopReason::Duration;
        }
        if pidfd.has_exited() {
            break StopReason::TargetExited;
        }
    };
    let refusals = tracer.refusals()?;
    let (trace, _) = tracer.finish(target)?;

    let (fallbacks, refused): (Vec<&Refusal>, Vec<&Refusal>) =
        refusals.iter().partition(|r| is_fallback(&r.syscall, r.errno));
    let mut outside = match (&profile, &env) {
        (Some(profile), Some(env)) => outside_profile(&trace, profile, env),
        _ => Vec::new(),
    };
    // A refused call's arguments are recorded too: its name is reported once, as refused.
    outside.retain(|o| !refused.iter().any(|r| r.syscall == o.syscall));

    let why = match reason {
        StopReason::TargetExited => "container exited",
        StopReason::Duration => "duration reached",
        _ => "stopped",
    };
    say!(
        "cinch: watched {} for {:.1}s ({why}): {} refused, {} ran outside the profile, {} fallbacks, {} lost events",
        trace.target,
        started.elapsed().as_secs_f64(),
        refused.len(),
        outside.len(),
        fallbacks.len(),
        trace.lost_events
    );
    print_stdout(&summary(&refused, &fallbacks, &outside, &programs))?;

    if let Some(output) = output {
        let mut totals: BTreeMap<String, u64> = BTreeMap::new();
        for r in &refused {
            *totals.entry(r.syscall.clone()).or_default() += r.count;
        }
        let lacking = lacking_trace(&trace, &totals.into_iter().collect::<Vec<_>>(), &outside);
        output.commit(lacking.to_json().as_bytes())?;
        if let Some(path) = &args.output {
            say!("cinch: wrote {} (merge it with the trace the profile came from)", path.display());
        }
    }
    if trace.lost_events > 0 {
        eprintln!("cinch: {} events were LOST: some refusals may be missing from this report", trace.lost_events);
    }
    let clean = refused.is_empty() && outside.is_empty() && trace.lost_events == 0;
    Ok(if clean { exit::OK } else { exit::FINDINGS })
}

fn tracer_arch() -> cinch_profiles::Arch {
    cinch_profiles::Arch::native().unwrap_or(cinch_profiles::Arch::X86_64)
}

/// `comm (/path/of/exe)`, or the thread's name the kernel gave once the
/// process is gone.
fn program_label(host_pid: u32, comm: &str) -> String {
    match program_of(host_pid) {
        Some((exe, comm)) => format!("{comm} ({exe})"),
        None => format!("{comm} (exited)"),
    }
}

/// The report's table: one line per refused (process, syscall, errno), then
/// the calls outside the profile, then the fallbacks.
fn summary(
    refused: &[&Refusal],
    fallbacks: &[&Refusal],
    outside: &[Outside],
    programs: &BTreeMap<u32, String>,
) -> String {
    let mut out = String::new();
    let mut table = |title: &str, rows: &[&Refusal]| {
        if rows.is_empty() {
            return;
        }
        let _ = writeln!(out, "{title}");
        let _ = writeln!(out, "  {:<20} {:<10} {:>8} {:>7}  PROGRAM", "SYSCALL", "ERRNO", "COUNT", "PID");
        for r in rows {
            let program = programs.get(&r.host_pid).map_or("(gone)", String::as_str);
            let _ = writeln!(
                out,
                "  {:<20} {:<10} {:>8} {:>7}  {program}",
                r.syscall,
                errno::name(r.errno),
                r.count,
                r.pid
            );
        }
    };
    table("refused by the filter:", refused);
    table("fallbacks (refused with ENOSYS by design, the caller falls back):", fallbacks);
    if !outside.is_empty() {
        let _ = writeln!(out, "ran outside the profile:");
        let _ = writeln!(out, "  {:<20} {:<14} {:>8}  ARGUMENTS", "SYSCALL", "ACTION", "COUNT");
        for o in outside {
            let args: Vec<String> = o
                .args
                .iter()
                .map(|set| set.iter().map(|(k, v)| format!("{k}={v:#x}")).collect::<Vec<_>>().join(","))
                .collect();
            let _ = writeln!(out, "  {:<20} {:<14} {:>8}  {}", o.syscall, o.action.as_str(), o.count, args.join(" "));
        }
    }
    out
}
