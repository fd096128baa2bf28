//! Recording a trace, for `cinch trace` and `cinch profile`: what to trace
//! (a container, a process, a command, or the container a `docker run`
//! creates), when to stop, and the summary. Process plumbing is in
//! `crate::process`; the kernel side in `cinch_ebpf`.

use crate::docker_run::DockerRun;
use crate::exec::{resolve_program, Exec};
use crate::process::held::{Child, HeldChild};
use crate::process::pidfd::Pidfd;
use crate::process::signals::{StopReason, StopSignals};
use crate::status::StatusLine;
use crate::{docker, exit};
use anyhow::{bail, Context, Result};
use cinch_ebpf::{mount_namespace_of, own_mount_namespace, process_argv, Options, Selector, Tracer};
use cinch_profiles::{Target, Trace};
use clap::Args;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What to trace and for how long; shared by `trace` and `profile`.
#[derive(Args, Debug)]
pub struct TargetArgs {
    /// Docker container to trace, by name or id (through the Docker API socket;
    /// DOCKER_HOST=unix://... is honoured)
    #[arg(long, short = 'c', value_name = "NAME|ID", conflicts_with = "pid")]
    container: Option<String>,

    /// Process to trace, with everything in its mount namespace (for containers
    /// of containerd, podman, or any other runtime)
    #[arg(long, value_name = "PID")]
    pid: Option<u32>,

    /// Stop after this long: 90s, 5m, 1h30m, 5min, 500ms (default: until the target exits)
    #[arg(long, value_name = "TIME", value_parser = parse_duration)]
    duration: Option<Duration>,

    /// Exit 0 even if the kernel side lost events (the trace still says so)
    #[arg(long)]
    allow_lost: bool,

    /// A command to run while tracing, once the target is up (a load driver,
    /// `docker exec NAME nginx -s reload`, a backup): the rehearsal becomes part
    /// of the trace. Repeatable; run in order with `sh -c`, and when the last
    /// has finished the trace ends (a container cinch started is stopped
    /// gracefully first)
    #[arg(long, value_name = "CMD")]
    exercise: Vec<String>,

    /// Keep at most this many distinct facts of each kind (files, sockets,
    /// argument values) in memory; more are dropped and counted as lost
    #[arg(long, value_name = "N", default_value_t = cinch_ebpf::DEFAULT_MAX_FACTS)]
    max_facts: usize,

    /// Command to start and trace with all its descendants, from its first
    /// instruction. For `docker run ...`, the container it creates is traced
    /// instead, from the moment its runtime installs the seccomp filter.
    #[arg(last = true, value_name = "CMD")]
    command: Vec<OsString>,
}

/// A finished recording.
pub struct Recorded {
    pub trace: Trace,
    /// A `docker run` command line that was traced, if that was the target.
    pub docker_run: Option<DockerRun>,
}

/// What is being traced, and how to tell that it is gone.
enum Subject {
    /// A process tree cinch started; we reap it.
    Command { child: Child, argv: Vec<OsString> },
    /// Something already running, watched through a pidfd of its first process.
    Running { pidfd: Pidfd, target: Target },
    /// The container a `docker run` client creates; we reap the client.
    DockerRun(Box<DockerRunSubject>),
}

impl TargetArgs {
    /// Refuses a bad target before anything is reserved or started.
    pub fn check(&self) -> Result<()> {
        let chosen = [self.container.is_some(), self.pid.is_some(), !self.command.is_empty()];
        match chosen.iter().filter(|c| **c).count() {
            1 => Ok::<(), anyhow::Error>(()),
            0 => bail!("nothing to trace: give --container NAME, --pid PID, or a command after `--`"),
            _ => bail!("give only one target: --container, --pid, or a command after `--`"),
        }?;
        if let Some(engine) = other_engine_run(&self.command) {
            bail!(
                "`{engine}` starts its container through another process, so tracing the command would trace only \
                 the client: start the container, then trace it with --container NAME (Docker) or --pid PID \
                 (any process inside it)"
            );
        }
        Ok(())
    }

    pub fn allow_lost(&self) -> bool {
        self.allow_lost
    }
}

/// The engine command of a container `run` cinch cannot trace from the
/// client (`podman run`, `nerdctl run`, `docker compose run`...), if `argv` is one.
fn other_engine_run(argv: &[OsString]) -> Option<String> {
    let words: Vec<String> = argv.iter().map(|w| w.to_string_lossy().into_owned()).collect();
    let program = words.first()?.rsplit('/').next()?.to_string();
    let rest: Vec<&str> = words[1..].iter().map(String::as_str).filter(|w| !w.starts_with('-')).take(2).collect();
    match (program.as_str(), rest.as_slice()) {
        ("podman" | "nerdctl", ["run" | "create", ..] | ["container", "run" | "create"]) => {
            Some(format!("{program} run"))
        }
        ("docker", ["compose", ..]) | ("docker-compose", _) => {
            let verb = words.iter().find(|w| matches!(w.as_str(), "run" | "up" | "create" | "start"))?;
            Some(format!("{} {verb}", if program == "docker" { "docker compose" } else { "docker-compose" }))
        }
        _ => None,
    }
}

/// Exit code for a written trace: FINDINGS (with a loud message) if events
/// were lost and that was not accepted.
pub fn lost_events_verdict(trace: &Trace, allow_lost: bool) -> u8 {
    if trace.lost_events > 0 && !allow_lost {
        eprintln!(
            "cinch: {} events were LOST: the trace is incomplete and a profile made from it may \
             be too tight. Re-run it; pass --allow-lost to accept an incomplete trace.",
            trace.lost_events
        );
        return exit::FINDINGS;
    }
    exit::OK
}

/// Traces the target until it exits, a stop signal, or the duration; `destination`
/// is only named in messages.
pub fn record(args: &TargetArgs, destination: &Path) -> Result<Recorded> {
    let stop = StopSignals::install()?;

    let docker_run = DockerRun::parse(&args.command);
    let (mut tracer, mut subject) = if let Some(name) = &args.container {
        let Attached { tracer, pidfd, target, .. } = attach_container(name, Options::default())?;
        (tracer, Subject::Running { pidfd, target })
    } else if let Some(pid) = args.pid {
        let argv = process_argv(pid).with_context(|| format!("no such process: {pid}"))?;
        let (tracer, pidfd) = attach_running(pid, Options::default())?;
        (tracer, Subject::Running { pidfd, target: Target::Process { argv } })
    } else if let Some(run) = &docker_run {
        start_docker_run(run)?
    } else {
        start_command(&args.command)?
    };
    tracer.limit_facts(args.max_facts);
    if let Some(note) = tracer.kernel_note() {
        eprintln!("cinch: note: {note}");
    }

    // Printed once everything is attached: scripts wait for this line. One
    // write, so the traced command's own stderr cannot split it.
    let attached =
        format!("cinch: tracing {}; Ctrl-C to stop and write {}\n", subject.describe(), destination.display());
    let _ = std::io::Write::write_all(&mut std::io::stderr(), attached.as_bytes());
    let started = Instant::now();
    let status = StatusLine::new();
    let mut last_status = Instant::now() - Duration::from_secs(1);
    let mut exercises = Exercises::new(&args.exercise);
    let reason = loop {
        tracer.poll(Duration::from_millis(100))?;
        if exercises.any && subject.is_up(&mut tracer)? && exercises.step()? {
            break StopReason::Exercised;
        }
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
        if subject.has_exited(&mut tracer)? {
            break StopReason::TargetExited;
        }
    };
    status.finish();
    // A container cinch started is stopped as `docker stop` does, and traced
    // until it is gone: its shutdown path belongs in the profile.
    let mut exit_seen = reason == StopReason::TargetExited;
    if reason != StopReason::TargetExited {
        match &mut subject {
            Subject::DockerRun(run) => exit_seen = run.stop_and_trace_shutdown(&mut tracer, &docker_run)?,
            // A command cinch started is asked to stop and traced while it does (bounded).
            Subject::Command { child, .. } => {
                child.terminate();
                let deadline = Instant::now() + Duration::from_secs(10);
                while !child.has_exited() && Instant::now() < deadline {
                    tracer.poll(Duration::from_millis(50))?;
                }
                tracer.poll(Duration::ZERO)?;
                exit_seen = child.has_exited();
            }
            Subject::Running { .. } => {}
        }
    }

    let outlived = match (&subject, reason) {
        (Subject::Command { .. }, StopReason::TargetExited) => tracer.live_processes()?,
        _ => Vec::new(),
    };
    let (target, from_container_start) = subject.finish(reason, &mut tracer)?;
    if !outlived.is_empty() {
        let pids: Vec<String> = outlived.iter().take(10).map(u32::to_string).collect();
        say!(
            "cinch: note: {} process(es) the command started still run (pid {}): the trace ends with the command, \
             and what they do from now on is not in it",
            outlived.len(),
            pids.join(", ")
        );
    }
    let (mut trace, dropped) = tracer.finish(target)?;
    if dropped > 0 {
        eprintln!(
            "cinch: {dropped} facts beyond --max-facts {} (per kind) were dropped and count as lost events",
            args.max_facts
        );
    }
    trace.from_container_start = from_container_start;
    trace.target_exited = Some(exit_seen);
    if !exit_seen {
        say!("cinch: note: the workload was still running when tracing stopped: its shutdown is not in the trace");
    }
    report(&trace, reason, started.elapsed());
    Ok(Recorded { trace, docker_run })
}

/// A running Docker container cinch attached to.
pub struct Attached {
    pub tracer: Tracer,
    /// Of its first process: tells when the container is gone.
    pub pidfd: Pidfd,
    pub target: Target,
    /// Its first process, as the host sees it.
    pub pid: u32,
}

/// Attaches to a running Docker container, by name or id.
pub fn attach_container(name: &str, options: Options) -> Result<Attached> {
    let docker::Container { id, name, image, pid, runtime } = docker::inspect(name)?;
    let (tracer, pidfd) = attach_running(pid, options)?;
    let runtime = (!runtime.is_empty()).then_some(runtime);
    Ok(Attached { tracer, pidfd, target: Target::Container { id, name, image, runtime }, pid })
}

/// Attaches to a process that is already running and to everything in its
/// mount namespace.
fn attach_running(pid: u32, options: Options) -> Result<(Tracer, Pidfd)> {
    let mntns = mount_namespace_of(pid).map_err(|err| {
        let hint = match err.kind() {
            std::io::ErrorKind::PermissionDenied => {
                "cinch needs root with ptrace rights over it: run it as root on the host, not in a user \
                 namespace, and where the Yama ptrace scope and the LSMs allow it"
            }
            std::io::ErrorKind::NotFound => "no such process (it may have exited)",
            _ => "",
        };
        let err = anyhow::Error::new(err).context(format!("cannot read /proc/{pid}/ns/mnt"));
        if hint.is_empty() {
            err.context(format!("cannot trace process {pid}"))
        } else {
            err.context(format!("cannot trace process {pid} ({hint})"))
        }
    })?;
    if mntns == own_mount_namespace().context("cannot read cinch's own mount namespace")? {
        bail!(
            "process {pid} shares cinch's mount namespace (it is not in a container), so \
             tracing it would trace the whole host. Trace a host program as a command instead: \
             cinch trace -o FILE -- CMD"
        );
    }
    let pidfd = Pidfd::open(pid).with_context(|| format!("process {pid} is gone"))?;
    let tracer = Tracer::start_with(Selector::MountNamespace(mntns), options)?;
    Ok((tracer, pidfd))
}

/// Starts `argv` stopped just before its exec, follows it, then lets it go:
/// its execve is the first syscall traced.
fn start_command(argv: &[OsString]) -> Result<(Tracer, Subject)> {
    let exec = Exec::prepare(argv)?;

    // Start the tracer first: nothing the command does may be missed.
    let mut tracer = Tracer::start(Selector::ProcessTree)?;
    let held = HeldChild::fork(&exec).with_context(|| format!("cannot start {}", exec.program.display()))?;
    tracer.follow_from_exec(held.pid())?;
    match held.release().context("cannot release the command")? {
        Ok(child) => Ok((tracer, Subject::Command { child, argv: argv.to_vec() })),
        Err(err) => bail!("cannot run {}: {err}", exec.program.display()),
    }
}

/// The `--exercise` commands, run one after the other once the target is up.
struct Exercises<'a> {
    left: std::slice::Iter<'a, String>,
    running: Option<(String, std::process::Child)>,
    /// Whether there were any (with none, the trace ends as it otherwise would).
    any: bool,
}

impl<'a> Exercises<'a> {
    fn new(commands: &'a [String]) -> Exercises<'a> {
        Exercises { left: commands.iter(), running: None, any: !commands.is_empty() }
    }

    /// Moves on: reaps the running command and starts the next. True once
    /// the last has finished.
    fn step(&mut self) -> Result<bool> {
        if !self.any {
            return Ok(false);
        }
        if let Some((command, child)) = &mut self.running {
            match child.try_wait()? {
                None => return Ok(false),
                Some(status) if !status.success() => {
                    eprintln!("cinch: warning: exercise {command:?} exited with {status}")
                }
                Some(_) => {}
            }
            self.running = None;
        }
        let Some(command) = self.left.next() else { return Ok(true) };
        say!("cinch: exercising: {command}");
        let child = std::process::Command::new("sh")
            .args(["-c", command])
            .stdin(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run the exercise {command:?}"))?;
        self.running = Some((command.clone(), child));
        Ok(false)
    }
}

/// A `docker run` being traced: the client cinch started, and what is known
/// so far of the container it creates.
pub struct DockerRunSubject {
    client: std::process::Child,
    client_status: Option<i32>,
    /// Where the client writes the container id once it is created.
    cidfile: PathBuf,
    /// Holds our temporary cidfile's directory while we need it.
    _cid_dir: Option<tempfile::TempDir>,
    id: Option<String>,
    /// Name and image, looked up as soon as the id is known (a --rm container
    /// is gone by the end).
    described: Option<docker::Container>,
    /// Whether the container's slot was found in the tracer.
    selected: bool,
}

/// Starts the `docker run` client and watches for the container it creates.
fn start_docker_run(run: &DockerRun) -> Result<(Tracer, Subject)> {
    if run.is_unconfined() {
        bail!(
            "this docker run disables seccomp (seccomp=unconfined or --privileged), but cinch learns \
             what the runtime does after it installs the filter from the filter itself. Leave \
             Docker's default profile in place while tracing (it is what the workload runs under today)"
        );
    }
    let (cidfile, cid_dir) = match run.cidfile() {
        Some(path) => (path, None),
        None => {
            let dir = tempfile::Builder::new()
                .prefix("cinch-cid-")
                .tempdir()
                .context("cannot create a temporary directory")?;
            (dir.path().join("cid"), Some(dir))
        }
    };
    let argv = match cid_dir {
        Some(_) => run.with_options(&["--cidfile".into(), cidfile.clone().into_os_string()]),
        None => run.with_options(&[]),
    };
    // Watch before the client starts: the container must not start unseen.
    let tracer = Tracer::start(Selector::NewContainers)?;
    let program = resolve_program(&argv[0])?;
    let child = std::process::Command::new(&program)
        .args(&argv[1..])
        .spawn()
        .with_context(|| format!("cannot run {}", program.display()))?;
    let subject = DockerRunSubject {
        client: child,
        client_status: None,
        cidfile,
        _cid_dir: cid_dir,
        id: None,
        described: None,
        selected: false,
    };
    Ok((tracer, Subject::DockerRun(Box::new(subject))))
}

impl DockerRunSubject {
    /// Learns the container id, its description and its slot as they appear.
    fn catch_up(&mut self, tracer: &mut Tracer) -> Result<()> {
        if self.id.is_none() {
            let id = std::fs::read_to_string(&self.cidfile).unwrap_or_default().trim().to_string();
            if !id.is_empty() {
                self.id = Some(id);
            }
        }
        let Some(id) = &self.id else { return Ok(()) };
        if self.described.is_none() {
            self.described = docker::lookup(id)?.map(|i| i.container);
        }
        if !self.selected {
            self.selected = tracer.select_container(id)?;
        }
        Ok(())
    }

    fn client_exited(&mut self) -> bool {
        if self.client_status.is_none() {
            self.client_status = match self.client.try_wait() {
                Ok(Some(status)) => Some(status.code().unwrap_or(128)),
                Ok(None) => None,
                Err(_) => Some(-1),
            };
        }
        self.client_status.is_some()
    }

    /// Done when the client is gone and so is the container (`docker run -d`
    /// returns at once; the container runs on).
    fn has_exited(&mut self, tracer: &mut Tracer) -> Result<bool> {
        self.catch_up(tracer)?;
        if !self.client_exited() {
            return Ok(false);
        }
        let Some(id) = &self.id else { return Ok(true) };
        Ok(!docker::lookup(id)?.is_some_and(|i| i.running))
    }

    /// `docker stop` (SIGTERM, then SIGKILL after the container's stop
    /// timeout), with the tracer polled until the container and its client
    /// are gone. True when they are (the shutdown was traced).
    fn stop_and_trace_shutdown(&mut self, tracer: &mut Tracer, run: &Option<DockerRun>) -> Result<bool> {
        self.catch_up(tracer)?;
        let (Some(id), true) = (self.id.clone(), self.selected) else { return Ok(false) };
        if !docker::lookup(&id)?.is_some_and(|i| i.running) {
            return self.has_exited(tracer);
        }
        let stop = run.as_ref().map_or_else(|| vec!["docker".into(), "stop".into()], |r| r.client_command("stop"));
        say!("cinch: stopping container {} as docker stop does, and tracing its shutdown", short_id(&id));
        let mut stopping = std::process::Command::new(&stop[0])
            .args(&stop[1..])
            .arg(&id)
            .stdout(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("cannot run {} stop", stop[0].to_string_lossy()))?;
        // docker stop returns once the container has stopped (at worst killed after its timeout).
        while stopping.try_wait()?.is_none() {
            tracer.poll(Duration::from_millis(100))?;
        }
        // Then the client (and its --rm) finishes: the last of the shutdown.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.has_exited(tracer)? && Instant::now() < deadline {
            tracer.poll(Duration::from_millis(100))?;
        }
        tracer.poll(Duration::ZERO)?;
        self.has_exited(tracer)
    }

    fn finish(mut self, reason: StopReason, tracer: &mut Tracer) -> Result<Target> {
        self.catch_up(tracer)?;
        let client_exited = self.client_exited();
        let Some(id) = self.id.clone() else {
            if !client_exited {
                terminate(&self.client);
            }
            match self.client_status {
                Some(code) => {
                    bail!("docker run exited with status {code} before creating a container; nothing was traced")
                }
                None => bail!("docker run had not created a container yet; nothing was traced"),
            }
        };
        if !self.selected {
            let untracked = tracer.untracked_namespaces()?;
            bail!(
                "container {} was created but cinch did not see it start{}; nothing was traced",
                short_id(&id),
                if untracked > 0 {
                    format!(" ({untracked} other containers started at the same time and exhausted cinch's slots)")
                } else {
                    " (was it started before tracing, or by another runtime?)".to_string()
                }
            );
        }
        if reason != StopReason::TargetExited && !client_exited {
            eprintln!(
                "cinch: container {} is left running (stop it with docker stop {})",
                short_id(&id),
                short_id(&id)
            );
        }
        if let Some(code) = self.client_status.filter(|c| *c != 0) {
            say!("cinch: note: docker run exited with status {code}");
        }
        let (name, image, runtime) = match self.described {
            Some(c) => (c.name, c.image, (!c.runtime.is_empty()).then_some(c.runtime)),
            None => (String::new(), String::new(), None),
        };
        Ok(Target::Container { id, name, image, runtime })
    }
}

fn short_id(id: &str) -> &str {
    &id[..id.len().min(12)]
}

impl Subject {
    fn describe(&self) -> String {
        match self {
            Subject::Command { child, .. } => format!("command (pid {})", child.pid()),
            Subject::Running { target, .. } => target.to_string(),
            Subject::DockerRun(run) => format!("the container docker run creates (client pid {})", run.client.id()),
        }
    }

    /// Whether the target runs, for exercises to start: the container of a
    /// `docker run` once it is created and traced; anything else at once.
    fn is_up(&mut self, tracer: &mut Tracer) -> Result<bool> {
        match self {
            Subject::DockerRun(run) => {
                run.catch_up(tracer)?;
                Ok(run.selected)
            }
            _ => Ok(true),
        }
    }

    fn has_exited(&mut self, tracer: &mut Tracer) -> Result<bool> {
        match self {
            Subject::Command { child, .. } => Ok(child.has_exited()),
            Subject::Running { pidfd, .. } => Ok(pidfd.has_exited()),
            Subject::DockerRun(run) => run.has_exited(tracer),
        }
    }

    /// The target's description, and whether the trace covers the container's
    /// start; a command still running is asked to stop.
    fn finish(self, reason: StopReason, tracer: &mut Tracer) -> Result<(Target, bool)> {
        match self {
            Subject::Command { child, argv } => {
                if reason != StopReason::TargetExited {
                    // Ctrl-C already reached the command through the terminal;
                    // anything else is passed on, and we leave it to exit.
                    child.terminate();
                }
                let argv = argv.iter().map(|a| a.to_string_lossy().into_owned()).collect();
                Ok((Target::Command { argv }, false))
            }
            Subject::Running { target, .. } => Ok((target, false)),
            Subject::DockerRun(run) => Ok((run.finish(reason, tracer)?, true)),
        }
    }
}

fn report(trace: &Trace, reason: StopReason, elapsed: Duration) {
    let why = match reason {
        StopReason::TargetExited => "target exited",
        StopReason::Duration => "duration reached",
        StopReason::Exercised => "exercises done",
        StopReason::Interrupted => "interrupted",
        StopReason::Terminated => "terminated",
    };
    say!(
        "cinch: traced {} for {:.1}s ({why})\n  {} syscalls ({} calls), {} new processes, {} lost events\n  \
         {} files ({} failed attempts), {} programs, {} addresses",
        trace.target,
        elapsed.as_secs_f64(),
        trace.syscalls.len(),
        trace.total_calls(),
        trace.processes,
        trace.lost_events,
        trace.files.len(),
        trace.failed_files.len(),
        trace.executions.len(),
        trace.network.len(),
    );
}

/// Accepts `90s`, `5m`, `1h`, `500ms`, or a plain number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("{text:?} is not a duration like 90s, 5m, 1h30m, 5min, 500ms");
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return seconds_of(text.parse::<f64>().map_err(|_| bad())?, text); // a bare number: seconds
    }
    // One or more NUMBER UNIT parts, as humantime and Go's time.ParseDuration write them.
    let mut seconds = 0.0;
    let mut rest = text;
    while !rest.is_empty() {
        let number_end = rest.find(|c: char| !c.is_ascii_digit() && c != '.').ok_or_else(bad)?;
        let value: f64 = rest[..number_end].parse().map_err(|_| bad())?;
        let after = &rest[number_end..];
        let unit_end = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let unit = after[..unit_end].trim();
        let scale = match unit {
            "ms" | "msec" => 0.001,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86400.0,
            _ => return Err(format!("unknown unit {unit:?} in {text:?}: use ms, s, min (or m), h or d")),
        };
        seconds += value * scale;
        rest = after[unit_end..].trim_start();
    }
    seconds_of(seconds, text)
}

fn seconds_of(seconds: f64, text: &str) -> Result<Duration, String> {
    if !(seconds > 0.0 && seconds.is_finite() && seconds < 1e12) {
        return Err(format!("{text:?}: the duration must be positive"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// SIGTERM to the docker client, as `docker stop` would send to a container
/// (std's `Child::kill` sends SIGKILL, which leaves the client no say).
fn terminate(client: &std::process::Child) {
    if let Some(pid) = i32::try_from(client.id()).ok().and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
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
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("5min"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2m 30s"), Ok(Duration::from_secs(150)));
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("1h30").is_err());
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("-1s").is_err());
    }
}
