//! Real third-party services (Debian's nginx, PostgreSQL and Redis, from the
//! proving-ground image) profiled over their whole life with `cinch profile
//! --exercise DRIVER -- docker run ...`, then run under the profile in real
//! Docker: they start, serve their load drivers without errors, do their
//! routine operations, stop gracefully, and the escapes get EPERM. Then what
//! a profile lacks is found with `cinch watch` and fixed through merge.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use support::docker::{docker_ready, probe_in_container};
use support::services::{profile, proving_image, run_under, service, stop, INFERRED, SERVICES};
use support::{cinch, output_text, require, require_root};

fn ready() -> bool {
    require_root() && require("a running dockerd (DOCKER_HOST)", docker_ready())
}

/// The escape probes, in a fresh container of the service image under `seccomp`.
fn probe(seccomp: &str, actions: &[&str]) -> String {
    let mount = format!("{}:/cinch:ro", support::services::config_dir().display());
    probe_in_container(proving_image(), "/cinch/cinch-probe", seccomp, &["-v", &mount], actions)
}

const ESCAPES: &[&str] = &["mount", "ptrace", "bpf", "keyctl", "packet-socket", "icmp-socket", "unshare-user"];

#[test]
fn each_service_runs_its_whole_life_under_its_profile_three_times() {
    if !ready() {
        return;
    }
    let mut report = Vec::new();
    for service in SERVICES {
        let dir = tempfile::tempdir().unwrap();
        let seccomp = profile(service, dir.path(), true, &[]);
        // Who did what, and capabilities from evidence: the service's own
        // setuid/setgid and its opens past a file's mode become capabilities;
        // the runtime's calls (runc's, before the entrypoint) never do.
        let apparmor = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|x| x == "apparmor"))
            .expect("an AppArmor profile beside the seccomp one");
        let text = std::fs::read_to_string(&apparmor).unwrap();
        for cap in INFERRED {
            assert_eq!(
                text.contains(&format!("capability {cap},")),
                service.capabilities.contains(cap),
                "{}: capability {cap} in {}:\n{text}",
                service.name,
                apparmor.display()
            );
        }
        for run in 1..=3 {
            let name = format!("cinch-svc-{}-{run}-{}", service.name, std::process::id());
            let _container = run_under(service, &name, &seccomp, &[]);
            service.wait_ready();
            let (out, ok) = service.drive();
            assert!(ok, "{} run {run}: the driver had errors under the profile:\n{out}", service.name);
            let (out, ok) = service.operate(&name);
            assert!(ok, "{} run {run}: `{}` failed under the profile:\n{out}", service.name, service.operation);
            let (out, ok) = service.drive();
            assert!(ok, "{} run {run}: after the operation the driver had errors:\n{out}", service.name);
            let logs = service.logs(&name);
            // (PostgreSQL's FATAL lines are its clients' errors, e.g. pg_isready during start-up.)
            for bad in
                ["Operation not permitted", "Permission denied", "[emerg]", "[alert]", "PANIC", "terminated by signal"]
            {
                assert!(!logs.contains(bad), "{} run {run} logged {bad:?}:\n{logs}", service.name);
            }
            let (took, code) = stop(&name);
            // 0, not 137: the service stopped on SIGTERM, within the stop timeout.
            assert_eq!(code, 0, "{} run {run}: exit code after docker stop ({took:?})", service.name);
            report.push(format!("{} run {run}: docker stop {:.2}s", service.name, took.as_secs_f64()));
        }
        let opt = format!("seccomp={}", seccomp.display());
        let denied = probe(&opt, ESCAPES);
        for escape in ESCAPES {
            assert!(denied.contains(&format!("{escape} errno=1 ")), "{}: {escape} not denied:\n{denied}", service.name);
        }
    }
    // The control: without seccomp the probes get past it, so the check above can fail.
    let unconfined = probe("seccomp=unconfined", ESCAPES);
    for escape in ["bpf", "keyctl", "ptrace", "mount", "icmp-socket"] {
        assert!(!unconfined.contains(&format!("{escape} errno=1 ")), "{escape} denied unconfined:\n{unconfined}");
    }
    eprintln!("{}", report.join("\n"));
}

fn watch(container: &str, profile: Option<&Path>, output: &Path) -> std::process::Child {
    let mut cmd = cinch();
    cmd.args(["watch", "--container", container, "-o"]).arg(output);
    if let Some(profile) = profile {
        cmd.arg("--profile").arg(profile);
    }
    cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap()
}

/// Stops `watch` the way a person does (Ctrl-C) and returns its exit code and output.
fn finish_watch(child: std::process::Child) -> (i32, String) {
    // SAFETY: kill with a valid pid and signal.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), output_text(&out))
}

/// Waits until `cinch watch` has attached (it says so on stderr first).
fn settle() {
    std::thread::sleep(std::time::Duration::from_millis(1500));
}

fn allowed_names(seccomp: &Path) -> BTreeSet<String> {
    let profile: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(seccomp).unwrap()).unwrap();
    profile["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "SCMP_ACT_ALLOW")
        .flat_map(|r| r["names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn an_operation_never_rehearsed_is_reported_by_watch_and_log_mode_gives_its_fix() {
    if !ready() {
        return;
    }
    let redis = service("redis");
    let dir = tempfile::tempdir().unwrap();
    // Profiled without the operation (BGSAVE: a forked child writes and fsyncs the dump).
    let seccomp = profile(redis, dir.path(), false, &[]);
    let trace = dir.path().join("trace.json");

    // 1. Enforcing: the operation fails, and watch names the refused calls.
    let name = format!("cinch-watch-enforce-{}", std::process::id());
    let _container = run_under(redis, &name, &seccomp, &[]);
    redis.wait_ready();
    let refused_out = dir.path().join("refused.json");
    let watching = watch(&name, None, &refused_out);
    settle();
    let (_, ok) = redis.operate(&name);
    assert!(!ok, "BGSAVE worked although the profile never saw it");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (code, text) = finish_watch(watching);
    assert_eq!(code, 1, "watch exits 1 when calls were refused:\n{text}");
    assert!(text.contains("REFUSED fsync (EPERM)"), "{text}");
    assert!(text.lines().any(|l| l.trim_start().starts_with("fsync") && l.contains("redis-server")), "{text}");
    stop(&name);

    // 2. Staging: the same trace as a --mode log profile. The operation works,
    // and watch reports every call it made outside the allowlist.
    let staging = dir.path().join("staging.json");
    let out = cinch()
        .args(["generate", "seccomp", "--mode", "log", "--trace"])
        .arg(&trace)
        .arg("-o")
        .arg(&staging)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let name = format!("cinch-watch-log-{}", std::process::id());
    let _container = run_under(redis, &name, &staging, &[]);
    redis.wait_ready();
    let lacking = dir.path().join("lacking.json");
    let watching = watch(&name, Some(&staging), &lacking);
    settle();
    let (out, ok) = redis.operate(&name);
    assert!(ok, "BGSAVE failed under the log-mode profile: {out}");
    std::thread::sleep(std::time::Duration::from_millis(500));
    let (code, text) = finish_watch(watching);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("ran outside the profile:"), "{text}");
    stop(&name);
    let outside: BTreeSet<String> = support::read_trace(&lacking).syscalls.keys().cloned().collect();
    assert!(outside.contains("fsync") && outside.len() >= 2, "watch's trace: {outside:?}");

    // 3. The fix: merge, generate, diff. The new enforcing profile runs the
    // operation, and the diff shows exactly the calls watch reported.
    let fixed_trace = dir.path().join("fixed.json");
    let out = cinch().args(["merge", "-o"]).arg(&fixed_trace).arg(&trace).arg(&lacking).output().unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let fixed = dir.path().join("fixed-seccomp.json");
    let out =
        cinch().args(["generate", "seccomp", "--trace"]).arg(&fixed_trace).arg("-o").arg(&fixed).output().unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let added: BTreeSet<String> = allowed_names(&fixed).difference(&allowed_names(&seccomp)).cloned().collect();
    assert_eq!(added, outside, "the fixed profile adds exactly what watch reported");
    let diff = cinch().args(["diff"]).arg(&seccomp).arg(&fixed).output().unwrap();
    let diff_text = output_text(&diff);
    for call in &outside {
        assert!(diff_text.contains(&format!("+ {call}: allow")), "{call} missing from the diff:\n{diff_text}");
    }
    let name = format!("cinch-watch-fixed-{}", std::process::id());
    let _container = run_under(redis, &name, &fixed, &[]);
    redis.wait_ready();
    let (out, ok) = redis.operate(&name);
    assert!(ok, "BGSAVE failed under the fixed profile: {out}");
    let (_, code) = stop(&name);
    assert_eq!(code, 0);
}

/// Who did what, for programs: an entrypoint script that `exec`s its server
/// (the usual `exec "$@"`) ran that program itself, so the program is the
/// workload's (`ix` in the AppArmor profile), not the runtime's entrypoint.
#[test]
fn a_program_an_entrypoint_execs_in_place_is_the_workloads() {
    if !ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = cinch()
        .args(["profile", "-q", "-o"])
        .arg(dir.path())
        .args(["--", "docker", "run", "--rm", "--network", "none", "--name"])
        .arg(format!("cinch-inplace-{}", std::process::id()))
        .args([proving_image(), "sh", "-c", "exec cat /etc/hostname"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let trace = support::read_trace(&dir.path().join("trace.json"));
    let parents = |exe: &str| trace.executions[exe].parents.iter().cloned().collect::<Vec<_>>();
    assert_eq!(parents("/usr/bin/dash"), [cinch_profiles::trace::OUTSIDE], "{:?}", trace.executions);
    assert_eq!(parents("/usr/bin/cat"), [cinch_profiles::trace::IN_PLACE], "{:?}", trace.executions);
    let name = format!("cinch-inplace-{}", std::process::id());
    let profile = std::fs::read_to_string(dir.path().join(format!("{name}.apparmor"))).unwrap();
    assert!(profile.contains("\"/usr/bin/cat\" mrix,"), "{profile}");
    assert!(profile.contains("\"/usr/bin/dash\" mr,"), "{profile}");
}
