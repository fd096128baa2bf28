//! containerd, what Kubernetes nodes run, driven with its own `ctr` (the
//! containerd of the test dockerd, Debian's package): a profile cinch
//! generated runs the worker under `ctr run --seccomp-profile` and denies an
//! escape, and `cinch trace --pid` traces a ctr container.

mod support;

use std::process::Command;
use support::docker::{docker, docker_ready, worker_image};
use support::{cinch, demo_fasta, free_port, node_dir, output_text, read_trace, require, require_root, run_job};
use support::{has_syscall, Tracing};

/// The namespace the test's containers and image live in.
const NAMESPACE: &str = "cinch-test";

/// The socket of the containerd that dockerd runs (in its exec root), as `ctr -a` wants it.
fn containerd_socket() -> Option<String> {
    let host = std::env::var("DOCKER_HOST").ok()?;
    let dir = std::path::Path::new(host.strip_prefix("unix://")?).parent()?;
    let socket = dir.join("exec/containerd/containerd.sock");
    socket.exists().then(|| socket.display().to_string())
}

fn ctr(socket: &str, args: &[&str]) -> std::process::Output {
    Command::new("ctr").args(["-a", socket, "-n", NAMESPACE]).args(args).output().expect("run ctr")
}

fn ctr_ok(socket: &str, args: &[&str]) -> String {
    let out = ctr(socket, args);
    assert!(out.status.success(), "ctr {args:?}: {}", output_text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Removes a ctr container (and its task) however the test ends.
struct CtrContainer<'a>(&'a str, String);

impl Drop for CtrContainer<'_> {
    fn drop(&mut self) {
        let _ = ctr(self.0, &["task", "kill", "-s", "SIGKILL", &self.1]);
        for _ in 0..50 {
            if ctr(self.0, &["task", "delete", &self.1]).status.success()
                || !ctr(self.0, &["task", "ls"]).status.success()
            {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = ctr(self.0, &["container", "delete", &self.1]);
    }
}

#[test]
fn a_generated_profile_runs_the_worker_under_ctr_and_cinch_traces_it_by_pid() {
    if !require_root() || !require("a running dockerd (DOCKER_HOST)", docker_ready()) {
        return;
    }
    let Some(socket) = containerd_socket() else {
        require("dockerd's containerd socket (exec/containerd/containerd.sock)", false);
        return;
    };
    let socket = socket.as_str();
    let dir = tempfile::tempdir().unwrap();
    let image = worker_image();
    let tarball = dir.path().join("worker.tar");
    docker(&["save", image, "-o", tarball.to_str().unwrap()]);
    ctr_ok(socket, &["images", "import", "--snapshotter", "native", tarball.to_str().unwrap()]);
    let reference = format!("docker.io/{image}");

    // The profile from a trace of the worker's container (runc's floor included).
    let profile = dir.path().join("seccomp.json");
    let trace = support::workspace_root().join("fixtures/traces/worker-container.json");
    let out = cinch().args(["generate", "seccomp", "--trace"]).arg(&trace).arg("-o").arg(&profile).output().unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let profile = profile.to_str().unwrap();

    // 1. Under the profile, the worker starts and serves, twice.
    let port = free_port();
    let name = format!("cinch-ctr-{}", std::process::id());
    let _container = CtrContainer(socket, name.clone());
    let listen = format!("127.0.0.1:{port}");
    ctr_ok(
        socket,
        &[
            "run",
            "-d",
            "--snapshotter",
            "native",
            "--net-host",
            "--seccomp",
            "--seccomp-profile",
            profile,
            &reference,
            &name,
            "/usr/local/bin/mascot-worker",
            "--listen",
            &listen,
        ],
    );
    let node = tempfile::tempdir().unwrap();
    let fasta = demo_fasta(&node_dir(node.path()));
    run_job(port, &fasta, "ctr-1");

    // 2. cinch trace --pid traces the ctr container: the job's calls are in the trace.
    let tasks = ctr_ok(socket, &["task", "ls"]);
    let pid = tasks
        .lines()
        .find(|l| l.starts_with(&name))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or_else(|| panic!("no task {name}: {tasks}"))
        .to_string();
    let output = dir.path().join("ctr.json");
    let tracing = Tracing::start(&["--pid", &pid, "-o", output.to_str().unwrap()]);
    run_job(port, &fasta, "ctr-2");
    tracing.signal(libc::SIGINT);
    let (code, stderr) = tracing.finish();
    assert_eq!(code, 0, "{stderr}");
    let traced = read_trace(&output);
    for syscall in ["accept4", "read", "write"] {
        assert!(has_syscall(&traced, syscall), "{syscall} missing from the --pid trace: {traced:#?}");
    }
    assert!(traced.files.keys().any(|p| p.starts_with("/usr/local/mascotnode/")), "{:#?}", traced.files.keys());

    // 3. An escape under the same profile gets EPERM; without one, it does not.
    let probe = |extra: &[&str]| {
        let name = format!("cinch-ctr-probe-{}-{}", extra.len(), std::process::id());
        let _container = CtrContainer(socket, name.clone());
        let mut args = vec!["run", "--rm", "--snapshotter", "native"];
        args.extend(extra);
        args.extend([reference.as_str(), &name, "/usr/local/bin/cinch-probe", "keyctl"]);
        String::from_utf8_lossy(&ctr(socket, &args).stdout).into_owned()
    };
    let confined = probe(&["--seccomp", "--seccomp-profile", profile]);
    assert!(confined.contains("keyctl errno=1 "), "{confined}");
    let unconfined = probe(&[]);
    assert!(!unconfined.contains("keyctl errno=1 "), "{unconfined}");
}
