//! Helpers shared by the integration tests: running cinch, the static
//! fixtures, and the real components (root for eBPF, dockerd for containers).
//!
//! A test that needs a component it cannot have fails under CI=true (CI has
//! them all) and otherwise skips with the reason printed.
#![allow(dead_code)]

pub mod docker;
pub mod guest;
pub mod services;

use cinch_profiles::Trace;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Safety net for waits on events that should come within seconds; never a
/// timing assertion.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("cli/ has a parent").to_path_buf()
}

pub fn cinch() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cinch"))
}

pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips (returns false) or, in CI, fails when a component is missing. The
/// skip is written straight to stderr, past the test harness's capture, so
/// that it shows in a passing run: a skipped test must not read as a pass.
pub fn require(what: &str, available: bool) -> bool {
    if available {
        return true;
    }
    assert!(!in_ci(), "CI must provide {what}");
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("SKIPPED {test}: needs {what}\n").as_bytes());
    false
}

pub fn require_root() -> bool {
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    require("root (eBPF programs are loaded for real)", root)
}

/// Directory of the statically linked fixtures, built once per test binary
/// (or, with `CINCH_FIXTURES=DIR`, already built there: the kernel matrix
/// runs test binaries in guests that cannot build).
pub fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("CINCH_FIXTURES") {
            return PathBuf::from(dir);
        }
        let out = Command::new(workspace_root().join("fixtures/build-static.sh"))
            .output()
            .expect("run fixtures/build-static.sh");
        assert!(out.status.success(), "building fixtures failed:\n{}", String::from_utf8_lossy(&out.stderr));
        PathBuf::from(String::from_utf8(out.stdout).expect("utf-8 path").trim())
    })
}

pub fn fixture(name: &str) -> PathBuf {
    fixtures().join(name)
}

/// A node directory holding the demo database, as a Mascot worker has.
pub fn node_dir(root: &Path) -> PathBuf {
    let node = root.join("mascotnode");
    let fasta = node.join("sequence/demo/current/demo.fasta");
    let status = Command::new(fixture("mascot-client"))
        .args(["gen-db", "-o"])
        .arg(&fasta)
        .status()
        .expect("run mascot-client gen-db");
    assert!(status.success());
    node
}

pub fn demo_fasta(node: &Path) -> PathBuf {
    node.join("sequence/demo/current/demo.fasta")
}

/// A TCP port free on loopback right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// Runs the client's checked search against a worker; panics unless every
/// expected peptide came back.
pub fn run_job(port: u16, fasta: &Path, id: &str) {
    let out = Command::new(fixture("mascot-client"))
        .args(["search", "--addr", &format!("127.0.0.1:{port}"), "--db", "demo", "--id", id, "--wait", "30"])
        .arg("--fasta")
        .arg(fasta)
        .output()
        .expect("run mascot-client");
    assert!(
        out.status.success(),
        "job {id} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn read_trace(path: &Path) -> Trace {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Trace::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn has_syscall(trace: &Trace, name: &str) -> bool {
    trace.syscalls.contains_key(name)
}

pub fn arg_values(trace: &Trace, syscall: &str, arg: &str) -> Vec<u64> {
    trace.syscalls.get(syscall).map(|s| s.args.iter().filter_map(|a| a.get(arg).copied()).collect()).unwrap_or_default()
}

/// `cinch trace` (or `profile`) running in the background, its stderr
/// collected line by line and its stdout kept.
pub struct Tracing {
    pub child: Child,
    /// The `cinch: tracing ...` line printed once attached.
    pub attached: String,
    lines: Receiver<String>,
    pub stderr: Arc<Mutex<String>>,
    stdout: Option<std::thread::JoinHandle<String>>,
}

impl Tracing {
    /// Starts `cinch trace ARGS` and waits until it says it is attached.
    pub fn start(args: &[&str]) -> Tracing {
        Tracing::start_subcommand("trace", args)
    }

    /// Starts `cinch SUBCOMMAND ARGS` and waits until it says it is attached.
    pub fn start_subcommand(subcommand: &str, args: &[&str]) -> Tracing {
        let mut child = cinch()
            .arg(subcommand)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start cinch");
        let mut stdout = child.stdout.take().expect("piped stdout");
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = std::io::Read::read_to_string(&mut stdout, &mut text);
            text
        });
        let stderr = child.stderr.take().expect("piped stderr");
        let (sender, lines) = channel();
        let all = Arc::new(Mutex::new(String::new()));
        let collected = Arc::clone(&all);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                collected.lock().expect("lock").push_str(&format!("{line}\n"));
                let _ = sender.send(line);
            }
        });
        let mut tracing = Tracing { child, attached: String::new(), lines, stderr: all, stdout: Some(stdout) };
        tracing.attached = tracing.wait_for_line("cinch: tracing");
        tracing
    }

    /// The pid of the command cinch started (from its `(pid N)` attach line).
    pub fn command_pid(&self) -> u32 {
        let tail = self.attached.split("(pid ").nth(1).expect("a command target");
        tail.split(')').next().and_then(|n| n.parse().ok()).expect("a pid")
    }

    /// Waits for a line holding `prefix` and returns it from there on.
    /// The traced command shares cinch's stderr, so its output can land
    /// mid-line (`mascot-worker: listening on cinch: tracing ...`).
    pub fn wait_for_line(&mut self, prefix: &str) -> String {
        loop {
            match self.lines.recv_timeout(PATIENCE) {
                Ok(line) => {
                    if let Some(at) = line.find(prefix) {
                        return line[at..].to_string();
                    }
                }
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("cinch never printed {prefix:?}; stderr:\n{}", self.stderr_text());
                }
            }
        }
    }

    pub fn signal(&self, signal: i32) {
        // SAFETY: plain syscall on our own child.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }

    /// Whether cinch has exited (its exit status is kept for `finish`).
    pub fn has_exited(&mut self) -> bool {
        self.child.try_wait().is_ok_and(|s| s.is_some())
    }

    /// Waits for cinch to exit; returns its exit code and whole stderr.
    pub fn finish(self) -> (i32, String) {
        let (code, stderr, _) = self.finish_all();
        (code, stderr)
    }

    /// Waits for cinch to exit; returns its exit code, stderr and stdout.
    pub fn finish_all(mut self) -> (i32, String, String) {
        let status = self.child.wait().expect("wait for cinch");
        // The reader thread drops its sender at end of stream: drain to there.
        while self.lines.recv_timeout(PATIENCE).is_ok() {}
        let stdout = self.stdout.take().map(|t| t.join().expect("stdout reader")).unwrap_or_default();
        (status.code().unwrap_or(-1), self.stderr_text(), stdout)
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().expect("lock").clone()
    }
}

pub fn output_text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Waits until process `pid` is blocked in syscall `name` (read from
/// /proc/PID/syscall): a state to wait for, not a time.
pub fn wait_until_blocked_in(pid: u32, name: &str) {
    let arch = cinch_profiles::Arch::native().expect("a supported architecture");
    let nr = arch.syscall_number(name).expect("a syscall of this architecture").to_string();
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let now = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
        if now.split_whitespace().next() == Some(nr.as_str()) {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "process {pid} never blocked in {name}: {now}");
        std::thread::yield_now();
    }
}
