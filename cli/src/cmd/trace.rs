//! `cinch trace`: watch a container, a process or a command, write the trace.

use crate::output::PendingOutput;
use crate::status::StatusLine;
use crate::{docker, exit};
use anyhow::{bail, Context, Result};
use cinch_ebpf::{mount_namespace_of, own_mount_namespace, process_argv, Selector, Tracer};
use cinch_profiles::{Target, Trace};
use clap::Args;
use std::ffi::{CString, OsString};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Record what a container or command does, as a trace file.
///
/// Give exactly one target: --container, --pid, or a command after `--`.
/// Tracing stops when the target exits, on Ctrl-C or SIGTERM, or after
/// --duration; the trace of what was seen is written in every case.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch trace --container mascot-worker --duration 5m -o worker.trace.json\n  \
    cinch trace --pid 4242 -o trace.json\n  \
    cinch trace -o trace.json -- ./mascot-worker --listen 127.0.0.1:5001 --jobs 1\n\n\
    Exit status: 0 trace written; 1 trace written but events were lost (see --allow-lost);\n\
    2 nothing traced (bad arguments, no such container, not permitted, unwritable output).")]
pub struct TraceArgs {
    /// Docker container to trace, by name or id (through the Docker API socket;
    /// DOCKER_HOST=unix://... is honoured)
    #[arg(long, short = 'c', value_name = "NAME|ID", conflicts_with = "pid")]
    container: Option<String>,

    /// Process to trace, with everything in its mount namespace (for containers
    /// of containerd, podman, or any other runtime)
    #[arg(long, value_name = "PID")]
    pid: Option<u32>,

    /// File to write the trace to (written atomically)
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,

    /// Stop after this long: 90s, 5m, 1h, 500ms (default: until the target exits)
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    duration: Option<Duration>,

    /// Exit 0 even if the kernel side lost events (the trace still says so)
    #[arg(long)]
    allow_lost: bool,

    /// Command to start and trace with all its descendants, from its first instruction
    #[arg(last = true, value_name = "CMD")]
    command: Vec<OsString>,
}

/// What is being traced, and how to tell that it is gone.
enum Subject {
    /// A process tree cinch started; we reap it.
    Command { child: libc::pid_t, argv: Vec<OsString> },
    /// Something already running, watched through a pidfd of its first process.
    Running { pidfd: OwnedFd, target: Target },
}

pub fn run(args: TraceArgs) -> Result<u8> {
    let chosen = [args.container.is_some(), args.pid.is_some(), !args.command.is_empty()];
    match chosen.iter().filter(|c| **c).count() {
        1 => {}
        0 => bail!("nothing to trace: give --container NAME, --pid PID, or a command after `--`"),
        _ => bail!("give only one target: --container, --pid, or a command after `--`"),
    }
    let output = PendingOutput::reserve(&args.output)?;
    let stop = StopSignals::install()?;

    let (mut tracer, subject) = if let Some(name) = &args.container {
        let docker::Container { id, name, image, pid } = docker::inspect(name)?;
        attach_running(pid, Target::Container { id, name, image })?
    } else if let Some(pid) = args.pid {
        let argv = process_argv(pid).with_context(|| format!("no such process: {pid}"))?;
        attach_running(pid, Target::Process { argv })?
    } else {
        start_command(&args.command)?
    };

    // Printed once everything is attached: scripts wait for this line.
    eprintln!("cinch: tracing {}; Ctrl-C to stop and write {}", subject.describe(), args.output.display());
    let started = Instant::now();
    let status = StatusLine::new();
    let mut last_status = Instant::now() - Duration::from_secs(1);
    let reason = loop {
        tracer.poll(Duration::from_millis(100))?;
        // Reading progress costs a map lookup per syscall number: only for a person.
        if status.is_shown() && last_status.elapsed() >= Duration::from_millis(250) {
            status.update(started.elapsed(), &tracer.progress()?);
            last_status = Instant::now();
        }
        if let Some(reason) = stop.received() {
            break reason;
        }
        if args.duration.is_some_and(|limit| started.elapsed() >= limit) {
            break StopReason::Duration;
        }
        if subject.has_exited()? {
            break StopReason::TargetExited;
        }
    };
    status.finish();

    let target = subject.finish(reason);
    let trace = tracer.finish(target)?;
    output.commit(trace.to_json().as_bytes())?;
    report(&trace, &args.output, reason, started.elapsed());

    if trace.lost_events > 0 && !args.allow_lost {
        eprintln!(
            "cinch: {} events were LOST: the trace is incomplete and a profile made from it may \
             be too tight. Re-run it; pass --allow-lost to accept an incomplete trace.",
            trace.lost_events
        );
        return Ok(exit::FINDINGS);
    }
    Ok(exit::OK)
}

/// Attaches to a process that is already running and to everything in its
/// mount namespace.
fn attach_running(pid: u32, target: Target) -> Result<(Tracer, Subject)> {
    let mntns = mount_namespace_of(pid)
        .with_context(|| format!("cannot read the mount namespace of process {pid}"))?;
    if mntns == own_mount_namespace().context("cannot read cinch's own mount namespace")? {
        bail!(
            "process {pid} shares cinch's mount namespace (it is not in a container), so \
             tracing it would trace the whole host. Trace a host program as a command instead: \
             cinch trace -o FILE -- CMD"
        );
    }
    let pidfd = pidfd_open(pid).with_context(|| format!("process {pid} is gone"))?;
    let tracer = Tracer::start(Selector::MountNamespace(mntns))?;
    Ok((tracer, Subject::Running { pidfd, target }))
}

/// Starts `argv` stopped just before its exec, follows it, then lets it go:
/// its execve is the first syscall traced.
fn start_command(argv: &[OsString]) -> Result<(Tracer, Subject)> {
    let program = resolve_program(&argv[0])?;
    let c_program = CString::new(program.as_os_str().as_bytes())
        .context("the command name contains a NUL byte")?;
    let c_args = argv
        .iter()
        .map(|a| CString::new(a.as_bytes()))
        .collect::<Result<Vec<_>, _>>()
        .context("an argument contains a NUL byte")?;
    let mut arg_ptrs: Vec<*const libc::c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
    arg_ptrs.push(std::ptr::null());

    // Start the tracer first: nothing the command does may be missed.
    let mut tracer = Tracer::start(Selector::ProcessTree)?;
    let (gate_read, gate_write) = pipe()?;
    let (err_read, err_write) = pipe()?;

    // SAFETY: the child only calls async-signal-safe functions (read, execv,
    // write, _exit) on memory prepared before the fork.
    let child = unsafe { libc::fork() };
    if child < 0 {
        bail!("cannot start {}: {}", program.display(), std::io::Error::last_os_error());
    }
    if child == 0 {
        // SAFETY: see above; every pointer is valid in the child's copy.
        unsafe {
            // Wait for the go-ahead; if cinch fails first, the pipe closes
            // and the command must not run untraced.
            let mut byte = 0u8;
            loop {
                match libc::read(gate_read.as_raw_fd(), (&raw mut byte).cast(), 1) {
                    1 => break,
                    0 => libc::_exit(127),
                    _ => {}
                }
            }
            libc::execv(c_program.as_ptr(), arg_ptrs.as_ptr());
            let errno = *libc::__errno_location();
            libc::write(err_write.as_raw_fd(), (&raw const errno).cast(), 4);
            libc::_exit(127);
        }
    }
    drop(gate_read);
    drop(err_write);
    let pid = u32::try_from(child).context("fork returned a negative pid")?;
    tracer.follow_from_exec(pid)?;
    write_byte(&gate_write)?;

    // The error pipe closes on a successful exec, or carries execv's errno.
    let mut errno = [0u8; 4];
    if read_full(&err_read, &mut errno)? {
        reap(child);
        let err = std::io::Error::from_raw_os_error(i32::from_ne_bytes(errno));
        bail!("cannot run {}: {err}", program.display());
    }
    Ok((tracer, Subject::Command { child, argv: argv.to_vec() }))
}

impl Subject {
    fn describe(&self) -> String {
        match self {
            Subject::Command { child, .. } => format!("command (pid {child})"),
            Subject::Running { target, .. } => target.to_string(),
        }
    }

    fn has_exited(&self) -> Result<bool> {
        match self {
            Subject::Command { child, .. } => {
                let mut status = 0;
                // SAFETY: plain syscall on our own child.
                let done = unsafe { libc::waitpid(*child, &mut status, libc::WNOHANG) };
                Ok(done == *child || done < 0)
            }
            Subject::Running { pidfd, .. } => {
                let mut fds = [libc::pollfd { fd: pidfd.as_raw_fd(), events: libc::POLLIN, revents: 0 }];
                // SAFETY: one valid pollfd.
                let ready = unsafe { libc::poll(fds.as_mut_ptr(), 1, 0) };
                Ok(ready > 0)
            }
        }
    }

    /// The target's description; a command still running is asked to stop.
    fn finish(self, reason: StopReason) -> Target {
        match self {
            Subject::Command { child, argv } => {
                if reason != StopReason::TargetExited {
                    // Ctrl-C already reached the command through the terminal;
                    // anything else is passed on, and we leave it to exit.
                    // SAFETY: plain syscall on our own child.
                    unsafe { libc::kill(child, libc::SIGTERM) };
                }
                let argv = argv.iter().map(|a| a.to_string_lossy().into_owned()).collect();
                Target::Command { argv }
            }
            Subject::Running { target, .. } => target,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopReason {
    TargetExited,
    Duration,
    Interrupted,
    Terminated,
}

/// SIGINT and SIGTERM stop the trace (which is then written) instead of
/// killing cinch.
struct StopSignals {
    received: Arc<AtomicUsize>,
}

impl StopSignals {
    fn install() -> Result<StopSignals> {
        let received = Arc::new(AtomicUsize::new(0));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            let received = Arc::clone(&received);
            // SAFETY: the handler only stores to an atomic.
            unsafe {
                signal_hook::low_level::register(signal, move || {
                    received.store(signal as usize, Ordering::SeqCst);
                })
            }
            .context("cannot install signal handlers")?;
        }
        Ok(StopSignals { received })
    }

    fn received(&self) -> Option<StopReason> {
        match self.received.load(Ordering::SeqCst) {
            0 => None,
            s if s == signal_hook::consts::SIGINT as usize => Some(StopReason::Interrupted),
            _ => Some(StopReason::Terminated),
        }
    }
}

fn report(trace: &Trace, path: &Path, reason: StopReason, elapsed: Duration) {
    let why = match reason {
        StopReason::TargetExited => "target exited",
        StopReason::Duration => "duration reached",
        StopReason::Interrupted => "interrupted",
        StopReason::Terminated => "terminated",
    };
    eprintln!(
        "cinch: traced {} for {:.1}s ({why})\n  {} syscalls ({} calls), {} new processes, {} lost events\n  wrote {}",
        trace.target,
        elapsed.as_secs_f64(),
        trace.syscalls.len(),
        trace.total_calls(),
        trace.processes,
        trace.lost_events,
        path.display()
    );
}

/// Accepts `90s`, `5m`, `1h`, `500ms`, or a plain number of seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number.parse().map_err(|_| format!("{text:?} is not a duration like 30s, 5m, 1h"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("unknown unit {unit:?} in {text:?}: use ms, s, m or h")),
    };
    if !(seconds > 0.0 && seconds.is_finite()) {
        return Err(format!("{text:?}: the duration must be positive"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Finds the program the way a shell would (PATH search), so that failed
/// lookups in PATH directories do not end up in the trace as execve calls.
fn resolve_program(name: &OsString) -> Result<PathBuf> {
    let path = Path::new(name);
    if name.as_bytes().contains(&b'/') {
        return Ok(path.to_path_buf());
    }
    let search = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    for dir in std::env::split_paths(&search) {
        let candidate = dir.join(path);
        if is_executable(&candidate) {
            return Ok(candidate);
        }
    }
    bail!("command not found: {}", path.display())
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: fds has room for the two descriptors.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("cannot create a pipe");
    }
    // SAFETY: both descriptors were just created and are owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn write_byte(fd: &OwnedFd) -> Result<()> {
    let byte = 1u8;
    // SAFETY: one byte from a valid buffer.
    if unsafe { libc::write(fd.as_raw_fd(), (&raw const byte).cast(), 1) } != 1 {
        return Err(std::io::Error::last_os_error()).context("cannot release the command");
    }
    Ok(())
}

/// Fills `buf` from `fd`; false if the pipe closed first (nothing was sent).
fn read_full(fd: &OwnedFd, buf: &mut [u8]) -> Result<bool> {
    let mut filled = 0;
    while filled < buf.len() {
        // SAFETY: reads into the unfilled tail of buf.
        let n = unsafe { libc::read(fd.as_raw_fd(), buf[filled..].as_mut_ptr().cast(), buf.len() - filled) };
        match n {
            0 => return Ok(false),
            n if n > 0 => filled += n as usize,
            _ => {
                let err = std::io::Error::last_os_error();
                if err.kind() != std::io::ErrorKind::Interrupted {
                    return Err(err).context("cannot read from the command's start pipe");
                }
            }
        }
    }
    Ok(true)
}

fn reap(child: libc::pid_t) {
    let mut status = 0;
    // SAFETY: plain syscall on our own child.
    unsafe { libc::waitpid(child, &mut status, 0) };
}

fn pidfd_open(pid: u32) -> std::io::Result<OwnedFd> {
    // SAFETY: plain syscall; the result is a new descriptor or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::c_int, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor that nobody else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
