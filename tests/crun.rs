//! crun as well as runc: Docker's `--runtime crun` (dockerd started by
//! scripts/dockerd.sh registers Debian's crun). A trace of a crun container
//! says so and gets crun's measured floor; the worker and Debian's nginx start
//! and serve under profiles traced with crun; a host trace with crun's floor
//! starts under crun, and without it does not.

mod support;

use std::process::Command;
use support::docker::*;
use support::services::{profile, run_under, service, stop};
use support::*;

fn ready() -> bool {
    require_root()
        && require("a running dockerd (DOCKER_HOST)", docker_ready())
        && require(
            "crun registered with dockerd (apt-get install crun, scripts/dockerd.sh start)",
            docker(&["info", "--format", "{{json .Runtimes}}"]).contains("\"crun\""),
        )
}

#[test]
fn a_worker_traced_under_crun_gets_cruns_floor_and_runs_under_it() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hardening");
    let port = free_port();
    let name = format!("cinch-crun-profile-{}", std::process::id());
    let _container = Container(name.clone());
    let listen = format!("127.0.0.1:{port}");
    let tracing = Tracing::start_subcommand(
        "profile",
        &[
            "-o",
            out.to_str().unwrap(),
            "--",
            "docker",
            "run",
            "--rm",
            "--runtime",
            "crun",
            "--name",
            &name,
            "--network",
            "host",
            worker_image(),
            "--listen",
            &listen,
            "--jobs",
            "1",
        ],
    );
    let fasta = demo_fasta(&node_dir(dir.path()));
    run_job(port, &fasta, "crun-profiled-job");
    let (code, stderr, _) = tracing.finish_all();
    assert_eq!(code, 0, "{stderr}");
    // The trace says which runtime ran it, and the floor added is crun's.
    let trace = read_trace(&out.join("trace.json"));
    match &trace.target {
        cinch_profiles::Target::Container { runtime, .. } => assert_eq!(runtime.as_deref(), Some("crun")),
        other => panic!("{other:?}"),
    }
    assert!(!stderr.contains("that runc makes"), "{stderr}");

    let seccomp = out.join("seccomp.json");
    for run in 1..=2 {
        let name = format!("cinch-crun-run{run}-{}", std::process::id());
        let port = free_port();
        let _container = Container(name.clone());
        docker(&[
            "run",
            "-d",
            "--runtime",
            "crun",
            "--name",
            &name,
            "--network",
            "host",
            "--security-opt",
            &format!("seccomp={}", seccomp.display()),
            worker_image(),
            "--listen",
            &format!("127.0.0.1:{port}"),
        ]);
        run_job(port, &fasta, &format!("crun-run-{run}"));
        assert_eq!(docker(&["inspect", "-f", "{{.State.Running}}", &name]), "true", "run {run}: the worker died");
    }
    // An escape from a crun container under the profile, with the capability granted.
    let out = Command::new("docker")
        .args(["run", "--rm", "--runtime", "crun", "--network", "none", "--cap-add", "SYS_ADMIN"])
        .arg("--security-opt")
        .arg(format!("seccomp={}", seccomp.display()))
        .args(["--entrypoint", "/usr/local/bin/cinch-probe", worker_image(), "mount", "unshare-user"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("mount errno=1 ") && text.contains("unshare-user errno=1 "), "{}", output_text(&out));
}

#[test]
fn a_host_trace_with_crun_s_floor_starts_under_crun_and_without_it_does_not() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let host = workspace_root().join("fixtures/traces/worker-host.json");
    let without = dir.path().join("none.json");
    let with = dir.path().join("crun.json");
    for (path, floor) in [(&without, "none"), (&with, "crun")] {
        let out = cinch()
            .args(["generate", "seccomp", "--runtime-floor", floor, "--trace"])
            .arg(&host)
            .arg("-o")
            .arg(path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", output_text(&out));
    }
    let start = |profile: &std::path::Path| {
        Command::new("docker")
            .args(["run", "--rm", "--runtime", "crun", "--network", "none", "--security-opt"])
            .arg(format!("seccomp={}", profile.display()))
            .args([worker_image(), "--jobs", "not-a-number"])
            .output()
            .unwrap()
    };
    // Had it started, the worker would have refused its argument (exit 2).
    let out = start(&without);
    assert_ne!(out.status.code(), Some(2), "started under crun without its floor: {}", output_text(&out));
    let out = start(&with);
    assert_eq!(out.status.code(), Some(2), "did not start under crun with its floor: {}", output_text(&out));
}

#[test]
fn nginx_traced_under_crun_serves_under_its_profile() {
    if !ready() {
        return;
    }
    let nginx = service("nginx");
    let dir = tempfile::tempdir().unwrap();
    let seccomp = profile(nginx, dir.path(), true, &["--runtime", "crun"]);
    let name = format!("cinch-crun-nginx-{}", std::process::id());
    let _container = run_under(nginx, &name, &seccomp, &["--runtime", "crun"]);
    nginx.wait_ready();
    let (out, ok) = nginx.drive();
    assert!(ok, "nginx under crun and its profile: {out}");
    let (out, ok) = nginx.operate(&name);
    assert!(ok, "reload under crun: {out}");
    let (_, code) = stop(&name);
    assert_eq!(code, 0);
}
