//! Seccomp profiles proven in real Docker and runc (dockerd started by
//! .ci/run, found via DOCKER_HOST): a profile cinch generates starts the
//! worker container, serves jobs, and denies what the worker never did.

mod support;

use cinch_profiles::Trace;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use support::docker::*;
use support::*;

fn ready() -> bool {
    require_root() && require("a running dockerd (DOCKER_HOST)", docker_ready())
}

/// What `cinch profile -- docker run ...` produced for the worker serving one
/// job: made once per test binary and shared by the tests that use it.
struct Profiled {
    _dir: tempfile::TempDir,
    trace: PathBuf,
    seccomp: PathBuf,
    /// The command line cinch printed.
    run_line: String,
    name: String,
    port: u16,
}

fn profiled_worker() -> &'static Profiled {
    static PROFILED: OnceLock<Profiled> = OnceLock::new();
    PROFILED.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("hardening");
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let name = format!("cinch-profile-test-{}", std::process::id());
        let _container = Container(name.clone());
        let tracing = Tracing::start_subcommand(
            "profile",
            &[
                "-o",
                out.to_str().unwrap(),
                "--",
                "docker",
                "run",
                "--rm",
                "--name",
                &name,
                "--network",
                "host",
                // A value attached to a short option: the image still follows it.
                &format!("-p127.0.0.1:{port}:{port}"),
                worker_image(),
                "--listen",
                &listen,
                "--jobs",
                "1",
            ],
        );
        run_job(port, &demo_fasta(&node_dir(dir.path())), "profiled-job");
        let (code, stderr, stdout) = tracing.finish_all();
        assert_eq!(code, 0, "{stderr}");
        Profiled {
            trace: out.join("trace.json"),
            seccomp: out.join("seccomp.json"),
            run_line: stdout.trim().to_string(),
            name,
            port,
            _dir: dir,
        }
    })
}

#[test]
fn the_containers_own_arguments_are_not_read_as_docker_options() {
    if !ready() {
        return;
    }
    // `-p5001:5001` takes its value in the same word, so IMAGE is the image and
    // `--privileged` the container's own argument: cinch must not refuse the
    // line as unconfined, and goes on to run it (the image does not exist, so
    // docker run fails before creating a container).
    let dir = tempfile::tempdir().unwrap();
    let image = format!("cinch-no-such-image-{}", std::process::id());
    let out = cinch()
        .args(["profile", "-o"])
        .arg(dir.path().join("out"))
        .args(["--", "docker", "run", "--rm", "--network", "none", "-p5001:5001", &image, "--privileged"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("disables seccomp"), "{stderr}");
    assert!(stderr.contains("before creating a container"), "{stderr}");
    assert_eq!(out.status.code(), Some(2), "{stderr}");
}

#[test]
fn docker_run_is_traced_from_the_containers_start_not_the_client() {
    if !ready() {
        return;
    }
    let profiled = profiled_worker();
    let trace = read_trace(&profiled.trace);
    assert!(trace.from_container_start);
    match &trace.target {
        cinch_profiles::Target::Container { id, name, image, .. } => {
            assert_eq!(id.len(), 64);
            assert_eq!(name, &profiled.name);
            assert_eq!(image, worker_image());
        }
        other => panic!("wrong target {other:?}"),
    }
    // The runtime's work under the filter (dropping privileges, then exec)
    // and the worker's own (its socket, its result file) are both there.
    for syscall in ["capset", "setgroups", "execve", "bind", "listen", "accept4", "openat", "write", "exit_group"] {
        assert!(has_syscall(&trace, syscall), "{syscall} missing: {trace:#?}");
    }
    // What the runtime does before the filter is not the profile's business.
    for syscall in ["pivot_root", "mount", "sethostname", "seccomp"] {
        assert!(!has_syscall(&trace, syscall), "{syscall} was recorded before the filter: {trace:#?}");
    }
    assert_eq!(trace.lost_events, 0);
}

#[test]
fn generated_profile_starts_the_worker_three_times_and_denies_escapes() {
    if !ready() {
        return;
    }
    let profiled = profiled_worker();
    let profile = profiled.seccomp.to_str().unwrap();
    // The line cinch printed is the traced command with the profile.
    assert!(profiled.run_line.starts_with("docker run --security-opt seccomp="), "{}", profiled.run_line);
    assert!(profiled.run_line.contains(&format!("seccomp={profile} ")), "{}", profiled.run_line);
    // And the AppArmor profile, written beside it (and compiled), by name.
    let apparmor = profiled.seccomp.with_file_name(format!("{}.apparmor", profiled.name));
    let text = std::fs::read_to_string(&apparmor).unwrap_or_else(|e| panic!("{}: {e}", apparmor.display()));
    assert!(text.contains(&format!("profile {} ", profiled.name)), "{text}");
    assert!(
        profiled.run_line.contains(&format!("--security-opt apparmor={} ", profiled.name)),
        "{}",
        profiled.run_line
    );
    assert!(profiled.run_line.contains(worker_image()), "{}", profiled.run_line);
    assert!(
        profiled.run_line.contains(&format!(":{port} {} --listen", worker_image(), port = profiled.port)),
        "the container's own arguments stay after the image: {}",
        profiled.run_line
    );

    let node = tempfile::tempdir().unwrap();
    let fasta = demo_fasta(&node_dir(node.path()));
    for run in 1..=3 {
        let name = format!("cinch-seccomp-run{run}-{}", std::process::id());
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let seccomp = format!("seccomp={profile}");
        let _container = Container(name.clone());
        docker(&[
            "run",
            "-d",
            "--name",
            &name,
            "--network",
            "host",
            "--security-opt",
            &seccomp,
            worker_image(),
            "--listen",
            &listen,
        ]);
        run_job(port, &fasta, &format!("seccomp-run-{run}"));
        run_job(port, &fasta, &format!("seccomp-run-{run}-again"));
        assert_eq!(docker(&["inspect", "-f", "{{.State.Running}}", &name]), "true", "run {run}: the worker died");
        // runc's exec path (setns, then the filter) fits the profile too.
        assert_eq!(docker(&["exec", &name, "/usr/local/bin/cinch-probe", "noop"]), "noop ok");
    }

    // Escape attempts from inside a container under the profile. The
    // capabilities they need are granted so that only seccomp can say no.
    // A TCP worker gets no UDP or raw ICMP socket either (the type is checked, not only the family),
    // while a TCP socket with SOCK_NONBLOCK|SOCK_CLOEXEC passes.
    let probes = ["mount", "ptrace", "bpf", "keyctl", "packet-socket", "udp-socket", "icmp-socket", "unshare-user"];
    let denied = probe_in_worker(&format!("seccomp={profile}"), &probes);
    for probe in probes {
        assert!(denied.contains(&format!("{probe} errno=1 ")), "{probe} was not denied with EPERM:\n{denied}");
    }
    let allowed = probe_in_worker(&format!("seccomp={profile}"), &["tcp-socket", "vfork", "openat2"]);
    assert!(allowed.contains("tcp-socket ok"), "{allowed}");
    // vfork works where clone does (a shell's `sh -c` path), and a newer call the worker never
    // made answers ENOSYS, from which its callers fall back, not EPERM.
    assert!(allowed.contains("vfork ok"), "{allowed}");
    assert!(allowed.contains("openat2 errno=38 "), "{allowed}");
    // The control: without seccomp the same probes get past it (and fail, if
    // at all, for other reasons), so the test above can fail.
    let unconfined = probe_in_worker("seccomp=unconfined", &probes);
    for probe in ["bpf", "keyctl", "ptrace", "mount", "udp-socket"] {
        assert!(!unconfined.contains(&format!("{probe} errno=1 ")), "{probe} denied even unconfined:\n{unconfined}");
    }
}

/// The probe in a fresh worker container under `seccomp`.
fn probe_in_worker(seccomp: &str, actions: &[&str]) -> String {
    probe_in_container(worker_image(), "/usr/local/bin/cinch-probe", seccomp, &[], actions)
}

#[test]
fn the_same_profile_in_oci_form_runs_the_worker_under_runc() {
    if !ready() || !require("runc", Command::new("runc").arg("--version").output().is_ok()) {
        return;
    }
    let profiled = profiled_worker();
    let dir = tempfile::tempdir().unwrap();
    let oci = dir.path().join("seccomp.oci.json");
    let out = cinch()
        .args(["generate", "seccomp", "--format", "oci", "-o"])
        .arg(&oci)
        .arg("--trace")
        .arg(&profiled.trace)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));

    let bundle = dir.path().join("bundle");
    populate_worker_rootfs(&bundle.join("rootfs"));
    let out = Command::new("runc").args(["spec", "--bundle"]).arg(&bundle).output().unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let port = free_port();
    let config_path = bundle.join("config.json");
    let mut config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&config_path).unwrap()).unwrap();
    config["process"]["terminal"] = false.into();
    config["process"]["args"] =
        serde_json::json!(["/usr/local/bin/mascot-worker", "--listen", format!("127.0.0.1:{port}"), "--jobs", "1"]);
    config["root"]["readonly"] = false.into();
    // Host network, so that the job reaches it on loopback.
    let namespaces = config["linux"]["namespaces"].as_array_mut().unwrap();
    namespaces.retain(|ns| ns["type"] != "network");
    config["linux"]["seccomp"] = serde_json::from_str(&std::fs::read_to_string(&oci).unwrap()).unwrap();
    std::fs::write(&config_path, serde_json::to_string_pretty(&config).unwrap()).unwrap();

    let state = dir.path().join("runc-state");
    let id = format!("cinch-oci-{}", std::process::id());
    let runc = Command::new("runc")
        .arg("--root")
        .arg(&state)
        .args(["run", "--bundle"])
        .arg(&bundle)
        .arg(&id)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let node = tempfile::tempdir().unwrap();
    run_job(port, &demo_fasta(&node_dir(node.path())), "oci-job");
    let out = runc.wait_with_output().unwrap();
    assert!(out.status.success(), "the worker under runc failed: {}", output_text(&out));
}

#[test]
fn a_host_trace_with_the_runc_floor_starts_the_container() {
    if !ready() {
        return;
    }
    // The worker binary traced on the host as a command: the trace has the
    // worker's whole life but nothing of runc's, so the floor must supply it.
    let dir = tempfile::tempdir().unwrap();
    let node = node_dir(dir.path());
    let fasta = demo_fasta(&node);
    let port = free_port();
    let trace_path = dir.path().join("host.json");
    let worker = fixture("mascot-worker");
    let tracing = Tracing::start(&[
        "-o",
        trace_path.to_str().unwrap(),
        "--",
        worker.to_str().unwrap(),
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--node-dir",
        node.to_str().unwrap(),
        "--jobs",
        "1",
    ]);
    run_job(port, &fasta, "host-job");
    let (code, stderr) = tracing.finish();
    assert_eq!(code, 0, "{stderr}");

    let without = dir.path().join("without-floor.json");
    let with = dir.path().join("with-floor.json");
    for (path, floor) in [(&without, "none"), (&with, "runc")] {
        let out = cinch()
            .args(["generate", "seccomp", "--runtime-floor", floor, "--trace"])
            .arg(&trace_path)
            .arg("-o")
            .arg(path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", output_text(&out));
    }

    // Without the floor the container does not even start: the complaint
    // users have about other generators, reproduced.
    let out = Command::new("docker")
        .args(["run", "--rm", "--network", "none", "--security-opt"])
        .arg(format!("seccomp={}", without.display()))
        .args([worker_image(), "--jobs", "not-a-number"])
        .output()
        .unwrap();
    // Had it started, the worker would have refused its argument (exit 2).
    assert!(
        matches!(out.status.code(), Some(125..=127)) && output_text(&out).contains("OCI runtime"),
        "started without runc's floor: {:?} {}",
        out.status.code(),
        output_text(&out)
    );

    let name = format!("cinch-floor-run-{}", std::process::id());
    let port = free_port();
    let _container = Container(name.clone());
    docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        "host",
        "--security-opt",
        &format!("seccomp={}", with.display()),
        worker_image(),
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    run_job(port, &fasta, "floor-profile-job");
}

#[test]
fn the_committed_floors_cover_what_runc_and_crun_do_today() {
    if !ready() || !require("gcc", Command::new("gcc").arg("--version").output().is_ok()) {
        return;
    }
    let crun = docker(&["info", "--format", "{{json .Runtimes}}"]).contains("\"crun\"");
    if !require("crun registered with dockerd (scripts/dockerd.sh start)", crun) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let image = exit_only_image(dir.path());
    for runtime in ["runc", "crun"] {
        let floor = floor_names(runtime);
        for run in 0..2 {
            let trace_path = dir.path().join(format!("floor-{runtime}-{run}.json"));
            let out = cinch()
                .args(["trace", "-o"])
                .arg(&trace_path)
                .args(["--", "docker", "run", "--rm", "--runtime", runtime, "--network", "none", &image])
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", output_text(&out));
            let trace: Trace = read_trace(&trace_path);
            let missing: Vec<&String> =
                trace.syscalls.keys().filter(|s| *s != "exit" && !floor.contains(s.as_str())).collect();
            assert!(
                missing.is_empty(),
                "{runtime} now makes {missing:?} under the filter: re-run scripts/measure-runtime-floor {runtime}"
            );
            assert!(has_syscall(&trace, "exit") && has_syscall(&trace, "execve"), "{trace:#?}");
        }
    }
}

fn exit_only_image(dir: &Path) -> String {
    let root = dir.join("exit-root");
    std::fs::create_dir_all(&root).unwrap();
    let status = Command::new("gcc")
        .args(["-static", "-nostdlib", "-O2", "-o"])
        .arg(root.join("exit"))
        .arg(workspace_root().join("fixtures/exit/exit.c"))
        .status()
        .unwrap();
    assert!(status.success());
    let tarball = dir.join("exit.tar");
    assert!(Command::new("tar").arg("-C").arg(&root).arg("-cf").arg(&tarball).arg(".").status().unwrap().success());
    let image = "cinch-test/exit:floor";
    docker(&["import", "--change", r#"ENTRYPOINT ["/exit"]"#, tarball.to_str().unwrap(), image]);
    image.to_string()
}

fn floor_names(runtime: &str) -> BTreeSet<String> {
    let path = workspace_root().join(format!("profiles/src/seccomp/floors/{runtime}.txt"));
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().map(|l| l.split('#').next().unwrap().trim().to_string()).filter(|l| !l.is_empty()).collect()
}

/// The whole life: stopped by Ctrl-C, `cinch profile` stops the container as
/// `docker stop` does and traces its shutdown, so under the profile a later
/// `docker stop` is a clean SIGTERM exit, not a SIGKILL after the timeout.
#[test]
fn profile_traces_a_graceful_stop_and_the_profile_keeps_it() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hardening");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let name = format!("cinch-lifecycle-{}", std::process::id());
    let _container = Container(name.clone());
    // --init: tini is PID 1 and passes docker stop's SIGTERM on to the worker.
    let tracing = Tracing::start_subcommand(
        "profile",
        &[
            "-o",
            out.to_str().unwrap(),
            "--",
            "docker",
            "run",
            "--rm",
            "--init",
            "--name",
            &name,
            "--network",
            "host",
            worker_image(),
            "--listen",
            &listen,
        ],
    );
    run_job(port, &demo_fasta(&node_dir(dir.path())), "lifecycle-job");
    let mut tracing = tracing;
    tracing.signal(libc::SIGINT);
    let deadline = std::time::Instant::now() + PATIENCE;
    while !tracing.has_exited() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // A container left running keeps the client, and so cinch's output pipes, open:
    // remove it before reading them, and let the assertions below say what went wrong.
    let left_running = docker(&["ps", "-q", "--filter", &format!("name={name}")]);
    if !left_running.is_empty() {
        let _ = Command::new("docker").args(["rm", "-f", &name]).output();
    }
    let (code, stderr, _) = tracing.finish_all();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("stopping container"), "{stderr}");
    assert!(!stderr.contains("is left running"), "{stderr}");
    let gone = Command::new("docker").args(["inspect", &name]).output().unwrap();
    assert!(!gone.status.success(), "the container was stopped (and removed by --rm)");
    let trace = read_trace(&out.join("trace.json"));
    for syscall in ["kill", "wait4", "exit_group"] {
        assert!(has_syscall(&trace, syscall), "the shutdown's {syscall} is missing: {trace:#?}");
    }

    // Under the profile, the same stop is the workload's own clean exit.
    let profile = out.join("seccomp.json");
    let hardened = format!("{name}-hardened");
    let _hardened = Container(hardened.clone());
    let port = free_port();
    docker(&[
        "run",
        "-d",
        "--init",
        "--name",
        &hardened,
        "--network",
        "host",
        "--security-opt",
        &format!("seccomp={}", profile.display()),
        worker_image(),
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    run_job(port, &demo_fasta(&node_dir(dir.path())), "lifecycle-hardened");
    docker(&["stop", &hardened]);
    let exit = docker(&["inspect", "-f", "{{.State.ExitCode}}", &hardened]);
    assert_ne!(exit, "137", "docker stop had to SIGKILL the container: its shutdown was denied");
}

/// `--exercise`: the rehearsal runs while tracing once the container is up,
/// and when it is done the container is stopped gracefully and the trace
/// ends: one command profiles start, work and stop.
#[test]
fn profile_runs_the_exercises_then_stops_the_container() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hardening");
    let port = free_port();
    let name = format!("cinch-exercise-{}", std::process::id());
    let _container = Container(name.clone());
    let fasta = demo_fasta(&node_dir(dir.path()));
    let client = fixture("mascot-client");
    let job = |id: &str| {
        format!(
            "{} search --addr 127.0.0.1:{port} --db demo --id {id} --wait 30 --fasta {}",
            client.display(),
            fasta.display()
        )
    };
    let output = cinch()
        .args(["profile", "-o"])
        .arg(&out)
        .args(["--exercise", &job("exercise-1"), "--exercise", &job("exercise-2")])
        .args(["--", "docker", "run", "--rm", "--init", "--name", &name, "--network", "host", worker_image()])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    let text = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "{text}");
    assert!(text.contains("exercises done") && text.contains("stopping container"), "{text}");
    assert!(!text.contains("warning: exercise"), "an exercise failed: {text}");
    let trace = read_trace(&out.join("trace.json"));
    for syscall in ["accept4", "exit_group"] {
        assert!(has_syscall(&trace, syscall), "{syscall} missing: {trace:#?}");
    }
    assert!(!Command::new("docker").args(["inspect", &name]).output().unwrap().status.success());
}
