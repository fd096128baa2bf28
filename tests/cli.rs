//! The command line as users meet it: help texts, bad input, `cinch show`.
//! Bad input must give one clear sentence and exit 2, never a panic.

mod support;

use support::*;

fn run(args: &[&str]) -> (Option<i32>, String) {
    let out = cinch().args(args).output().expect("run cinch");
    (out.status.code(), output_text(&out))
}

#[test]
fn help_texts() {
    for (name, args) in [
        ("main", &["--help"][..]),
        ("trace", &["trace", "--help"]),
        ("show", &["show", "--help"]),
        ("generate_seccomp", &["generate", "seccomp", "--help"]),
        ("profile", &["profile", "--help"]),
        ("run", &["run", "--help"]),
        ("watch", &["watch", "--help"]),
        ("diff", &["diff", "--help"]),
        ("merge", &["merge", "--help"]),
        ("generate_apparmor", &["generate", "apparmor", "--help"]),
        ("generate_userns", &["generate", "userns", "--help"]),
        ("apparmor_install", &["apparmor", "install", "--help"]),
        ("recipe", &["recipe", "--help"]),
        ("cluster", &["cluster", "--help"]),
        ("lint", &["lint", "--help"]),
        ("explain", &["explain", "--help"]),
        ("completions", &["completions", "--help"]),
        ("man", &["man", "--help"]),
    ] {
        let (code, text) = run(args);
        assert_eq!(code, Some(0));
        insta::assert_snapshot!(format!("help_{name}"), text);
    }
}

#[test]
fn a_target_is_required_and_only_one() {
    let (code, text) = run(&["trace", "-o", "/tmp/unused.json"]);
    assert_eq!(code, Some(2));
    assert!(text.contains("nothing to trace"), "{text}");

    let (code, text) = run(&["trace", "--pid", "1", "-o", "/tmp/unused.json", "--", "/bin/true"]);
    assert_eq!(code, Some(2));
    assert!(text.contains("only one target"), "{text}");

    let (code, text) = run(&["trace", "--duration", "5 parsecs", "-o", "x.json", "--", "/bin/true"]);
    assert_eq!(code, Some(2));
    assert!(text.contains("unknown unit \"parsecs\""), "{text}");
}

#[test]
fn unwritable_output_is_refused_before_tracing() {
    let (code, text) = run(&["trace", "-o", "/nonexistent-dir/t.json", "--", "/bin/true"]);
    assert_eq!(code, Some(2));
    assert!(text.contains("cannot write /nonexistent-dir/t.json: directory /nonexistent-dir does not exist"), "{text}");
}

#[test]
fn unknown_command_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("t.json");
    let (code, text) = run(&["trace", "-o", out.to_str().unwrap(), "--", "no-such-command-cinch"]);
    assert_eq!(code, Some(2));
    assert!(text.contains("command not found: no-such-command-cinch"), "{text}");
    assert!(!out.exists());
}

#[test]
fn unreachable_docker_daemon() {
    let out = cinch()
        .args(["trace", "--container", "worker", "-o", "/tmp/unused.json"])
        .env("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = output_text(&out);
    assert!(text.contains("cannot reach the Docker daemon at /nonexistent/docker.sock"), "{text}");
}

#[test]
fn host_process_is_refused_as_a_pid_target() {
    if !require_root() {
        return;
    }
    let mut sleeper = std::process::Command::new("/bin/sleep").arg("60").spawn().unwrap();
    let (code, text) = run(&["trace", "--pid", &sleeper.id().to_string(), "-o", "/tmp/unused.json"]);
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
    assert_eq!(code, Some(2));
    assert!(text.contains("shares cinch's mount namespace"), "{text}");
}

#[test]
fn not_root_is_told_what_to_do() {
    if !require_root() {
        return;
    }
    let have_setpriv = std::process::Command::new("setpriv").arg("--version").output().is_ok();
    if !require("setpriv(1) to drop root", have_setpriv) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all"])
        .arg(env!("CARGO_BIN_EXE_cinch"))
        .args(["trace", "-o"])
        .arg(dir.path().join("t.json"))
        .args(["--", "/bin/true"])
        .output()
        .unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("run cinch as root"), "{text}");
    assert!(!dir.path().join("t.json").exists());
}

#[test]
fn show_summarises_a_trace() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.json");
    std::fs::write(&path, include_str!("../fixtures/traces/worker-host.json")).unwrap();
    let (code, text) = run(&["show", path.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn malformed_traces_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = include_str!("../fixtures/traces/worker-host.json");
    let cases = [
        ("syntax.json", good.replacen("\"count\": 1,", "\"count\": 1,,", 1), "line "),
        ("format.json", good.replace("cinch-trace/1", "cinch-trace/7"), "unsupported trace format \"cinch-trace/7\""),
        ("name.json", good.replace("\"accept4\"", "\"accept5\""), "\"accept5\" is not a syscall on x86_64"),
        ("empty.json", String::new(), "line 1"),
        ("binary.json", "\u{0}\u{1}garbage".to_string(), "line 1"),
    ];
    for (name, text, expected) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &text).unwrap();
        let (code, out) = run(&["show", path.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{name}: {out}");
        assert!(out.contains(&format!("{}: ", path.display())), "{name} does not name the file: {out}");
        assert!(out.contains(expected), "{name}: {out}");
        assert!(!out.contains("panicked"), "{name}: {out}");
    }
    let (code, out) = run(&["show", "/nonexistent/trace.json"]);
    assert_eq!(code, Some(2));
    assert!(out.contains("cannot read /nonexistent/trace.json"), "{out}");
}

/// A trace of aarch64 with one syscall, in the current format.
const AARCH64_TRACE: &str = r#"{
  "format": "cinch-trace/1",
  "target": { "kind": "command", "argv": ["/bin/true"] },
  "host": { "kernel": "6.1.0", "arch": "aarch64" },
  "processes": 1,
  "lost_events": 0,
  "syscalls": { "read": { "count": 1 } }
}
"#;

#[test]
fn merge_is_deterministic_commutative_and_counts_runs() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("host.json");
    let container = dir.path().join("container.json");
    std::fs::write(&host, include_str!("../fixtures/traces/worker-host.json")).unwrap();
    std::fs::write(&container, include_str!("../fixtures/traces/worker-container.json")).unwrap();
    let (ab, ba, again) = (dir.path().join("ab.json"), dir.path().join("ba.json"), dir.path().join("again.json"));
    for (first, second, out) in [(&host, &container, &ab), (&container, &host, &ba), (&host, &container, &again)] {
        let (code, text) =
            run(&["merge", first.to_str().unwrap(), second.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("merged 2 trace(s), 2 run(s)"), "{text}");
    }
    let merged = std::fs::read_to_string(&ab).unwrap();
    assert_eq!(merged, std::fs::read_to_string(&ba).unwrap(), "order of the inputs matters");
    assert_eq!(merged, std::fs::read_to_string(&again).unwrap(), "not deterministic");
    let trace = cinch_profiles::Trace::from_json(&merged).unwrap();
    assert_eq!(trace.runs, Some(2));
    assert_eq!(trace.syscalls["accept4"].runs, Some(2));
    // Merging the merged trace with one more run counts three.
    let three = dir.path().join("three.json");
    let (code, text) = run(&["merge", ab.to_str().unwrap(), host.to_str().unwrap(), "-o", three.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    let trace = cinch_profiles::Trace::from_json(&std::fs::read_to_string(&three).unwrap()).unwrap();
    assert_eq!(trace.runs, Some(3));
    let (code, shown) = run(&["show", three.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{shown}");
}

#[test]
fn merge_refuses_other_architectures_and_formats_and_keeps_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("host.json");
    let arm = dir.path().join("arm.json");
    let old = dir.path().join("old.json");
    let out = dir.path().join("out.json");
    let good = include_str!("../fixtures/traces/worker-host.json");
    std::fs::write(&host, good).unwrap();
    std::fs::write(&arm, AARCH64_TRACE).unwrap();
    std::fs::write(&old, good.replace("cinch-trace/1", "cinch-trace/0")).unwrap();
    std::fs::write(&out, "kept").unwrap();

    let (code, text) = run(&["merge", host.to_str().unwrap(), arm.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains(&format!("{} is a trace of aarch64", arm.display())), "{text}");
    let (code, text) = run(&["merge", host.to_str().unwrap(), old.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains(&format!("{}: line 2: unsupported trace format", old.display())), "{text}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "kept", "a failed merge overwrote its output");
    assert!(!text.contains("panicked"));
}

#[test]
fn userns_refuses_bad_subid_lines_users_and_volumes() {
    let dir = tempfile::tempdir().unwrap();
    let subuid = dir.path().join("subuid");
    std::fs::write(&subuid, "alice:100000:65536\nbob:100000\n").unwrap();
    let out = dir.path().join("out");
    let (code, text) = run(&["generate", "userns", "--subuid", subuid.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains(&format!("{}: line 2: expected owner:start:count", subuid.display())), "{text}");
    assert!(!out.exists(), "nothing is written when the input is bad");

    let (code, text) = run(&["generate", "userns", "--user", "Root;x", "-o", out.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("invalid user name"), "{text}");

    let (code, text) = run(&["generate", "userns", "--volume", "relative:/x", "-o", out.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("expected HOST:CONTAINER"), "{text}");
}

#[test]
fn userns_picks_a_free_range_after_the_existing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let subuid = dir.path().join("subuid");
    let subgid = dir.path().join("subgid");
    std::fs::write(&subuid, "alice:100000:65536\n").unwrap();
    std::fs::write(&subgid, "alice:100000:65536\ndockremap:165536:65536\n").unwrap();
    let out = dir.path().join("out");
    let (code, text) = run(&[
        "generate",
        "userns",
        "--subuid",
        subuid.to_str().unwrap(),
        "--subgid",
        subgid.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{text}");
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    assert_eq!(read("subuid"), "mascot-worker:231072:65536\n");
    assert_eq!(read("subgid"), "mascot-worker:231072:65536\n");
    let podman = read("podman-flags.txt");
    assert_eq!(podman.lines().next(), Some("--uidmap 0:231072:65536 --gidmap 0:231072:65536"));
    assert!(podman.contains("--subuidname mascot-worker --subgidname mascot-worker") && podman.contains("Rootless"));
    assert!(read("daemon.json").contains("\"userns-remap\": \"mascot-worker\""));
    assert!(read("oci-linux.json").contains("\"hostID\": 231072"));
    // The merge keeps a config's other namespaces (real jq, as the file says to run it).
    if std::process::Command::new("jq").arg("--version").output().is_ok() {
        let config = dir.path().join("config.json");
        std::fs::write(
            &config,
            r#"{"ociVersion": "1.0.2", "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "user"}]}}"#,
        )
        .unwrap();
        let merged = std::process::Command::new("jq")
            .arg("--slurpfile")
            .arg("userns")
            .arg(out.join("oci-linux.json"))
            .arg("-f")
            .arg(out.join("oci-merge.jq"))
            .arg(&config)
            .output()
            .unwrap();
        assert!(merged.status.success(), "{}", output_text(&merged));
        let merged: serde_json::Value = serde_json::from_slice(&merged.stdout).unwrap();
        let types: Vec<&str> =
            merged["linux"]["namespaces"].as_array().unwrap().iter().map(|n| n["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["pid", "network", "ipc", "uts", "mount", "user"]);
        assert_eq!(merged["linux"]["uidMappings"][0]["hostID"], 231072);
    } else {
        support::require("jq", false);
    }
    assert!(read("k8s-pod.yaml").contains("hostUsers: false"));
    assert!(text.contains("container uid 0 = host uid 231072"), "{text}");
}

#[test]
fn a_notes_remedy_is_worded_with_the_flag_that_takes_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("worker.apparmor");
    let trace = dir.path().join("trace.json");
    std::fs::write(&trace, include_str!("../fixtures/traces/worker-files.json")).unwrap();
    let (code, text) = run(&[
        "generate",
        "apparmor",
        "--trace",
        trace.to_str().unwrap(),
        "--glob-min",
        "4",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{text}");
    let note = text.lines().find(|l| l.contains("results: the workload created")).unwrap_or_else(|| panic!("{text}"));
    assert!(
        note.starts_with("cinch: note: ")
            && note.ends_with("lower --glob-min (cinch generate apparmor) to allow DIR/*"),
        "{note}"
    );
}

#[test]
fn show_and_errors_never_pass_control_characters_or_huge_fields_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let good = include_str!("../fixtures/traces/worker-host.json");
    let hostile = good.replace("\"--jobs\"", "\"\\u001b[2J\\nfake: line\"");
    assert_ne!(hostile, good);
    let path = dir.path().join("hostile.json");
    std::fs::write(&path, hostile).unwrap();
    let out = cinch().arg("show").arg(&path).output().unwrap();
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains('\u{1b}') && !text.contains("\nfake: line"), "{text}");
    assert!(text.contains("\\u{1b}[2J\\nfake: line"), "{text}");

    // A 5 MB field in an error is cut, not echoed whole.
    let huge = good.replace("\"kind\": \"command\"", &format!("\"kind\": \"{}\"", "x".repeat(5 << 20)));
    std::fs::write(&path, huge).unwrap();
    let (code, text) = run(&["show", path.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{}", &text[..200.min(text.len())]);
    assert!(text.len() < 10_000, "{} bytes of error", text.len());
    assert!(text.contains("more characters"), "{text}");
}

#[test]
fn a_kubernetes_profile_needs_a_kubernetes_name() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.json");
    std::fs::write(&trace, include_str!("../fixtures/traces/worker-host.json")).unwrap();
    for name in ["A_b/../x", "worker\n# injected", "x-"] {
        let out = dir.path().join("p.yaml");
        let (code, text) = run(&[
            "generate",
            "seccomp",
            "--format",
            "k8s",
            "--name",
            name,
            "--trace",
            trace.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code, Some(2), "{name:?}: {text}");
        assert!(text.contains("not a Kubernetes name"), "{text}");
        assert!(!out.exists());
    }
}

#[test]
fn a_reader_that_stops_early_is_not_a_crash() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    // Over a pipe's 64 KiB of output: 1000 findings (the most a file reports) and their JSON.
    let wide = format!("{{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{}]}}", vec!["1"; 5000].join(","));
    let file = dir.path().join("seccomp.json");
    std::fs::write(&file, wide).unwrap();
    for args in [vec!["lint", "--format", "json", file.to_str().unwrap()], vec!["explain"]] {
        let mut child = cinch()
            .args(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap(); // then the pipe closes, as with `| head -c 16`
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(matches!(out.status.code(), Some(0 | 1)), "{args:?}: {:?} {stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn dash_writes_to_standard_output_and_no_file_named_dash() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("t.json");
    std::fs::write(&trace, include_str!("../fixtures/traces/worker-host.json")).unwrap();
    let trace = trace.to_str().unwrap();
    for args in [
        vec!["generate", "seccomp", "--trace", trace, "-o", "-"],
        vec!["generate", "seccomp", "--format", "k8s", "--trace", trace, "-o", "-"],
        vec!["generate", "apparmor", "--trace", trace, "-o", "-"],
        vec!["merge", trace, "-o", "-"],
    ] {
        let out = cinch().args(&args).current_dir(dir.path()).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", output_text(&out));
        assert!(out.stdout.len() > 100, "{args:?}: nothing on stdout");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("wrote standard output")
                || String::from_utf8_lossy(&out.stderr).contains("into standard output"),
            "{}",
            output_text(&out)
        );
        assert!(!dir.path().join("-").exists(), "{args:?} wrote a file named -");
    }
    // A traced command writes to stdout too: there -o - is refused before anything runs.
    let (code, text) = run(&["trace", "-o", "-", "--", "/bin/true"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("give a file name"), "{text}");
}

#[test]
fn runs_of_other_engines_are_refused_with_the_way_to_trace_them() {
    for command in [
        &["podman", "run", "--rm", "alpine", "true"][..],
        &["nerdctl", "run", "alpine"],
        &["/usr/bin/podman", "container", "run", "alpine"],
        &["docker", "compose", "-f", "c.yml", "run", "svc"],
        &["docker-compose", "up"],
    ] {
        let mut args = vec!["trace", "-o", "unused.json", "--"];
        args.extend(command);
        let (code, text) = run(&args);
        assert_eq!(code, Some(2), "{command:?}: {text}");
        assert!(text.contains("--container NAME") && text.contains("--pid PID"), "{text}");
    }
}

#[test]
fn completions_man_pages_version_and_quiet() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = cinch().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}: {}", output_text(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("generate") && text.contains("max-facts"), "{shell}: {text}");
    }
    let bash = dir.path().join("cinch.bash");
    std::fs::write(&bash, cinch().args(["completions", "bash"]).output().unwrap().stdout).unwrap();
    assert!(std::process::Command::new("bash").arg("-n").arg(&bash).status().unwrap().success());

    let out = cinch().arg("man").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(".TH cinch 1"), "{}", output_text(&out));
    let pages = dir.path().join("man1");
    let out = cinch().args(["man", "-o"]).arg(&pages).output().unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let trace = std::fs::read_to_string(pages.join("cinch-trace.1")).unwrap();
    assert!(trace.contains(".TH cinch-trace 1") && trace.contains("max\\-facts"), "{trace}");

    for args in [&["--version"][..], &["lint", "--version"], &["generate", "seccomp", "--version"]] {
        let (code, text) = run(args);
        assert_eq!(code, Some(0), "{args:?}: {text}");
        assert!(text.contains(env!("CARGO_PKG_VERSION")), "{text}");
    }

    let trace_file = dir.path().join("t.json");
    std::fs::write(&trace_file, include_str!("../fixtures/traces/worker-host.json")).unwrap();
    let out = dir.path().join("q.json");
    let quiet =
        cinch().args(["-q", "generate", "seccomp", "--trace"]).arg(&trace_file).arg("-o").arg(&out).output().unwrap();
    assert!(quiet.status.success() && out.exists(), "{}", output_text(&quiet));
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "", "--quiet prints nothing on success");
    let loud = cinch().args(["generate", "seccomp", "--trace"]).arg(&trace_file).arg("-o").arg(&out).output().unwrap();
    assert!(String::from_utf8_lossy(&loud.stderr).contains("cinch: wrote"), "{}", output_text(&loud));
}

#[test]
fn show_and_diff_speak_json_for_scripts() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("host.json");
    let container = dir.path().join("container.json");
    std::fs::write(&host, include_str!("../fixtures/traces/worker-host.json")).unwrap();
    std::fs::write(&container, include_str!("../fixtures/traces/worker-container.json")).unwrap();
    let out = cinch().args(["show", "--format", "json"]).arg(&host).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["version"], 1);
    assert_eq!(summary["complete"], true);
    assert!(summary["syscalls"]["accept4"].as_u64().unwrap() >= 1, "{summary}");

    let profile = |trace: &std::path::Path, name: &str| {
        let path = dir.path().join(name);
        let out = cinch().args(["generate", "seccomp", "--trace"]).arg(trace).arg("-o").arg(&path).output().unwrap();
        assert!(out.status.success(), "{}", output_text(&out));
        path
    };
    let (a, b) = (profile(&host, "a.json"), profile(&container, "b.json"));
    let out = cinch().args(["diff", "--format", "json"]).arg(&a).arg(&b).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["same"], false);
    assert!(report["added"]["capset"].is_array(), "runc's floor is in the container's profile only: {report}");
    let out = cinch().args(["diff", "--format", "json"]).arg(&a).arg(&a).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["same"], true);
}

#[test]
fn an_output_directory_may_be_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = cinch()
        .args(["-q", "generate", "userns", "--user", "cinch", "-o", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(dir.path().join("daemon.json").exists() && dir.path().join("oci-merge.jq").exists());
}

/// watch checks what it was given before it attaches to anything: a bad
/// profile names its file and line, an unwritable -o its directory.
#[test]
fn watch_refuses_bad_input_before_attaching() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"defaultAction\": 3\n}\n").unwrap();
    let (code, text) = run(&["watch", "--container", "nosuch", "--profile", bad.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("bad.json: line 2"), "{text}");
    let (code, text) = run(&["watch", "--container", "nosuch", "-o", "/nonexistent/dir/lacking.json"]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("/nonexistent/dir does not exist"), "{text}");
}

/// A dynamic executable whose program interpreter is missing from --from is
/// refused before anything is written, naming the interpreter: the image
/// would fail with "exec ...: no such file or directory". With the loader
/// (a link to it, as Debian has) in the root, the check passes.
#[cfg(target_arch = "x86_64")]
#[test]
fn recipe_refuses_a_binary_whose_interpreter_is_not_in_the_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    let out = dir.path().join("recipe");
    let binary = std::fs::canonicalize("/usr/bin/true").unwrap();
    let args = |from: &std::path::Path| {
        let mut cmd = cinch();
        cmd.args(["recipe", "--with-libs", "--binary"]).arg(&binary).arg("--from").arg(from).arg("-o").arg(&out);
        cmd.output().unwrap()
    };
    let refused = args(&root);
    let text = output_text(&refused);
    assert_eq!(refused.status.code(), Some(2), "{text}");
    assert!(text.contains("program interpreter /lib64/ld-linux-x86-64.so.2 is not in"), "{text}");
    assert!(!out.exists(), "nothing is written");
    // The interpreter path as Debian has it: a link into the multiarch directory.
    std::fs::create_dir_all(root.join("usr/lib/x86_64-linux-gnu")).unwrap();
    std::fs::write(root.join("usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"), b"loader").unwrap();
    std::fs::create_dir_all(root.join("lib64")).unwrap();
    std::os::unix::fs::symlink(
        "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        root.join("lib64/ld-linux-x86-64.so.2"),
    )
    .unwrap();
    let text = output_text(&args(&root));
    assert!(!text.contains("program interpreter"), "{text}");
}

/// `--from` a `docker export`-style tarball gives the recipe `--from` its
/// unpacked directory gives, byte for byte.
#[test]
fn recipe_from_a_tarball_is_the_recipe_from_its_directory() {
    let dir = tempfile::tempdir().unwrap();
    let rootfs = dir.path().join("rootfs");
    support::docker::populate_worker_rootfs(&rootfs);
    let tarball = dir.path().join("export.tar");
    let status = std::process::Command::new("tar").arg("-C").arg(&rootfs).arg("-cf").arg(&tarball).arg(".").status();
    assert!(status.unwrap().success());
    let (from_dir, from_tar) = (dir.path().join("a"), dir.path().join("b"));
    for (from, out) in [(&rootfs, &from_dir), (&tarball, &from_tar)] {
        let done = support::docker::worker_recipe(from, out);
        assert!(done.status.success(), "{}", output_text(&done));
    }
    for file in ["MANIFEST", "rootfs.tar", "run.sh", "compose.yaml", "Containerfile"] {
        assert_eq!(std::fs::read(from_dir.join(file)).unwrap(), std::fs::read(from_tar.join(file)).unwrap(), "{file}");
    }
    // Not a tarball: exit 2, naming it, nothing written.
    std::fs::write(dir.path().join("junk.tar"), b"not a tar at all, just text").unwrap();
    let out = dir.path().join("c");
    let refused = support::docker::worker_recipe(&dir.path().join("junk.tar"), &out);
    let text = output_text(&refused);
    assert_eq!(refused.status.code(), Some(2), "{text}");
    assert!(text.contains("junk.tar"), "{text}");
    assert!(!out.exists());
}

/// A hostile tarball's link out of the tree cannot make cinch write (or read)
/// a host file: the entry written through it is refused or lands inside.
#[test]
fn a_tarball_link_pointing_out_of_the_root_writes_nothing_outside() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    let tarball = dir.path().join("hostile.tar");
    let mut builder = tar::Builder::new(std::fs::File::create(&tarball).unwrap());
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    link.set_mode(0o777);
    builder.append_link(&mut link, "usr", &outside).unwrap();
    let mut file = tar::Header::new_gnu();
    file.set_size(5);
    file.set_mode(0o644);
    builder.append_data(&mut file, "usr/planted", &b"owned"[..]).unwrap();
    builder.into_inner().unwrap();
    let out = dir.path().join("recipe");
    let done = support::docker::worker_recipe(&tarball, &out);
    assert!(!outside.join("planted").exists(), "{}", output_text(&done));
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
}
