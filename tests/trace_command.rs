//! `cinch trace -- CMD`: real eBPF programs, loaded as root, tracing real
//! processes on this host.

mod support;

use std::process::Command;
use support::*;

/// Traces `argv` to a file in `dir`; returns the parsed trace and stderr.
fn trace_command(dir: &std::path::Path, name: &str, argv: &[&str]) -> (cinch_profiles::Trace, String) {
    let output = dir.join(name);
    let out = cinch().arg("trace").arg("-o").arg(&output).arg("--").args(argv).output().expect("run cinch");
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    (read_trace(&output), output_text(&out))
}

#[test]
fn bin_true_from_its_first_syscall() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (trace, _) = trace_command(dir.path(), "true.json", &["/bin/true"]);
    // The exec itself is the first thing traced, and it happens exactly once.
    assert_eq!(trace.syscalls["execve"].count, 1, "{trace:#?}");
    assert!(has_syscall(&trace, "exit_group"));
    assert!(has_syscall(&trace, "mmap"), "the dynamic loader maps libc");
    assert_eq!(trace.lost_events, 0);
    assert_eq!(trace.host.arch.as_str(), std::env::consts::ARCH);
    assert_eq!(trace.target, cinch_profiles::Target::Command { argv: vec!["/bin/true".into()] });
}

#[test]
fn shell_pipeline_and_forked_children() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let probe = fixture("cinch-probe");
    let script = format!("echo hello | tr a-z A-Z >/dev/null; {} keyctl >/dev/null", probe.display());
    let (trace, _) = trace_command(dir.path(), "sh.json", &["/bin/sh", "-c", &script]);
    // keyctl is made only by a grandchild: descendants are followed.
    assert!(has_syscall(&trace, "keyctl"), "{trace:#?}");
    assert!(trace.syscalls["execve"].count >= 3, "sh, tr and the probe exec");
    assert!(has_syscall(&trace, "pipe") || has_syscall(&trace, "pipe2"));
    assert!(has_syscall(&trace, "wait4"));
    assert!(trace.processes >= 3, "sh plus at least two children: {}", trace.processes);
    // The shell forks with plain process-creation flags and SIGCHLD as exit signal.
    let forks = arg_values(&trace, "clone", "flags");
    assert!(!forks.is_empty() || has_syscall(&trace, "vfork") || has_syscall(&trace, "clone3"));
    for flags in forks {
        assert_eq!(flags & 0xff, libc::SIGCHLD as u64, "exit signal of a fork: {flags:#x}");
        assert_eq!(flags & libc::CLONE_THREAD as u64, 0);
    }
}

#[test]
fn worker_fixture_serving_a_job() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let node = node_dir(dir.path());
    let port = free_port();
    let output = dir.path().join("worker.json");
    let worker = fixture("mascot-worker");
    let listen = format!("127.0.0.1:{port}");
    let tracing = Tracing::start(&[
        "-o",
        output.to_str().unwrap(),
        "--",
        worker.to_str().unwrap(),
        "--listen",
        &listen,
        "--node-dir",
        node.to_str().unwrap(),
        "--jobs",
        "1",
    ]);
    run_job(port, &demo_fasta(&node), "traced-job");
    let (code, stderr) = tracing.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("(target exited)"), "{stderr}");

    let trace = read_trace(&output);
    for syscall in ["socket", "bind", "listen", "accept4", "openat", "read", "write"] {
        assert!(has_syscall(&trace, syscall), "{syscall} missing: {trace:#?}");
    }
    assert_eq!(arg_values(&trace, "socket", "domain"), vec![libc::AF_INET as u64]);
    let types = arg_values(&trace, "socket", "type");
    assert_eq!(types.len(), 1);
    assert_eq!(types[0] & 0xf, libc::SOCK_STREAM as u64);
    // Threads: clone3 (glibc 2.34+) or clone, with thread flags.
    let mut thread_flags = arg_values(&trace, "clone3", "flags");
    thread_flags.extend(arg_values(&trace, "clone", "flags"));
    let thread = (libc::CLONE_VM | libc::CLONE_THREAD) as u64;
    assert!(thread_flags.iter().any(|f| f & thread == thread), "no thread creation: {thread_flags:x?}");
    assert!(std::fs::read_to_string(node.join("results/traced-job.txt")).unwrap().contains("CINCH"));
}

#[test]
fn same_behaviour_gives_the_same_bytes_and_round_trips() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let probe = fixture("cinch-probe");
    let argv = [probe.to_str().unwrap(), "noop", "personality"];
    trace_command(dir.path(), "a.json", &argv);
    trace_command(dir.path(), "b.json", &argv);
    let a = std::fs::read_to_string(dir.path().join("a.json")).unwrap();
    let b = std::fs::read_to_string(dir.path().join("b.json")).unwrap();
    assert_eq!(a, b);
    assert_eq!(cinch_profiles::Trace::from_json(&a).unwrap().to_json(), a);
    let trace = read_trace(&dir.path().join("a.json"));
    assert_eq!(arg_values(&trace, "personality", "persona"), vec![0xffff_ffff]);
}

#[test]
fn ctrl_c_mid_trace_still_writes_a_complete_trace() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("interrupted.json");
    let tracing = Tracing::start(&["-o", output.to_str().unwrap(), "--", "/bin/sleep", "60"]);
    // Interrupt mid-trace: once the command is asleep, not before it ran.
    wait_until_blocked_in(tracing.command_pid(), "clock_nanosleep");
    tracing.signal(libc::SIGINT);
    let (code, stderr) = tracing.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("(interrupted)"), "{stderr}");
    let trace = read_trace(&output);
    assert!(has_syscall(&trace, "execve"));
    assert!(has_syscall(&trace, "clock_nanosleep") || has_syscall(&trace, "nanosleep"), "{trace:#?}");
    // No temporary file is left beside the output.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, vec![std::ffi::OsString::from("interrupted.json")]);
}

#[test]
fn duration_limit_stops_the_trace() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("limited.json");
    let out = cinch()
        .args(["trace", "--duration", "500ms", "-o"])
        .arg(&output)
        .args(["--", "/bin/sleep", "60"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    assert!(output_text(&out).contains("(duration reached)"));
    assert!(has_syscall(&read_trace(&output), "execve"));
}

/// --pid follows a process in its own mount namespace, including a child
/// that moves on into yet another one with unshare(CLONE_NEWNS).
#[test]
fn pid_target_follows_its_mount_namespace() {
    if !require_root() {
        return;
    }
    let have_unshare = Command::new("unshare").arg("--help").output().is_ok_and(|o| o.status.success());
    if !require("unshare(1) from util-linux", have_unshare) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("go");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let probe = fixture("cinch-probe");
    let script = format!(
        "read go < {fifo}; {probe} personality; unshare -m {probe} keyctl; exit 0",
        fifo = fifo.display(),
        probe = probe.display()
    );
    let mut target = Command::new("unshare").args(["-m", "/bin/sh", "-c", &script]).spawn().unwrap();
    // The sh runs once unshare has exec'd it in the new namespace.
    let own = std::fs::read_link("/proc/self/ns/mnt").unwrap();
    let ns_path = format!("/proc/{}/ns/mnt", target.id());
    while std::fs::read_link(&ns_path).is_ok_and(|ns| ns == own) {
        std::thread::yield_now();
    }

    let output = dir.path().join("pid.json");
    let tracing = Tracing::start(&["--pid", &target.id().to_string(), "-o", output.to_str().unwrap()]);
    std::fs::write(&fifo, "go\n").unwrap();
    target.wait().unwrap();
    let (code, stderr) = tracing.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("(target exited)"), "{stderr}");
    let trace = read_trace(&output);
    assert!(matches!(trace.target, cinch_profiles::Target::Process { .. }));
    assert!(has_syscall(&trace, "personality"), "{trace:#?}");
    assert!(has_syscall(&trace, "unshare"));
    assert_eq!(arg_values(&trace, "unshare", "flags"), vec![libc::CLONE_NEWNS as u64]);
    assert!(has_syscall(&trace, "keyctl"), "the process that moved to a new namespace was lost: {trace:#?}");
}

/// More distinct facts than the kernel can remember: the loss is counted,
/// reported, recorded in the trace, and makes cinch exit 1 unless allowed.
#[test]
fn lost_events_are_never_silent() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let probe = fixture("cinch-probe");
    for (allow, expected_code) in [(false, 1), (true, 0)] {
        let output = dir.path().join(format!("storm-{allow}.json"));
        let mut command = cinch();
        command.arg("trace").arg("-o").arg(&output);
        if allow {
            command.arg("--allow-lost");
        }
        let out = command.arg("--").arg(&probe).arg("prctl-storm").output().unwrap();
        let text = output_text(&out);
        assert_eq!(out.status.code(), Some(expected_code), "{text}");
        let trace = read_trace(&output);
        assert!(trace.lost_events > 0, "{trace:#?}");
        let recorded = trace.syscalls["prctl"].args.len() as u64;
        // Every distinct option is either recorded or counted as lost.
        assert!(recorded + trace.lost_events >= 20_000, "{recorded} recorded + {} lost", trace.lost_events);
        assert!(text.contains(&format!("{} lost events", trace.lost_events)), "{text}");
        if !allow {
            assert!(text.contains("LOST"), "{text}");
        }
    }
}

/// A storm of distinct failed opens: past `--max-facts`, facts are dropped
/// and counted as lost (exit 1, the trace says so), and the tracer's memory
/// stays bounded (peak RSS in bench/RESULTS.md).
#[test]
fn a_storm_of_distinct_facts_is_bounded_and_counted_as_lost() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let probe = fixture("cinch-probe");
    let output = dir.path().join("storm.json");
    let out = cinch()
        .args(["trace", "--max-facts", "2000", "-o"])
        .arg(&output)
        .arg("--")
        .arg(&probe)
        .arg("failed-opens=30000")
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let trace = read_trace(&output);
    let storm = trace.failed_files.keys().filter(|p| p.starts_with("/nonexistent-cinch-probe/")).count() as u64;
    assert!(storm <= 2000, "{storm} storm files kept past --max-facts 2000");
    assert!(storm + trace.lost_events >= 30_000, "{storm} kept + {} lost", trace.lost_events);
    assert!(text.contains("beyond --max-facts 2000") && text.contains("LOST"), "{text}");
}

/// A long argv[0] is cut in the trace, but the program's path is whole: it
/// must not be marked truncated (which would keep it out of every profile).
#[test]
fn a_long_argv0_does_not_truncate_the_program_path() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let probe = fixture("cinch-probe");
    let output = dir.path().join("argv0.json");
    let out = cinch()
        .args(["trace", "-o"])
        .arg(&output)
        .args(["--", "bash", "-c", "exec -a \"$(printf 'a%.0s' $(seq 5000))\" \"$0\" noop"])
        .arg(&probe)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let trace = read_trace(&output);
    let path = probe.to_str().unwrap();
    let exec = trace.executions.get(path).unwrap_or_else(|| panic!("{path} not in {:#?}", trace.executions.keys()));
    assert!(!exec.truncated, "{exec:?}");
    assert!(exec.argv0.iter().any(|a| a.len() > 4000), "{:?}", exec.argv0.iter().map(String::len).collect::<Vec<_>>());
}

/// `cinch trace` killed outright (SIGKILL: no handler runs) leaves no
/// temporary file beside its output, and the command it started does not run
/// on untraced: it gets the SIGTERM a normal stop would send.
#[test]
fn killed_outright_cinch_leaves_no_temp_file_and_no_untraced_command() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("killed.json");
    let tracing = Tracing::start(&["-o", output.to_str().unwrap(), "--", "sleep", "600"]);
    let command = tracing.command_pid();
    tracing.signal(libc::SIGKILL);
    let (code, _) = tracing.finish();
    assert_eq!(code, -1, "killed by a signal");
    let deadline = std::time::Instant::now() + PATIENCE;
    // The command's end is a state to wait for (the kernel delivers the death signal).
    while std::path::Path::new(&format!("/proc/{command}")).exists()
        && std::fs::read_to_string(format!("/proc/{command}/stat")).is_ok_and(|s| !s.contains(") Z "))
    {
        assert!(std::time::Instant::now() < deadline, "the command {command} runs on after cinch was killed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// A background child that outlives the command is named: the trace ends
/// with the command, and cinch says what it no longer sees.
#[test]
fn background_children_that_outlive_the_command_are_named() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("bg.json");
    let out = cinch()
        .args(["trace", "-o"])
        .arg(&output)
        .args([
            "--",
            "sh",
            "-c",
            "sleep 600 > /dev/null 2>&1 & echo $! > \"$0\"",
            dir.path().join("pid").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let pid = std::fs::read_to_string(dir.path().join("pid")).unwrap_or_default().trim().to_string();
    if let Ok(pid) = pid.parse::<i32>() {
        // SAFETY: plain kill of the background sleep this test started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let text = output_text(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(&format!("1 process(es) the command started still run (pid {pid})")), "{text}");
}

/// Stopped before the command ends, cinch asks it to stop and traces its
/// exit; a trace that never saw its target exit says so, in show and in the
/// generators' notes.
#[test]
fn a_trace_says_whether_it_saw_the_workload_exit() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A command stopped by --duration is sent SIGTERM and its exit is traced.
    let output = dir.path().join("slept.json");
    let out = cinch()
        .args(["trace", "--duration", "300ms", "-o"])
        .arg(&output)
        .args(["--", "sleep", "600"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let trace = read_trace(&output);
    assert_eq!(trace.target_exited, Some(true), "{}", output_text(&out));

    // A process traced by --pid is left running: the trace says it did not see the exit.
    // (In a mount namespace of its own, as a container's process is: unshare execs sleep.)
    let mut sleeper = std::process::Command::new("unshare").args(["--mount", "sleep", "600"]).spawn().unwrap();
    let ns = format!("/proc/{}/ns/mnt", sleeper.id());
    let own = std::fs::read_link("/proc/self/ns/mnt").unwrap();
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::fs::read_link(&ns).is_ok_and(|n| n == own) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10)); // until unshare has moved it
    }
    let output = dir.path().join("running.json");
    let out = cinch()
        .args(["trace", "--duration", "300ms", "--pid", &sleeper.id().to_string(), "-o"])
        .arg(&output)
        .output()
        .unwrap();
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(output_text(&out).contains("still running when tracing stopped"), "{}", output_text(&out));
    let trace = read_trace(&output);
    assert_eq!(trace.target_exited, Some(false));
    let show = cinch().arg("show").arg(&output).output().unwrap();
    assert!(String::from_utf8_lossy(&show.stdout).contains("SHUTDOWN NOT TRACED"), "{}", output_text(&show));
    let profile = dir.path().join("p.json");
    let generated =
        cinch().args(["generate", "seccomp", "--trace"]).arg(&output).arg("-o").arg(&profile).output().unwrap();
    assert!(output_text(&generated).contains("workload still running"), "{}", output_text(&generated));
}

/// A signal to a process of another user is the evidence for CAP_KILL (the
/// kernel let it through on the capability); one to its own user's is not,
/// nor the SIGCHLD the kernel sends back.
#[test]
fn a_signal_to_another_users_process_is_evidence_for_kill() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = "setpriv --reuid 65534 --regid 65534 --clear-groups sleep 30 & sleep 0.3; kill -HUP $!; \
                  sleep 30 & kill $!; wait";
    let (trace, _) = trace_command(dir.path(), "kill.json", &["sh", "-c", script]);
    let seen: Vec<&str> = trace.signals_across_users.iter().map(String::as_str).collect();
    assert_eq!(seen, ["SIGHUP from uid 0 to uid 65534"], "{trace:#?}");
    let profile = dir.path().join("kill.apparmor");
    let out = cinch()
        .args(["generate", "apparmor", "--trace"])
        .arg(dir.path().join("kill.json"))
        .arg("-o")
        .arg(&profile)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(output_text(&out).contains("capability kill: the workload sent SIGHUP from uid 0 to uid 65534"));
    assert!(std::fs::read_to_string(&profile).unwrap().contains("capability kill,"));
}
