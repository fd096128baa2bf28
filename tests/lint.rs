//! `cinch lint` as CI runs it: every rule fires on its bad fixture and stays
//! silent on its good one, golden output in each format, SARIF against the
//! SARIF 2.1.0 schema, what cinch generates for the worker lints without an
//! error, Docker's own profiles lint as artifacts cinch did not write, and
//! hostile input never panics. AA009 uses the real apparmor_parser.

mod support;

use std::path::{Path, PathBuf};
use support::*;

/// `cinch lint ARGS` from the workspace root: (exit code, stdout, stderr).
fn lint(args: &[&str]) -> (Option<i32>, String, String) {
    lint_in(&workspace_root(), args)
}

fn lint_in(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = cinch().arg("lint").args(args).current_dir(dir).output().expect("run cinch lint");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The rule IDs of a `--format json` report.
fn rule_ids(json: &str) -> Vec<String> {
    let report: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    report["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

/// `bad` or `good` for a rule: a file `NAME.*` or a directory `NAME/`.
fn rule_fixture(rule: &str, name: &str) -> Option<PathBuf> {
    let dir = Path::new("fixtures/lint/rules").join(rule);
    let entries = std::fs::read_dir(workspace_root().join(&dir)).ok()?;
    entries
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|f| f == name || f.starts_with(&format!("{name}.")))
        .map(|f| dir.join(f))
}

#[test]
fn every_rule_fires_on_its_bad_fixture_and_not_on_its_good_one() {
    let parser_missing =
        !Path::new("/usr/sbin/apparmor_parser").exists() && !Path::new("/sbin/apparmor_parser").exists();
    let rules = cinch_profiles::lint::rules::all();
    assert!(rules.len() >= 45, "{} rules", rules.len());
    let mut failures = Vec::new();
    for rule in &rules {
        if rule.id == "AA009" && !require("apparmor_parser", !parser_missing) {
            continue;
        }
        for (which, must_fire) in [("bad", true), ("good", false)] {
            let Some(path) = rule_fixture(rule.id, which) else {
                failures.push(format!("{}: no {which} fixture in fixtures/lint/rules/{}/", rule.id, rule.id));
                continue;
            };
            let (code, stdout, stderr) = lint(&["--format", "json", "--fail-on", "note", path.to_str().unwrap()]);
            assert!(matches!(code, Some(0 | 1)), "{}: exit {code:?}: {stderr}", path.display());
            let fired = rule_ids(&stdout).iter().any(|id| id == rule.id);
            if fired != must_fire {
                failures.push(format!(
                    "{}: {} {}:\n{stdout}",
                    rule.id,
                    path.display(),
                    if must_fire { "did not fire" } else { "fired" }
                ));
            }
        }
    }
    // No fixture directory without a rule (a renamed or removed rule).
    for entry in std::fs::read_dir(workspace_root().join("fixtures/lint/rules")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !rules.iter().any(|r| r.id == name) {
            failures.push(format!("fixtures/lint/rules/{name}: no such rule"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn golden_output_in_every_format() {
    for format in ["tty", "json", "sarif", "github"] {
        let (code, stdout, stderr) = lint(&["--format", format, "fixtures/lint/sample"]);
        assert_eq!(code, Some(1), "errors in the sample give exit 1: {stderr}");
        let stdout = stdout.replace(env!("CARGO_PKG_VERSION"), "[version]");
        insta::assert_snapshot!(format!("lint_sample_{format}"), stdout);
    }
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(workspace_root().join("fixtures/reference/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the SARIF schema compiles");
    let (_, stdout, _) = lint(&["--format", "sarif", "fixtures/lint/sample", "fixtures/lint/rules"]);
    let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(&sarif).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    // What GitHub code scanning needs beyond the schema: relative URIs, lines, rule help.
    let run = &sarif["runs"][0];
    assert!(run["tool"]["driver"]["rules"].as_array().unwrap().iter().all(|r| r["help"]["text"].is_string()));
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        let severity: f64 = rule["properties"]["security-severity"].as_str().unwrap().parse().unwrap();
        assert!((0.1..=10.0).contains(&severity), "{rule}");
    }
    let mut fingerprints = std::collections::BTreeSet::new();
    for result in run["results"].as_array().unwrap() {
        let fingerprint = result["partialFingerprints"]["cinchFindingHash/v1"].as_str().unwrap();
        fingerprints.insert(fingerprint.to_string());
        let location = &result["locations"][0]["physicalLocation"];
        let uri = location["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.contains("://"), "{uri}");
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    assert!(fingerprints.len() > 40, "fingerprints tell findings apart: {}", fingerprints.len());
    // The same run gives the same fingerprints (GitHub matches alerts across runs by them).
    let (_, again, _) = lint(&["--format", "sarif", "fixtures/lint/sample", "fixtures/lint/rules"]);
    assert_eq!(again, stdout);
    // A validator that accepts anything would prove nothing.
    let mut broken = sarif.clone();
    broken["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(validator.iter_errors(&broken).next().is_some());
}

#[test]
fn what_cinch_generates_for_the_worker_lints_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let generate = |args: &[&str]| {
        let output = cinch().args(args).output().unwrap();
        assert!(output.status.success(), "cinch {args:?}: {}", output_text(&output));
    };
    let s = |p: PathBuf| p.to_str().unwrap().to_string();
    let traces = ["worker-container", "worker-files", "worker-host"];
    for trace in traces {
        let trace_path = s(workspace_root().join(format!("fixtures/traces/{trace}.json")));
        for format in ["docker", "oci"] {
            let file = s(out.join(format!("{trace}-{format}.json")));
            generate(&["generate", "seccomp", "--trace", &trace_path, "--format", format, "-o", &file]);
        }
        let file = s(out.join(format!("{trace}-k8s.yaml")));
        generate(&["generate", "seccomp", "--trace", &trace_path, "--format", "k8s", "--name", "w", "-o", &file]);
        generate(&[
            "generate",
            "apparmor",
            "--trace",
            &trace_path,
            "--name",
            "mascot-worker",
            "-o",
            &s(out.join(format!("{trace}.apparmor"))),
        ]);
    }
    // The OCI format is the linux.seccomp object: lint it inside a config.json.
    for trace in traces {
        let seccomp: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join(format!("{trace}-oci.json"))).unwrap()).unwrap();
        std::fs::remove_file(out.join(format!("{trace}-oci.json"))).unwrap();
        let config = serde_json::json!({
            "ociVersion": "1.0.2",
            "process": {"user": {"uid": 10001, "gid": 10001}, "args": ["/usr/local/bin/mascot-worker"], "noNewPrivileges": true,
                        "capabilities": {"bounding": [], "effective": [], "permitted": []}},
            "root": {"path": "rootfs", "readonly": true},
            "linux": {"namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
                      "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
                      "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"],
                      "seccomp": seccomp}
        });
        std::fs::create_dir_all(out.join(format!("oci-{trace}"))).unwrap();
        std::fs::write(out.join(format!("oci-{trace}/config.json")), serde_json::to_string_pretty(&config).unwrap())
            .unwrap();
    }
    let subuid = out.join("etc-subuid");
    std::fs::write(&subuid, "").unwrap();
    generate(&[
        "generate",
        "userns",
        "--user",
        "mascot-worker",
        "--subuid",
        &s(subuid.clone()),
        "--subgid",
        &s(subuid),
        "-o",
        &s(out.join("userns")),
    ]);
    generate(&[
        "cluster",
        "--nodes",
        &s(workspace_root().join("fixtures/cluster/nodes.toml")),
        "-o",
        &s(out.join("cluster")),
    ]);
    let rootfs = out.join("rootfs");
    support::docker::populate_worker_rootfs(&rootfs);
    generate(&[
        "recipe",
        "--binary",
        &s(fixture("mascot-worker")),
        "--trace",
        &s(workspace_root().join("fixtures/traces/worker-files.json")),
        "--from",
        &s(rootfs.clone()),
        "-o",
        &s(out.join("recipe")),
    ]);
    std::fs::remove_dir_all(&rootfs).unwrap();

    let (code, stdout, stderr) = lint(&["--format", "json", out.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let files = report["summary"]["files"].as_u64().unwrap();
    // 6 seccomp + 3 OCI + 3 Kubernetes + 3 AppArmor + userns (daemon.json, subuid, subgid, setup.sh)
    // + recipe (Containerfile x2, run.sh, compose.yaml, seccomp.json) + cluster scripts.
    assert!(files >= 23, "only {files} files were recognised: {stdout}");
    let k8s = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"].as_str().is_some_and(|p| p.ends_with("-k8s.yaml")));
    assert_eq!(k8s.filter(|f| f["rule"] == "LINT001").count(), 0, "{stdout}");
    assert_eq!(report["summary"]["errors"], 0, "{stdout}");
}

#[test]
fn dockers_own_profiles_lint_with_warnings_only() {
    let (code, stdout, stderr) = lint(&[
        "--format",
        "json",
        "fixtures/reference/docker-default-seccomp.json",
        "fixtures/reference/docker-default.apparmor",
    ]);
    assert_eq!(code, Some(0), "no errors: {stdout}{stderr}");
    let ids = rule_ids(&stdout);
    assert!(ids.contains(&"SEC003".to_string()), "Docker allows ptrace on kernels >= 4.8: {stdout}");
    assert!(ids.contains(&"AA008".to_string()), "docker-default has `file,`: {stdout}");
    assert!(ids.contains(&"AA010".to_string()), "docker-default has `capability,`: {stdout}");
    assert!(!ids.contains(&"SEC005".to_string()), "every name in Docker's profile is a syscall somewhere: {stdout}");
    let (code, _, _) = lint(&["--fail-on", "warning", "fixtures/reference/docker-default-seccomp.json"]);
    assert_eq!(code, Some(1), "--fail-on warning fails on warnings");
}

#[test]
fn usage_and_io_errors_exit_2_and_keep_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "nothing to see").unwrap();
    let (code, _, stderr) = lint(&[notes.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("notes.txt: cannot tell what kind of file this is; give --kind"), "{stderr}");

    let (code, _, stderr) = lint(&["/nonexistent/seccomp.json"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot read /nonexistent/seccomp.json"), "{stderr}");

    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[severity]\nDF008 = \"loud\"\n").unwrap();
    let report = dir.path().join("report.json");
    std::fs::write(&report, "previous").unwrap();
    let (code, _, stderr) =
        lint(&["--config", config.to_str().unwrap(), "-o", report.to_str().unwrap(), "fixtures/lint/sample"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("bad.toml: line 2: severity of DF008"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&report).unwrap(), "previous", "the previous report is kept");

    let (code, stdout, _) = lint(&["--format", "json", "-o", report.to_str().unwrap(), "fixtures/lint/sample"]);
    assert_eq!(code, Some(1));
    assert!(stdout.is_empty());
    assert!(std::fs::read_to_string(&report).unwrap().contains("\"findings\""));
}

#[test]
fn config_ignores_and_overrides() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("run.sh"),
        "#!/bin/sh\ndocker run --cap-drop ALL --security-opt no-new-privileges -p 5001:5001 --privileged w\n",
    )
    .unwrap();
    let (code, stdout, _) = lint_in(dir.path(), &["--format", "json", "."]);
    assert_eq!(code, Some(1));
    assert_eq!(rule_ids(&stdout), ["RUN010", "RUN001"], "sorted by position");

    std::fs::write(
        dir.path().join(".cinch.toml"),
        "[[ignore]]\npath = \"*.sh\"\nrule = \"RUN001\"\nreason = \"the test rig needs it\"\n\n[severity]\nRUN010 = \"error\"\n",
    )
    .unwrap();
    let (code, stdout, _) = lint_in(dir.path(), &["--format", "json", "."]);
    assert_eq!(code, Some(1));
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(rule_ids(&stdout), ["RUN010"]);
    assert_eq!(report["findings"][0]["severity"], "error");
    assert_eq!(report["summary"]["suppressed"], 1);
}

#[test]
fn hostile_and_truncated_input_never_panics() {
    let dir = tempfile::tempdir().unwrap();
    let sample = workspace_root().join("fixtures/lint/sample");
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let kinds = ["seccomp", "oci", "apparmor", "daemon-json", "subid", "dockerfile", "compose", "shell"];
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(&sample).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let bytes = std::fs::read(path).unwrap();
        for cut in [0, 1, bytes.len() / 3, bytes.len() / 2, bytes.len().saturating_sub(1)] {
            let path = dir.path().join(format!("cut{}", paths.len()));
            std::fs::write(&path, &bytes[..cut]).unwrap();
            paths.push(path);
        }
    }
    for _ in 0..24 {
        let len = (next() % 300) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| (next() % 256) as u8).collect();
        let path = dir.path().join(format!("random{}", paths.len()));
        std::fs::write(&path, bytes).unwrap();
        paths.push(path);
    }
    for kind in kinds {
        let mut args = vec!["--format", "json", "--kind", kind];
        args.extend(paths.iter().map(|p| p.to_str().unwrap()));
        let (code, stdout, stderr) = lint(&args);
        assert!(matches!(code, Some(0 | 1)), "--kind {kind}: exit {code:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        serde_json::from_str::<serde_json::Value>(&stdout).unwrap();
    }
}

#[test]
fn explain_prints_a_rule_and_lists_them() {
    let out = cinch().args(["explain", "SEC001"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("SEC001 permissive-default (seccomp, error)"), "{text}");
    assert!(text.contains("Why it matters:"));
    let out = cinch().arg("explain").output().unwrap();
    let list = String::from_utf8_lossy(&out.stdout);
    assert_eq!(list.lines().count(), cinch_profiles::lint::rules::all().len());
    let out = cinch().args(["explain", "NOPE1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(output_text(&out).contains("no rule \"NOPE1\""));
}

#[test]
fn the_readme_lists_every_rule() {
    let readme = std::fs::read_to_string(workspace_root().join("README.md")).unwrap();
    for rule in cinch_profiles::lint::rules::all() {
        let row =
            format!("| {} | {} | {} | {} | {} |", rule.id, rule.name, rule.group.as_str(), rule.severity, rule.summary);
        assert!(readme.contains(&row), "README.md lacks the row:\n{row}");
    }
}

/// Each rule's findings on its bad fixture, linted in process (no binary, as
/// ruff tests its rules), with line, column and message, one golden file per
/// rule: a change to what a rule says or where it points shows in review.
/// AA009 needs apparmor_parser, LINT003 the CLI's reference following and LINT004 its reading;
/// both are covered through the binary above.
#[test]
fn each_rules_findings_on_its_bad_fixture() {
    use cinch_profiles::lint::{self, kind, Config, Env, Linted};
    for rule in cinch_profiles::lint::rules::all() {
        if matches!(rule.id, "AA009" | "LINT003" | "LINT004") {
            continue;
        }
        let fixture = workspace_root().join(rule_fixture(rule.id, "bad").expect("a bad fixture"));
        let files: Vec<PathBuf> = if fixture.is_dir() {
            let mut files: Vec<PathBuf> =
                std::fs::read_dir(&fixture).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_file()).collect();
            files.sort();
            files
        } else {
            vec![fixture.clone()]
        };
        let mut linted = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).unwrap();
            let name = file.strip_prefix(workspace_root()).unwrap().display().to_string();
            let kind = kind::detect(file, &text).unwrap_or_else(|| panic!("{name}: kind not detected"));
            let lint = lint::lint_file(kind, &name, text.as_bytes(), &Env::default());
            linted.push(Linted { path: name, kind, text, lint });
        }
        let report = lint::finish(&linted, Vec::new(), &Config::default());
        let mut text = String::new();
        for finding in report.findings.iter().filter(|f| f.rule == rule.id) {
            text.push_str(&format!("{}:{}:{}: {}\n", finding.path, finding.pos.line, finding.pos.col, finding.message));
        }
        assert!(!text.is_empty(), "{} does not fire on {}", rule.id, fixture.display());
        insta::assert_snapshot!(format!("rule_{}", rule.id), text);
    }
}

/// The pre-commit hook, run as pre-commit runs it: its entry, with the
/// changed files appended; and the documented GitHub workflow is a workflow
/// cinch reads.
#[test]
fn the_pre_commit_hook_and_the_github_workflow_work_as_documented() {
    let hooks = std::fs::read_to_string(workspace_root().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks = yaml_rust2::YamlLoader::load_from_str(&hooks).unwrap();
    let hook = &hooks[0][0];
    assert_eq!(hook["id"].as_str(), Some("cinch-lint"));
    assert_eq!(hook["language"].as_str(), Some("system"));
    let entry: Vec<&str> = hook["entry"].as_str().unwrap().split_whitespace().collect();
    assert_eq!(entry[0], "cinch");
    let run_hook = |files: &[&str]| {
        let out = cinch().args(&entry[1..]).args(files).current_dir(workspace_root()).output().unwrap();
        (out.status.code(), output_text(&out))
    };
    let (code, text) = run_hook(&["fixtures/lint/rules/RUN001/bad.sh", "fixtures/lint/rules/SEC001/bad.json"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("RUN001") && text.contains("SEC001"), "{text}");
    let (code, text) = run_hook(&["fixtures/lint/rules/RUN001/good.sh"]);
    assert_eq!(code, Some(0), "{text}");

    let (code, stdout, stderr) = lint(&["--kind", "workflow", "--format", "json", "docs/ci/github-workflow.yml"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["summary"]["files"], 1, "{stdout}");
}
