//! `cinch trace --container`: a real dockerd (started by .ci/run, found via
//! DOCKER_HOST) runs the worker fixture in a FROM-scratch image; cinch follows
//! the container's mount namespace and nothing else.

mod support;

use std::path::Path;
use std::process::Command;
use support::docker::*;
use support::*;

#[test]
fn traces_the_container_and_not_the_host() {
    if !require_root() || !require("a running dockerd (DOCKER_HOST)", docker_ready()) {
        return;
    }
    let name = format!("cinch-trace-test-{}", std::process::id());
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    docker(&["run", "-d", "--name", &name, "--network", "host", worker_image(), "--listen", &listen]);
    let container = Container(name.clone());

    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("container.json");
    let tracing = Tracing::start(&["--container", &name, "-o", output.to_str().unwrap(), "--duration", "5m"]);

    // The same probe binary on the host makes a syscall that nothing in the
    // container makes (not keyctl: runc's exec path joins a session keyring
    // inside the container's namespace). The container gets a job and,
    // through docker exec (a process that joins the namespace later), a
    // syscall of its own.
    let host_probe = Command::new(fixture("cinch-probe")).arg("ptrace").output().unwrap();
    assert!(host_probe.status.success(), "{}", output_text(&host_probe));
    let node = node_dir(dir.path());
    run_job(port, &demo_fasta(&node), "container-job");
    docker(&["exec", &name, "/usr/local/bin/cinch-probe", "personality"]);
    docker(&["kill", &name]);

    let (code, stderr) = tracing.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("(target exited)"), "{stderr}");
    drop(container);

    let trace = read_trace(&output);
    match &trace.target {
        cinch_profiles::Target::Container { name: traced, image, id, .. } => {
            assert_eq!(traced, &name);
            assert_eq!(image, worker_image());
            assert_eq!(id.len(), 64);
        }
        other => panic!("wrong target {other:?}"),
    }
    for syscall in ["accept4", "openat", "read", "write", "personality"] {
        assert!(has_syscall(&trace, syscall), "{syscall} missing: {trace:#?}");
    }
    assert!(!has_syscall(&trace, "ptrace"), "a host process leaked into the container's trace");
    let mut thread_flags = arg_values(&trace, "clone3", "flags");
    thread_flags.extend(arg_values(&trace, "clone", "flags"));
    let thread = (libc::CLONE_VM | libc::CLONE_THREAD) as u64;
    assert!(thread_flags.iter().any(|f| f & thread == thread), "{thread_flags:x?}");
    assert_eq!(trace.lost_events, 0);
    assert!(Path::new(&output).exists());
}

#[test]
fn stopped_container_is_refused() {
    if !require_root() || !require("a running dockerd (DOCKER_HOST)", docker_ready()) {
        return;
    }
    let name = format!("cinch-stopped-test-{}", std::process::id());
    docker(&["create", "--name", &name, "--network", "none", worker_image()]);
    let _container = Container(name.clone());
    let out = cinch().args(["trace", "--container", &name, "-o", "/tmp/unused.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(output_text(&out).contains(&format!("container {name} is not running")), "{}", output_text(&out));
}

#[test]
fn unknown_container_is_refused() {
    if !require("a running dockerd (DOCKER_HOST)", docker_ready()) {
        return;
    }
    let out =
        cinch().args(["trace", "--container", "no-such-container-cinch", "-o", "/tmp/unused.json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(output_text(&out).contains("no such container: no-such-container-cinch"), "{}", output_text(&out));
}
