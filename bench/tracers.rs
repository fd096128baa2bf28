//! Tracer overhead, side by side: the same workloads untraced, under
//! `cinch trace`, under `strace -f` and under a bpftrace per-syscall count,
//! interleaved in one run on one machine. Writes a markdown report.
//!
//!   bench/run.sh                      (builds, checks the tools, writes bench/RESULTS.md)
//!   cargo bench -p cinch --bench tracers -- --out FILE [--runs N] [--storm N] [--jobs N] [--paths N]
//!
//! Workloads:
//! - storm: `cinch-probe syscall-storm=N`, N cheap calls (getppid, openat/close
//!   of four files, a one-byte pipe write and read). The probe times its own
//!   loop, so tracer start-up is not counted.
//! - worker: `mascot-worker` serving a batch of search jobs sent one after the
//!   other by `mascot-client`; timed from the first job sent to the last
//!   answer, once the worker answers a ping.
//! - paths: `cinch-probe open-storm=DIR` over N distinct files under cinch: how
//!   many facts were recorded and how many the trace reports lost.
//!
//! For each traced run the tracer process's peak RSS (VmHWM, polled every 5 ms)
//! and CPU time (utime + stime, read before it is reaped) are recorded. Work
//! an eBPF program does runs in the traced task and shows in its time, not the
//! tracer's.

#[path = "sections.rs"]
mod sections;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() {
    // `cargo test --all-targets` runs benchmarks without `--bench`: this one
    // takes minutes and needs root, strace and bpftrace, so it only runs
    // under `cargo bench` (bench/run.sh).
    if !std::env::args().any(|a| a == "--bench") {
        println!("tracers: a benchmark; run it with bench/run.sh");
        return;
    }
    if let Err(message) = run() {
        eprintln!("bench tracers: {message}");
        std::process::exit(2);
    }
}

struct Options {
    out: PathBuf,
    runs: usize,
    storm: u64,
    jobs: usize,
    paths: usize,
}

fn parse_options() -> Result<Options, String> {
    let mut options =
        Options { out: PathBuf::from("bench/RESULTS.md"), runs: 5, storm: 1_000_000, jobs: 10, paths: 100_000 };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--out" => options.out = PathBuf::from(value()?),
            "--runs" => options.runs = value()?.parse().map_err(|_| "--runs takes a number")?,
            "--storm" => options.storm = value()?.parse().map_err(|_| "--storm takes a number")?,
            "--jobs" => options.jobs = value()?.parse().map_err(|_| "--jobs takes a number")?,
            "--paths" => options.paths = value()?.parse().map_err(|_| "--paths takes a number")?,
            "--bench" => {} // added by `cargo bench`
            other => return Err(format!("unknown option {other}")),
        }
    }
    if options.runs == 0 || options.jobs == 0 || options.storm < 5 {
        return Err("--runs, --jobs and --storm must be positive".into());
    }
    Ok(options)
}

/// The programs the benchmark runs.
struct Tools {
    cinch: PathBuf,
    probe: PathBuf,
    worker: PathBuf,
    client: PathBuf,
    strace: PathBuf,
    bpftrace: PathBuf,
    work: PathBuf,
}

/// The worker's database size and the masses per job: about 0.1 s per job here.
const PROTEINS: usize = 20_000;
const PICK: usize = 40;

#[derive(Clone, Copy, PartialEq)]
enum Tracer {
    Untraced,
    Cinch,
    Strace,
    Bpftrace,
}

const TRACERS: [Tracer; 4] = [Tracer::Untraced, Tracer::Cinch, Tracer::Strace, Tracer::Bpftrace];

/// bpftrace's equivalent of what cinch keeps for syscalls: a count per
/// syscall number for the traced process and its threads.
const BPFTRACE_COUNT: &str = "tracepoint:raw_syscalls:sys_enter /pid == cpid/ { @[args->id] = count(); }";

impl Tracer {
    fn name(self) -> &'static str {
        match self {
            Tracer::Untraced => "untraced",
            Tracer::Cinch => "cinch trace",
            Tracer::Strace => "strace -f -o /dev/null",
            Tracer::Bpftrace => "bpftrace (count per syscall)",
        }
    }

    /// The command that runs `argv` under this tracer.
    fn command(self, tools: &Tools, argv: &[OsString]) -> Command {
        let mut command = match self {
            Tracer::Untraced => {
                let mut c = Command::new(&argv[0]);
                c.args(&argv[1..]);
                return c;
            }
            Tracer::Cinch => {
                let mut c = Command::new(&tools.cinch);
                c.arg("trace").arg("-o").arg(tools.work.join("bench-trace.json")).arg("--");
                c
            }
            Tracer::Strace => {
                let mut c = Command::new(&tools.strace);
                c.args(["-f", "-o", "/dev/null", "--"]);
                c
            }
            Tracer::Bpftrace => {
                // bpftrace takes the command as one string; the paths are ours, without spaces.
                let line: Vec<String> = argv.iter().map(|a| a.to_string_lossy().into_owned()).collect();
                let mut c = Command::new(&tools.bpftrace);
                c.arg("-e").arg(BPFTRACE_COUNT).arg("-c").arg(line.join(" "));
                c.stdout(Stdio::null());
                return c;
            }
        };
        command.args(argv);
        command
    }
}

/// What one run measured.
#[derive(Clone, Copy, Default)]
struct Sample {
    /// The workload's own time, in seconds.
    seconds: f64,
    /// The tracer's peak resident set, in KiB (0 when untraced).
    tracer_rss_kib: u64,
    /// The tracer's CPU time, in seconds (0 when untraced).
    tracer_cpu: f64,
}

/// A running tracer (or the untraced workload) watched until it exits.
struct Watched {
    child: std::process::Child,
    peak_kib: Arc<Mutex<u64>>,
    stop: Arc<AtomicBool>,
    poller: std::thread::JoinHandle<()>,
}

fn spawn_watched(mut command: Command) -> Result<Watched, String> {
    let child = command.spawn().map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    let pid = child.id();
    let peak_kib = Arc::new(Mutex::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (peak, stopped) = (Arc::clone(&peak_kib), Arc::clone(&stop));
    let poller = std::thread::spawn(move || {
        while !stopped.load(Ordering::Relaxed) {
            if let Some(kib) = vm_hwm_kib(pid) {
                let mut peak = peak.lock().unwrap_or_else(|e| e.into_inner());
                *peak = (*peak).max(kib);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    Ok(Watched { child, peak_kib, stop, poller })
}

impl Watched {
    /// Waits for the exit, reads the CPU time while the process is a zombie,
    /// then reaps it. Returns (success, peak RSS KiB, CPU seconds).
    fn finish(mut self) -> Result<(bool, u64, f64), String> {
        let pid = self.child.id();
        // SAFETY: siginfo_t is plain data, and all zeroes is a valid value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid fills `info`; WNOWAIT leaves the child to be reaped below.
        let rc = unsafe { libc::waitid(libc::P_PID, pid, &mut info, libc::WEXITED | libc::WNOWAIT) };
        if rc != 0 {
            return Err(format!("waitid {pid}: {}", std::io::Error::last_os_error()));
        }
        let cpu = cpu_seconds(pid).unwrap_or(0.0);
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.poller.join();
        let status = self.child.wait().map_err(|e| e.to_string())?;
        let peak = *self.peak_kib.lock().unwrap_or_else(|e| e.into_inner());
        Ok((status.success(), peak, cpu))
    }
}

fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// utime + stime of `pid` itself (not its children), in seconds.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Some(ticks as f64 / hz)
}

/// One storm run: the probe reports its loop's nanoseconds on stderr.
fn storm_run(tools: &Tools, tracer: Tracer, calls: u64) -> Result<Sample, String> {
    let argv = [tools.probe.clone().into_os_string(), OsString::from(format!("syscall-storm={calls}"))];
    let log = tools.work.join("storm.err");
    let mut command = tracer.command(tools, &argv);
    command.stderr(std::fs::File::create(&log).map_err(|e| e.to_string())?);
    if tracer != Tracer::Bpftrace {
        command.stdout(Stdio::null());
    }
    let (ok, rss, cpu) = spawn_watched(command)?.finish()?;
    let text = std::fs::read_to_string(&log).map_err(|e| e.to_string())?;
    let nanos = text.lines().find_map(|l| {
        l.strip_prefix("syscall-storm: ")?.split(" calls in ").nth(1)?.strip_suffix(" ns")?.parse::<f64>().ok()
    });
    match (ok, nanos) {
        (true, Some(nanos)) => Ok(sample(tracer, nanos / 1e9, rss, cpu)),
        _ => Err(format!("storm under {} failed:\n{text}", tracer.name())),
    }
}

fn sample(tracer: Tracer, seconds: f64, rss: u64, cpu: f64) -> Sample {
    if tracer == Tracer::Untraced {
        Sample { seconds, ..Sample::default() }
    } else {
        Sample { seconds, tracer_rss_kib: rss, tracer_cpu: cpu }
    }
}

/// One worker run: start it under the tracer, wait for a ping, send the
/// jobs one after the other, time them, and let the worker exit.
fn worker_run(tools: &Tools, tracer: Tracer, jobs: usize) -> Result<Sample, String> {
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let node = tools.work.join("node");
    let argv: Vec<OsString> = vec![
        tools.worker.clone().into(),
        "--listen".into(),
        addr.clone().into(),
        "--node-dir".into(),
        node.clone().into(),
        "--jobs".into(),
        jobs.to_string().into(),
    ];
    let mut command = tracer.command(tools, &argv);
    command.stderr(Stdio::null());
    if tracer != Tracer::Bpftrace {
        command.stdout(Stdio::null());
    }
    let watched = spawn_watched(command)?;
    let client = |args: &[&str]| -> Result<(), String> {
        let output = Command::new(&tools.client).args(args).output().map_err(|e| e.to_string())?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "mascot-client {args:?}: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    };
    let fasta = node.join("sequence/bench/current/bench.fasta");
    let fasta = fasta.to_str().ok_or("work directory is not UTF-8")?;
    let result = (|| {
        client(&["ping", "--addr", &addr, "--wait", "60"])?;
        let start = Instant::now();
        for job in 0..jobs {
            let id = format!("job-{job}");
            client(&[
                "search",
                "--addr",
                &addr,
                "--db",
                "bench",
                "--fasta",
                fasta,
                "--id",
                &id,
                "--pick",
                &PICK.to_string(),
            ])?;
        }
        Ok::<f64, String>(start.elapsed().as_secs_f64())
    })();
    if result.is_err() {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(watched.child.id() as i32, libc::SIGTERM) };
    }
    let (ok, rss, cpu) = watched.finish()?;
    let seconds = result?;
    if !ok {
        return Err(format!("the worker under {} did not exit cleanly", tracer.name()));
    }
    Ok(sample(tracer, seconds, rss, cpu))
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// The distinct-path storm under cinch: (files opened, recorded, lost, sample).
fn path_storm(tools: &Tools, paths: usize) -> Result<(usize, usize, u64, Sample), String> {
    let dir = tools.work.join("paths");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for i in 0..paths {
        std::fs::File::create(dir.join(format!("f{i:06}"))).map_err(|e| e.to_string())?;
    }
    let argv = [tools.probe.clone().into_os_string(), format!("open-storm={}", dir.display()).into()];
    let started = Instant::now();
    let mut command = Tracer::Cinch.command(tools, &argv);
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let (ok, rss, cpu) = spawn_watched(command)?.finish()?;
    let seconds = started.elapsed().as_secs_f64();
    if !ok {
        return Err("the path storm under cinch failed".into());
    }
    let text = std::fs::read_to_string(tools.work.join("bench-trace.json")).map_err(|e| e.to_string())?;
    let trace: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let prefix = format!("{}/", dir.display());
    let recorded =
        trace["files"].as_object().map_or(0, |files| files.keys().filter(|k| k.starts_with(&prefix)).count());
    let lost = trace["lost_events"].as_u64().unwrap_or(u64::MAX);
    std::fs::remove_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok((paths, recorded, lost, Sample { seconds, tracer_rss_kib: rss, tracer_cpu: cpu }))
}

/// A storm of `opens` distinct failed opens under `cinch trace --max-facts
/// max` (default bound when None): (failed files kept, lost, sample).
fn fact_storm(tools: &Tools, opens: usize, max: Option<usize>) -> Result<(usize, u64, Sample), String> {
    let out = tools.work.join("fact-storm.json");
    let mut command = Command::new(&tools.cinch);
    command.args(["trace", "--allow-lost", "-o"]).arg(&out);
    if let Some(max) = max {
        command.arg("--max-facts").arg(max.to_string());
    }
    command.arg("--").arg(&tools.probe).arg(format!("failed-opens={opens}"));
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let started = Instant::now();
    let (ok, rss, cpu) = spawn_watched(command)?.finish()?;
    let seconds = started.elapsed().as_secs_f64();
    if !ok {
        return Err("the failed-open storm under cinch failed".into());
    }
    let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
    let trace: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let kept = trace["failed_files"].as_object().map_or(0, |files| files.len());
    let lost = trace["lost_events"].as_u64().unwrap_or(u64::MAX);
    Ok((kept, lost, Sample { seconds, tracer_rss_kib: rss, tracer_cpu: cpu }))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// Medians of each measure over the runs.
fn medians(samples: &[Sample]) -> Sample {
    Sample {
        seconds: median(samples.iter().map(|s| s.seconds).collect()),
        tracer_rss_kib: median(samples.iter().map(|s| s.tracer_rss_kib as f64).collect()) as u64,
        tracer_cpu: median(samples.iter().map(|s| s.tracer_cpu).collect()),
    }
}

fn table(title: &str, unit: &str, rows: &[(Tracer, Sample)]) -> String {
    let base = rows.iter().find(|(t, _)| *t == Tracer::Untraced).map_or(f64::NAN, |(_, s)| s.seconds);
    let mut out =
        format!("| {title} | {unit} (median) | × untraced | tracer peak RSS | tracer CPU |\n|---|---|---|---|---|\n");
    for (tracer, s) in rows {
        let (rss, cpu) = if *tracer == Tracer::Untraced {
            ("–".to_string(), "–".to_string())
        } else {
            (format!("{:.1} MiB", s.tracer_rss_kib as f64 / 1024.0), format!("{:.2} s", s.tracer_cpu))
        };
        let _ = writeln!(out, "| {} | {:.3} | {:.2}× | {rss} | {cpu} |", tracer.name(), s.seconds, s.seconds / base);
    }
    out
}

/// Syscall names a Docker seccomp profile allows. With `amd64_default_caps`,
/// only the entries that apply to an amd64 container with Docker's default
/// capabilities (no `includes.caps`, arches including amd64 or none).
fn allowed_names(profile: &serde_json::Value, amd64_default_caps: bool) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let has = |v: &serde_json::Value, what: &str| v.as_array().is_some_and(|a| a.iter().any(|x| x == what));
    for rule in profile["syscalls"].as_array().into_iter().flatten() {
        let includes = &rule["includes"];
        let applies = !amd64_default_caps
            || (includes["caps"].as_array().is_none_or(|c| c.is_empty())
                && (includes["arches"].is_null() || has(&includes["arches"], "amd64"))
                && !has(&rule["excludes"]["arches"], "amd64"));
        if rule["action"] == "SCMP_ACT_ALLOW" && applies {
            for name in rule["names"].as_array().into_iter().flatten() {
                names.extend(name.as_str().map(str::to_string));
            }
        }
    }
    names
}

/// Allowed syscalls in cinch's profile for the worker, against the observed
/// ones and Docker's default profile.
fn profile_size(root: &Path, tools: &Tools) -> Result<String, String> {
    let trace_path = root.join("fixtures/traces/worker-container.json");
    let out = tools.work.join("worker-seccomp.json");
    let status = Command::new(&tools.cinch)
        .args(["generate", "seccomp", "--trace"])
        .arg(&trace_path)
        .arg("-o")
        .arg(&out)
        .stderr(Stdio::null())
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("cinch generate seccomp failed on the worker trace".into());
    }
    let read = |p: &Path| -> Result<serde_json::Value, String> {
        let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))
    };
    let trace = read(&trace_path)?;
    let observed = trace["syscalls"].as_object().map_or(0, |m| m.len());
    let ours = allowed_names(&read(&out)?, false);
    let docker_profile = read(&root.join("fixtures/reference/docker-default-seccomp.json"))?;
    let docker_all = allowed_names(&docker_profile, false);
    let docker = allowed_names(&docker_profile, true);
    let mut text = String::new();
    let _ = writeln!(text, "| worker (fixtures/traces/worker-container.json) | syscalls |\n|---|---|");
    let _ = writeln!(text, "| observed in the trace | {observed} |");
    let _ = writeln!(text, "| allowed by cinch's profile (observed + runc's floor) | {} |", ours.len());
    let x86_64 = docker.iter().filter(|n| cinch_profiles::Arch::X86_64.syscall_number(n).is_some()).count();
    let _ = writeln!(
        text,
        "| names Docker's default profile allows an amd64 container (rules without capability conditions) | {} |",
        docker.len()
    );
    let _ = writeln!(
        text,
        "| of them x86_64 syscalls (the README's figure; the rest are names of other architectures) | {x86_64} |"
    );
    let _ = writeln!(
        text,
        "| named by Docker's default profile, every architecture and capability | {} |",
        docker_all.len()
    );
    let _ = writeln!(
        text,
        "| allowed by cinch but not by Docker's default (amd64) | {} |",
        ours.difference(&docker).count()
    );
    Ok(text)
}

fn tool(name: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or(format!("{name} is not installed (bench/run.sh installs it)"))
}

fn run() -> Result<(), String> {
    let options = parse_options()?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = root.canonicalize().map_err(|e| e.to_string())?;
    let bin = PathBuf::from(
        std::env::var("CINCH_BENCH_BIN")
            .map_err(|_| "CINCH_BENCH_BIN (the static fixtures' directory) is not set; use bench/run.sh")?,
    );
    let work = std::env::temp_dir().join(format!("cinch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let tools = Tools {
        cinch: PathBuf::from(env!("CARGO_BIN_EXE_cinch")),
        probe: bin.join("cinch-probe"),
        worker: bin.join("mascot-worker"),
        client: bin.join("mascot-client"),
        strace: tool("strace")?,
        bpftrace: tool("bpftrace")?,
        work: work.clone(),
    };
    let result = measure(&root, &tools, &options);
    let _ = std::fs::remove_dir_all(&work);
    let mut report = result?;
    // The other benchmarks' sections of the file are kept (bench/sections.rs).
    for section in sections::sections(&std::fs::read_to_string(&options.out).unwrap_or_default()) {
        report.push_str(&format!("\n{section}\n"));
    }
    std::fs::write(&options.out, &report).map_err(|e| format!("{}: {e}", options.out.display()))?;
    print!("{report}");
    Ok(())
}

fn measure(root: &Path, tools: &Tools, options: &Options) -> Result<String, String> {
    let fasta = tools.work.join("node/sequence/bench/current/bench.fasta");
    let status = Command::new(&tools.client)
        .args(["gen-db", "--proteins", &PROTEINS.to_string(), "-o"])
        .arg(&fasta)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("mascot-client gen-db failed".into());
    }

    // Interleaved: every tracer once per round, so drift hits all alike.
    let mut storm: Vec<Vec<Sample>> = vec![Vec::new(); TRACERS.len()];
    let mut worker: Vec<Vec<Sample>> = vec![Vec::new(); TRACERS.len()];
    for round in 1..=options.runs {
        for (i, tracer) in TRACERS.iter().enumerate() {
            eprintln!("round {round}/{}: storm, {}", options.runs, tracer.name());
            storm[i].push(storm_run(tools, *tracer, options.storm)?);
            eprintln!("round {round}/{}: worker, {}", options.runs, tracer.name());
            worker[i].push(worker_run(tools, *tracer, options.jobs)?);
        }
    }
    eprintln!("path storm: {} distinct files under cinch", options.paths);
    let (opened, recorded, lost, paths) = path_storm(tools, options.paths)?;
    const FACT_STORM: usize = 1_000_000;
    eprintln!("fact storm: {FACT_STORM} distinct failed opens, with the default bound and without");
    let bounded = fact_storm(tools, FACT_STORM, None)?;
    let unbounded = fact_storm(tools, FACT_STORM, Some(usize::MAX))?;
    let storm_rows: Vec<(Tracer, Sample)> = TRACERS.iter().copied().zip(storm.iter().map(|s| medians(s))).collect();
    let worker_rows: Vec<(Tracer, Sample)> = TRACERS.iter().copied().zip(worker.iter().map(|s| medians(s))).collect();

    let mut report = String::new();
    let _ = writeln!(report, "# Benchmark results\n");
    let _ = writeln!(report, "Written by `bench/run.sh` on {} (UTC). Reproduce, as root:\n", today());
    let _ = writeln!(report, "    bench/run.sh        # or: bench/run.sh --runs 9, for less noise\n");
    let _ = writeln!(report, "## Machine\n\n{}", machine());
    let _ = writeln!(
        report,
        "## Syscall storm\n\n`cinch-probe syscall-storm={}`: getppid, openat/close of four files, a one-byte pipe write and read, \
         in a loop; the probe times the loop itself. Median of {} interleaved runs.\n",
        options.storm, options.runs
    );
    report.push_str(&table("tracer", "seconds", &storm_rows));
    let per_call = |s: &Sample| s.seconds * 1e9 / options.storm as f64;
    let _ = writeln!(
        report,
        "\nPer call: {}.\n",
        storm_rows.iter().map(|(t, s)| format!("{} {:.0} ns", t.name(), per_call(s))).collect::<Vec<_>>().join(", ")
    );
    let _ = writeln!(
        report,
        "## Worker batch\n\n`mascot-worker` on loopback serving {} search jobs ({PICK} masses each, {PROTEINS}-protein database) \
         sent one after the other by `mascot-client`; timed from the first job to the last answer. Median of {} interleaved runs.\n",
        options.jobs, options.runs
    );
    report.push_str(&table("tracer", "seconds", &worker_rows));
    let _ = writeln!(
        report,
        "\n## Event loss\n\n`cinch-probe open-storm=DIR` opens {opened} distinct files once under `cinch trace`.\n\n\
         | files opened | recorded in the trace | reported lost | recorded + lost = opened | wall time (with load and write) | cinch peak RSS | cinch CPU |\n\
         |---|---|---|---|---|---|---|\n\
         | {opened} | {recorded} | {lost} | {} | {:.2} s | {:.1} MiB | {:.2} s |\n",
        if recorded as u64 + lost == opened as u64 { "yes" } else { "NO" },
        paths.seconds,
        paths.tracer_rss_kib as f64 / 1024.0,
        paths.tracer_cpu
    );
    let _ = writeln!(
        report,
        "## Fact bound\n\n`cinch-probe failed-opens={FACT_STORM}` opens {FACT_STORM} distinct files that do not exist: \
         a workload can make cinch hold one fact per distinct path. `--max-facts` (default {}) bounds what is kept; \
         the rest is counted as lost.\n\n\
         | --max-facts | failed files kept | reported lost | kept + lost ≥ opened | wall time | cinch peak RSS |\n\
         |---|---|---|---|---|---|\n{}{}",
        cinch_ebpf::DEFAULT_MAX_FACTS,
        fact_row(&format!("{} (default)", cinch_ebpf::DEFAULT_MAX_FACTS), FACT_STORM, &bounded),
        fact_row("none (usize::MAX)", FACT_STORM, &unbounded),
    );
    let _ = writeln!(report, "## Profile size\n\n{}", profile_size(root, tools)?);
    report.push_str(&targets(
        &storm_rows,
        &worker_rows,
        recorded as u64 + lost == opened as u64,
        lost,
        paths.tracer_rss_kib,
    ));
    Ok(report)
}

fn fact_row(bound: &str, opened: usize, (kept, lost, sample): &(usize, u64, Sample)) -> String {
    format!(
        "| {bound} | {kept} | {lost} | {} | {:.2} s | {:.1} MiB |\n",
        if *kept as u64 + lost >= opened as u64 { "yes" } else { "NO" },
        sample.seconds,
        sample.tracer_rss_kib as f64 / 1024.0
    )
}

/// The README's targets against this run.
fn targets(
    storm: &[(Tracer, Sample)],
    worker: &[(Tracer, Sample)],
    accounted: bool,
    lost: u64,
    path_rss: u64,
) -> String {
    let ratio = |rows: &[(Tracer, Sample)], t: Tracer| {
        let base = rows[0].1.seconds;
        rows.iter().find(|(x, _)| *x == t).map_or(f64::NAN, |(_, s)| s.seconds / base)
    };
    let cinch_rss = storm
        .iter()
        .chain(worker)
        .filter(|(t, _)| *t == Tracer::Cinch)
        .map(|(_, s)| s.tracer_rss_kib)
        .max()
        .unwrap_or(0);
    let rss = cinch_rss.max(path_rss) as f64 / 1024.0;
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let (worker_over, storm_cinch, storm_strace) =
        ((ratio(worker, Tracer::Cinch) - 1.0) * 100.0, ratio(storm, Tracer::Cinch), ratio(storm, Tracer::Strace));
    format!(
        "## Targets\n\n| target | measured | |\n|---|---|---|\n\
         | worker-job overhead ≤ 5 % | {worker_over:+.1} % | {} |\n\
         | syscall storm ≤ 1.5× untraced | {storm_cinch:.2}× | {} |\n\
         | strace ≥ 10× on the storm (for comparison) | {storm_strace:.1}× | {} |\n\
         | no lost events, or the loss reported exactly | {lost} lost, {} | {} |\n\
         | tracer RSS ≤ 50 MB | {rss:.1} MiB peak | {} |\n",
        verdict(worker_over <= 5.0),
        verdict(storm_cinch <= 1.5),
        verdict(storm_strace >= 10.0),
        if accounted { "all accounted for" } else { "NOT accounted for" },
        verdict(accounted),
        verdict(rss * 1024.0 * 1024.0 <= 50e6),
    )
}

fn today() -> String {
    let out = Command::new("date").args(["-u", "+%F %H:%M"]).output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()).unwrap_or_default()
}

fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() { o.stderr } else { o.stdout };
            String::from_utf8_lossy(&text).lines().next().unwrap_or("").trim().to_string()
        })
        .unwrap_or_else(|| "not found".into())
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("unknown", |m| m.trim_start_matches([' ', '\t', ':']));
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()))
        .map_or("unknown".into(), |kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0));
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|t| t.lines().find_map(|l| l.strip_prefix("PRETTY_NAME=").map(|v| v.trim_matches('"').to_string())))
        .unwrap_or_default();
    format!(
        "- CPU: {model}, {cpus} CPUs available; memory {memory}\n- OS: {os}, kernel {}\n- {}; {}; {}\n",
        first_line("uname", &["-r"]),
        first_line("strace", &["-V"]),
        first_line("bpftrace", &["--version"]),
        first_line(env!("CARGO_BIN_EXE_cinch"), &["--version"]),
    )
}
