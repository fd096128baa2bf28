//! Overhead where users feel it: Debian's nginx (the proving-ground image, in
//! real Docker on the host network) under `wrk`, in the same run:
//! - untraced;
//! - under the floor: cinch's hooks (the same tracepoints) with empty
//!   programs (bench/empty.bpf.c), what any eBPF syscall tracer pays here;
//! - under `cinch trace --container`;
//!
//! and the cost to a process that is not traced (a syscall storm on the host)
//! while cinch traces the container. Interleaved rounds, medians. Writes its
//! section of bench/RESULTS.md (bench/sections.rs).
//!
//!   bench/run.sh --services          (builds the empty object, starts dockerd)
//!   cargo bench -p cinch --bench services -- --out FILE [--runs N] [--seconds S]
//!
//! Needs root, DOCKER_HOST, CINCH_EMPTY_BPF (the empty object) and
//! CINCH_BENCH_BIN (the static fixtures, for the probe).

#[path = "sections.rs"]
mod sections;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONTAINER: &str = "cinch-bench-nginx";
const URL: &str = "http://127.0.0.1:18080/";

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Untraced,
    EmptyHooks,
    Cinch,
}

const MODES: [Mode; 3] = [Mode::Untraced, Mode::EmptyHooks, Mode::Cinch];

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Untraced => "untraced",
            Mode::EmptyHooks => "floor: cinch's hooks, empty programs",
            Mode::Cinch => "cinch trace --container",
        }
    }
}

/// Whatever is attached for a mode; detached when dropped.
enum Attached {
    Nothing,
    Hooks(#[allow(dead_code)] cinch_ebpf::Hooks),
    Tracer(Child),
}

impl Drop for Attached {
    fn drop(&mut self) {
        if let Attached::Tracer(child) = self {
            // SAFETY: kill with the tracer's pid and SIGINT (how a person stops it).
            unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
            let _ = child.wait();
        }
    }
}

struct Setup {
    cinch: PathBuf,
    empty: Vec<u8>,
    probe: PathBuf,
    work: PathBuf,
}

fn attach(mode: Mode, setup: &Setup) -> Result<Attached, String> {
    match mode {
        Mode::Untraced => Ok(Attached::Nothing),
        Mode::EmptyHooks => cinch_ebpf::attach_hooks_of(&setup.empty).map(Attached::Hooks).map_err(|e| e.to_string()),
        Mode::Cinch => {
            let mut child = Command::new(&setup.cinch)
                .args(["trace", "-q", "--allow-lost", "--container", CONTAINER, "-o"])
                .arg(setup.work.join("trace.json"))
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| e.to_string())?;
            // Attached once it says so.
            let stderr = child.stderr.take().expect("piped");
            let mut lines = BufReader::new(stderr).lines();
            loop {
                match lines.next() {
                    Some(Ok(line)) if line.starts_with("cinch: tracing") => break,
                    Some(Ok(_)) => {}
                    _ => return Err("cinch trace --container did not start".into()),
                }
            }
            std::thread::spawn(move || for _ in lines {});
            Ok(Attached::Tracer(child))
        }
    }
}

/// Requests per second wrk measured against nginx in `seconds`.
fn wrk(seconds: u64) -> Result<f64, String> {
    let out = Command::new("wrk")
        .args(["-t2", "-c16", &format!("-d{seconds}s"), URL])
        .output()
        .map_err(|e| format!("wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("Non-2xx") || text.contains("Socket errors") {
        return Err(format!("wrk had errors:\n{text}"));
    }
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:")?.trim().parse().ok())
        .ok_or_else(|| format!("no Requests/sec in wrk's output:\n{text}"))
}

/// Nanoseconds per call of a host syscall storm (not traced: outside the container).
fn storm(probe: &Path) -> Result<f64, String> {
    const CALLS: u64 = 1_000_000;
    let out = Command::new(probe).arg(format!("syscall-storm={CALLS}")).output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stderr);
    text.lines()
        .find_map(|l| {
            l.strip_prefix("syscall-storm: ")?.split(" calls in ").nth(1)?.strip_suffix(" ns")?.parse::<f64>().ok()
        })
        .map(|ns| ns / CALLS as f64)
        .ok_or_else(|| format!("no timing from the storm:\n{text}"))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn docker(args: &[&str]) -> Result<String, String> {
    let out = Command::new("docker").args(args).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("docker {args:?}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn proving_ground(root: &Path, what: &str) -> Result<String, String> {
    let out = Command::new(root.join("scripts/proving-ground")).arg(what).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("scripts/proving-ground {what}: {}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn start_nginx(root: &Path, work: &Path) -> Result<(), String> {
    let image = proving_ground(root, "image")?;
    proving_ground(root, "drivers")?;
    let conf = work.join("cinch");
    std::fs::create_dir_all(&conf).map_err(|e| e.to_string())?;
    std::fs::copy(root.join("fixtures/services/nginx.conf"), conf.join("nginx.conf")).map_err(|e| e.to_string())?;
    let _ = docker(&["rm", "-f", CONTAINER]);
    let volume = format!("{}:/cinch:ro", conf.display());
    docker(&[
        "run",
        "-d",
        "--name",
        CONTAINER,
        "--network",
        "host",
        "-v",
        &volume,
        &image,
        "nginx",
        "-c",
        "/cinch/nginx.conf",
        "-g",
        "daemon off;",
    ])?;
    let started = Instant::now();
    while std::net::TcpStream::connect("127.0.0.1:18080").is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            return Err("nginx did not come up".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let (mut out, mut runs, mut seconds) = (None, 5usize, 5u64);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--runs" => runs = value()?.parse().map_err(|_| "--runs N")?,
            "--seconds" => seconds = value()?.parse().map_err(|_| "--seconds S")?,
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let out = out.ok_or("--out FILE is required")?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().map_err(|e| e.to_string())?;
    let env = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set; use bench/run.sh --services"));
    let work = std::env::temp_dir().join(format!("cinch-bench-services-{}", std::process::id()));
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;
    let setup = Setup {
        cinch: PathBuf::from(env!("CARGO_BIN_EXE_cinch")),
        empty: std::fs::read(env("CINCH_EMPTY_BPF")?).map_err(|e| e.to_string())?,
        probe: PathBuf::from(env("CINCH_BENCH_BIN")?).join("cinch-probe"),
        work: work.clone(),
    };
    start_nginx(&root, &work)?;
    let result = measure(&setup, runs, seconds);
    let _ = docker(&["rm", "-f", CONTAINER]);
    let _ = std::fs::remove_dir_all(&work);
    let section = result?;
    sections::write_section(&out, "services", &section)?;
    print!("{section}");
    Ok(())
}

fn measure(setup: &Setup, runs: usize, seconds: u64) -> Result<String, String> {
    wrk(1)?; // warm up
    let mut rps: Vec<Vec<f64>> = vec![Vec::new(); MODES.len()];
    let mut neighbour: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    for round in 1..=runs {
        for (i, mode) in MODES.iter().enumerate() {
            eprintln!("round {round}/{runs}: nginx under wrk, {}", mode.name());
            let attached = attach(*mode, setup)?;
            rps[i].push(wrk(seconds)?);
            if *mode != Mode::EmptyHooks {
                eprintln!("round {round}/{runs}: host storm beside it, {}", mode.name());
                neighbour[usize::from(*mode == Mode::Cinch)].push(storm(&setup.probe)?);
            }
            drop(attached);
        }
    }
    let medians: Vec<f64> = rps.into_iter().map(median).collect();
    let [untraced, floor, cinch] = [medians[0], medians[1], medians[2]];
    let [alone, beside] = [median(neighbour[0].clone()), median(neighbour[1].clone())];
    let loss = |x: f64| (1.0 - x / untraced) * 100.0;
    let mut s = String::new();
    s.push_str(&format!(
        "## nginx under load\n\n`wrk -t2 -c16 -d{seconds}s` against Debian's nginx 1.22 (2 workers, the default page) in Docker \
         on the host network, the proving-ground image. Modes interleaved, median of {runs} rounds. \
         Reproduce: `bench/run.sh --services`.\n\n\
         | mode | requests/s (median) | × untraced | throughput lost |\n|---|---|---|---|\n"
    ));
    for (mode, value) in MODES.iter().zip([untraced, floor, cinch]) {
        s.push_str(&format!("| {} | {value:.0} | {:.3}× | {:.1} % |\n", mode.name(), value / untraced, loss(value)));
    }
    let within = cinch >= 0.85 * floor;
    s.push_str(&format!(
        "\ncinch against the floor: {:.1} % of the floor's throughput (target: at least 85 %, i.e. cinch's own work \
         costs at most 15 % on top of the hooks alone): {}.\n\n\
         A process that is not traced, beside it: a host syscall storm (`cinch-probe syscall-storm=1000000`) takes \
         {alone:.0} ns per call with nothing attached and {beside:.0} ns while cinch traces the container \
         ({:+.1} %): untraced tasks pay the hook and a task-storage lookup per call.\n",
        cinch / floor * 100.0,
        if within { "met" } else { "NOT met" },
        (beside / alone - 1.0) * 100.0
    ));
    Ok(s)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("services: a benchmark; run it with bench/run.sh --services");
        return;
    }
    if let Err(err) = run() {
        eprintln!("bench services: {err}");
        std::process::exit(1);
    }
}
