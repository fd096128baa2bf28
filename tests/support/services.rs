//! The proving ground: real third-party services from Debian's packages, in
//! the image `scripts/proving-ground` builds (debootstrap + docker import, no
//! registry), driven from the host by their usual load tools. Each service
//! is described once here; the seccomp, AppArmor and recipe tests take them
//! from this table, so a new service is one entry.

use super::docker::{docker, Container};
use super::{cinch, output_text, workspace_root, PATIENCE};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A service of the proving-ground image, on `--network host`, bound to 127.0.0.1.
pub struct Service {
    pub name: &'static str,
    /// `docker run` options before the image (the config volume is added by [`Service::run_args`]).
    pub options: &'static [&'static str],
    /// The command in the image.
    pub command: &'static [&'static str],
    /// Host shell command that succeeds once the service answers.
    pub ready: &'static str,
    /// Host shell command: the load driver.
    pub driver: &'static str,
    /// Whether the driver's output shows a clean run (no errors, work done).
    pub driver_ok: fn(&str) -> bool,
    /// A routine operation, a host shell command (`{name}`: the container's
    /// name, for `docker exec`).
    pub operation: &'static str,
    /// Host shell command that succeeds if the operation did its job (`{name}` as above).
    pub operation_ok: &'static str,
    /// Log files in the container besides its stdout and stderr.
    pub log_files: &'static [&'static str],
    /// Of the capabilities cinch infers from evidence (see [`INFERRED`]), those
    /// the service's AppArmor profile must have: nginx's master changes to
    /// www-data (setuid, setgid) and, as root, opens its www-data:adm 0640
    /// logs (dac_override); PostgreSQL's entrypoint, as root, makes its data
    /// directory in postgres's /var/lib/postgresql (dac_override), chmods it
    /// once it is postgres's (fowner; fsetid, not being in its group) and
    /// drops to postgres (setuid, setgid);
    /// Redis runs as its own user on its own files.
    pub capabilities: &'static [&'static str],
}

fn wrk_ok(out: &str) -> bool {
    out.contains("Requests/sec") && !out.contains("Non-2xx") && !out.contains("Socket errors")
}

fn pgbench_ok(out: &str) -> bool {
    out.contains("number of failed transactions: 0") && out.contains("tps = ")
}

fn redis_benchmark_ok(out: &str) -> bool {
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("requests per second")).collect();
    lines.len() == 4 && !out.contains("ERR") && !out.contains("Error")
}

/// Capabilities inferred from what the kernel saw the workload do.
pub const INFERRED: &[&str] = &["setuid", "setgid", "dac_override", "dac_read_search", "fowner", "fsetid"];

pub const SERVICES: &[Service] = &[
    Service {
        name: "nginx",
        options: &[],
        command: &["nginx", "-c", "/cinch/nginx.conf", "-g", "daemon off;"],
        ready: "exec 3<>/dev/tcp/127.0.0.1/18080",
        driver: "wrk -t2 -c16 -d2s http://127.0.0.1:18080/",
        driver_ok: wrk_ok,
        operation: "docker exec {name} nginx -c /cinch/nginx.conf -s reload",
        // The reload returns at once; the old workers then finish their connections.
        operation_ok: "sleep 0.5; for i in $(seq 100); do pgrep -f 'nginx: worker process is shutting down' >/dev/null || break; sleep 0.1; done; \
                       exec 3<>/dev/tcp/127.0.0.1/18080",
        log_files: &["/var/log/nginx/error.log"],
        capabilities: &["setuid", "setgid", "dac_override"],
    },
    Service {
        name: "postgres",
        options: &[],
        command: &["/cinch/postgres-entrypoint"],
        ready: "pg_isready -q -h 127.0.0.1 -p 15432 -U postgres -d postgres",
        driver: "pgbench -q -i -h 127.0.0.1 -p 15432 -U postgres postgres 2>/dev/null && \
                 pgbench -c 4 -j 2 -T 2 -h 127.0.0.1 -p 15432 -U postgres postgres",
        driver_ok: pgbench_ok,
        operation: "psql -q -h 127.0.0.1 -p 15432 -U postgres -c CHECKPOINT postgres",
        operation_ok: "pg_isready -q -h 127.0.0.1 -p 15432 -U postgres -d postgres",
        log_files: &[],
        capabilities: &["setuid", "setgid", "dac_override", "fowner", "fsetid"],
    },
    Service {
        name: "redis",
        options: &[],
        command: &["redis-server", "--port", "16379", "--bind", "127.0.0.1", "--save", "", "--dir", "/tmp"],
        ready: "redis-cli -p 16379 ping | grep -q PONG",
        driver: "redis-benchmark -p 16379 -n 20000 -q -t set,get,incr,lpush",
        driver_ok: redis_benchmark_ok,
        operation: "redis-cli -p 16379 bgsave | grep -q 'Background saving started'",
        // A child that fails leaves the status at err, or the parent waiting forever.
        operation_ok: "for i in $(seq 50); do redis-cli -p 16379 info persistence | grep -q 'rdb_bgsave_in_progress:0' && break; sleep 0.1; done; \
                       redis-cli -p 16379 info persistence | grep -q 'rdb_bgsave_in_progress:0' && \
                       redis-cli -p 16379 info persistence | grep -q 'rdb_last_bgsave_status:ok'",
        log_files: &[],
        capabilities: &[],
    },
];

pub fn service(name: &str) -> &'static Service {
    SERVICES.iter().find(|s| s.name == name).expect("a service of the table")
}

/// The proving-ground image, built (or imported from the cache) once per test binary.
pub fn proving_image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        for what in ["drivers", "image"] {
            let out = Command::new(workspace_root().join("scripts/proving-ground")).arg(what).output().unwrap();
            assert!(out.status.success(), "scripts/proving-ground {what}: {}", output_text(&out));
            if what == "image" {
                return String::from_utf8_lossy(&out.stdout).trim().to_string();
            }
        }
        unreachable!()
    })
}

/// Given among `extra` to [`Service::run_args`] (and so to [`profile`]):
/// run [`configured_image`] rather than mount the config directory, as a
/// recipe's image must hold its files.
pub const CONFIG_IN_IMAGE: &str = "(config in the image)";

/// The proving-ground image with the config directory copied in at /cinch
/// (docker build FROM it, once per test binary).
pub fn configured_image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let context = tempfile::tempdir().unwrap();
        for file in ["nginx.conf", "postgres-entrypoint"] {
            std::fs::copy(config_dir().join(file), context.path().join(file)).unwrap();
        }
        let containerfile = format!("FROM {}\nCOPY nginx.conf postgres-entrypoint /cinch/\n", proving_image());
        std::fs::write(context.path().join("Containerfile"), containerfile).unwrap();
        let tag = "cinch-proving:configured".to_string();
        let context_dir = context.path().to_str().unwrap();
        docker(&["build", "-q", "-f", &format!("{context_dir}/Containerfile"), "-t", &tag, context_dir]);
        tag
    })
}

/// The directory mounted at /cinch: the services' config files
/// (fixtures/services/: nginx.conf; postgres-entrypoint, an entrypoint as images
/// ship them, which sets up the data directory, then execs the server as PID 1)
/// and the probe.
pub fn config_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        // Under target/, rewritten by each test binary with the same content.
        let dir = workspace_root().join("target/cinch-services");
        std::fs::create_dir_all(&dir).unwrap();
        for file in ["nginx.conf", "postgres-entrypoint"] {
            std::fs::copy(workspace_root().join("fixtures/services").join(file), dir.join(file)).unwrap();
        }
        std::fs::set_permissions(dir.join("postgres-entrypoint"), PermissionsExt::from_mode(0o755)).unwrap();
        std::fs::copy(super::fixture("cinch-probe"), dir.join("cinch-probe")).unwrap();
        // Readable by the services' own users (postgres's entrypoint re-runs as postgres).
        std::fs::set_permissions(&dir, PermissionsExt::from_mode(0o755)).unwrap();
        dir
    })
}

impl Service {
    /// `docker run` arguments after `run`: `extra` (e.g. security options),
    /// the name, host network, the config volume, the service's options, the
    /// image and command.
    pub fn run_args(&self, name: &str, extra: &[&str]) -> Vec<String> {
        let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        args.extend(["--name".into(), name.into(), "--network".into(), "host".into()]);
        if !extra.contains(&CONFIG_IN_IMAGE) {
            args.extend(["-v".into(), format!("{}:/cinch:ro", config_dir().display())]);
        }
        args.extend(self.options.iter().map(|s| s.to_string()));
        args.push(if extra.contains(&CONFIG_IN_IMAGE) { configured_image() } else { proving_image() }.to_string());
        args.extend(self.command.iter().map(|s| s.to_string()));
        args.retain(|a| a != CONFIG_IN_IMAGE);
        args
    }

    /// The `--exercise` commands of a profiling run: wait until ready, drive
    /// it, then (if `with_operation`) the routine operation in the container.
    pub fn exercises(&self, container: &str, with_operation: bool) -> Vec<String> {
        let mut out = vec![format!("{}; {}", wait_loop(self.ready), self.driver)];
        if with_operation {
            // Rehearsed to its end: the trace must hold all the operation did.
            out.push(format!("{} && {}", self.operation, self.operation_ok).replace("{name}", container));
        }
        out
    }

    /// Waits until the service answers (panics after PATIENCE).
    pub fn wait_ready(&self) {
        let started = Instant::now();
        while !sh(self.ready).status.success() {
            assert!(started.elapsed() < PATIENCE, "{} never became ready", self.name);
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Runs the driver; its output, and whether it was clean.
    pub fn drive(&self) -> (String, bool) {
        let out = sh(self.driver);
        let text = output_text(&out);
        let ok = out.status.success() && (self.driver_ok)(&text);
        (text, ok)
    }

    /// Runs the routine operation on `container`; its output, and whether it
    /// succeeded and did its job.
    pub fn operate(&self, container: &str) -> (String, bool) {
        let out = sh(&self.operation.replace("{name}", container));
        let ok = out.status.success() && sh(&self.operation_ok.replace("{name}", container)).status.success();
        (output_text(&out), ok)
    }

    /// What the service logged: `docker logs` and its log files (read from the host).
    pub fn logs(&self, container: &str) -> String {
        let out = Command::new("docker").args(["logs", container]).output().unwrap();
        let mut text = output_text(&out);
        let pid = docker(&["inspect", "-f", "{{.State.Pid}}", container]);
        for file in self.log_files {
            text.push_str(&std::fs::read_to_string(format!("/proc/{pid}/root{file}")).unwrap_or_default());
        }
        text
    }
}

/// `until READY; do sleep; done`, bounded.
fn wait_loop(ready: &str) -> String {
    format!("for i in $(seq 300); do ({ready}) 2>/dev/null && break; sleep 0.2; done")
}

pub fn sh(command: &str) -> std::process::Output {
    Command::new("bash").args(["-c", command]).output().unwrap()
}

/// `docker stop`, and how long it took; then the container's exit code.
pub fn stop(container: &str) -> (Duration, i64) {
    let started = Instant::now();
    docker(&["stop", container]);
    let took = started.elapsed();
    let code = docker(&["inspect", "-f", "{{.State.ExitCode}}", container]).parse().unwrap_or(-1);
    (took, code)
}

/// `cinch profile` of `service` driven by its driver (and its routine
/// operation), `extra` given to `docker run`: DIR/seccomp.json, DIR/trace.json.
pub fn profile(service: &Service, dir: &Path, with_operation: bool, extra: &[&str]) -> PathBuf {
    let name = format!("cinch-prof-{}-{}", service.name, std::process::id());
    let mut cmd = cinch();
    cmd.arg("profile").arg("-o").arg(dir);
    for exercise in service.exercises(&name, with_operation) {
        cmd.arg("--exercise").arg(exercise);
    }
    cmd.args(["--", "docker", "run", "--rm"]).args(service.run_args(&name, extra));
    let out = cmd.output().unwrap();
    let text = output_text(&out);
    assert!(out.status.success(), "cinch profile {}: {text}", service.name);
    // The shutdown was traced: cinch stopped the container and saw it exit.
    assert!(text.contains("(exercises done)"), "{text}");
    assert!(!text.contains("shutdown is not in the trace"), "{text}");
    dir.join("seccomp.json")
}

/// Starts `service` detached under `seccomp`; removed when the guard drops.
pub fn run_under(service: &Service, name: &str, seccomp: &Path, extra: &[&str]) -> Container {
    let container = Container(name.to_string());
    let opt = format!("seccomp={}", seccomp.display());
    let mut args = vec!["run".to_string(), "-d".to_string()];
    let mut options = vec!["--security-opt", opt.as_str()];
    options.extend(extra);
    args.extend(service.run_args(name, &options));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    docker(&args);
    container
}
