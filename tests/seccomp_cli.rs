//! `cinch generate seccomp`, `cinch diff` and `cinch run`: the CLI around the
//! generator, its errors, and a profile enforced on a host command (real
//! eBPF for the trace, the real kernel's seccomp for the enforcement).

mod support;

use std::path::Path;
use support::*;

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = cinch().args(args).output().expect("run cinch");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn sample_trace() -> String {
    workspace_root().join("fixtures/traces/worker-container.json").to_string_lossy().into_owned()
}

fn generate(dir: &Path, name: &str, extra: &[&str]) -> String {
    let output = dir.join(name).to_string_lossy().into_owned();
    let mut args = vec!["generate", "seccomp", "--trace"];
    let trace = sample_trace();
    args.push(&trace);
    args.extend(["-o", &output]);
    args.extend(extra);
    let (code, _, stderr) = run(&args);
    assert_eq!(code, Some(0), "{stderr}");
    output
}

#[test]
fn every_format_is_written_and_docker_is_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let docker = std::fs::read_to_string(generate(dir.path(), "p.json", &[])).unwrap();
    assert!(docker.contains("\"archMap\""), "{docker}");
    let oci = std::fs::read_to_string(generate(dir.path(), "p.oci.json", &["--format", "oci"])).unwrap();
    assert!(oci.contains("\"architectures\"") && !oci.contains("archMap"), "{oci}");
    let k8s = std::fs::read_to_string(generate(dir.path(), "p.yaml", &["--format", "k8s"])).unwrap();
    assert!(k8s.contains("kind: \"SeccompProfile\"") && k8s.contains("name: \"mascot-worker\""), "{k8s}");
    assert!(k8s.contains("localhostProfile: operator/mascot-worker.json"), "{k8s}");
}

#[test]
fn a_bad_trace_is_refused_with_its_file_and_line_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    let good = std::fs::read_to_string(sample_trace()).unwrap();
    std::fs::write(&bad, good.replace("\"accept4\"", "\"accept5\"")).unwrap();
    let output = dir.path().join("out.json");
    std::fs::write(&output, "previous profile").unwrap();
    let (code, _, stderr) =
        run(&["generate", "seccomp", "--trace", bad.to_str().unwrap(), "-o", output.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("bad.json: line ") && stderr.contains("\"accept5\" is not a syscall on x86_64"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "previous profile", "output was touched");
}

#[test]
fn diff_is_quiet_on_equal_profiles_and_exits_1_when_one_grows() {
    let dir = tempfile::tempdir().unwrap();
    let a = generate(dir.path(), "a.json", &[]);
    let b = generate(dir.path(), "b.json", &["--runtime-floor", "none"]);
    let (code, stdout, _) = run(&["diff", &a, &a]);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(stdout.starts_with("same:"), "{stdout}");

    // Without the floor, fchown (runc's) is gone.
    let (code, stdout, _) = run(&["diff", &b, &a]);
    assert_eq!(code, Some(1));
    assert!(stdout.contains("  + fchown: allow (any arguments)"), "{stdout}");

    // An OCI config.json with the profile inside compares equal to it.
    let oci = generate(dir.path(), "o.json", &["--format", "oci"]);
    let config = dir.path().join("config.json");
    let seccomp: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&oci).unwrap()).unwrap();
    let wrapped = serde_json::json!({"ociVersion": "1.0.2", "linux": {"seccomp": seccomp}});
    std::fs::write(&config, wrapped.to_string()).unwrap();
    let (code, stdout, stderr) = run(&["diff", &a, config.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
}

#[test]
fn diff_refuses_what_is_not_a_profile_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let a = generate(dir.path(), "a.json", &[]);
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\n  \"defaultAction\": \"SCMP_ACT_ERRNO\",\n  \"syscalls\": [\n    {\"names\": [\"read\"], \"action\": \"SCMP_ACT_PERHAPS\"}\n  ]\n}\n").unwrap();
    let (code, _, stderr) = run(&["diff", &a, broken.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("broken.json: line 4, column") && stderr.contains("SCMP_ACT_PERHAPS"), "{stderr}");

    let other = dir.path().join("other.json");
    std::fs::write(&other, "{\"hello\": 1}").unwrap();
    let (code, _, stderr) = run(&["diff", &a, other.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("other.json: line 1: not a seccomp profile"), "{stderr}");
}

#[test]
fn run_enforces_the_profile_of_a_traced_command() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let probe = fixture("cinch-probe");
    let probe = probe.to_str().unwrap();
    let trace = dir.path().join("noop.json");
    let (code, _, stderr) = run(&["trace", "-o", trace.to_str().unwrap(), "--", probe, "noop"]);
    assert_eq!(code, Some(0), "{stderr}");
    let profile = dir.path().join("noop.seccomp.json");
    let (code, _, stderr) =
        run(&["generate", "seccomp", "--trace", trace.to_str().unwrap(), "-o", profile.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");
    let profile = profile.to_str().unwrap();

    // What was traced passes.
    let (code, stdout, stderr) = run(&["run", "--seccomp", profile, "--", probe, "noop"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert_eq!(stdout, "noop ok\n");
    // One syscall more (keyctl) is denied with EPERM; the probe says so.
    let (code, stdout, _) = run(&["run", "--seccomp", profile, "--", probe, "noop", "keyctl"]);
    assert_eq!(code, Some(1), "{stdout}");
    assert_eq!(stdout, "noop ok\nkeyctl errno=1 (Operation not permitted (os error 1))\n");
    // The Kubernetes form of the same profile is applied alike.
    let k8s = dir.path().join("noop.yaml");
    let (code, _, stderr) = run(&[
        "generate",
        "seccomp",
        "--format",
        "k8s",
        "--name",
        "noop",
        "--trace",
        trace.to_str().unwrap(),
        "-o",
        k8s.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let (code, stdout, stderr) = run(&["run", "--seccomp", k8s.to_str().unwrap(), "--", probe, "noop", "keyctl"]);
    assert_eq!(code, Some(1), "{stdout}{stderr}");
    assert_eq!(stdout, "noop ok\nkeyctl errno=1 (Operation not permitted (os error 1))\n");
    // The control: without the profile, keyctl is not refused with EPERM.
    let out = std::process::Command::new(probe).arg("keyctl").output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains("errno=1 "), "{}", output_text(&out));
}

#[test]
fn run_refuses_an_unreadable_profile() {
    let (code, _, stderr) = run(&["run", "--seccomp", "/nonexistent/p.json", "--", "/bin/true"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("cannot read /nonexistent/p.json"), "{stderr}");
}

#[test]
fn run_keeps_the_threaded_worker_serving_under_its_own_profile() {
    if !require_root() {
        return;
    }
    // The worker's profile has two kinds of rule (allow, and clone3 ->
    // ENOSYS), so cinch run stacks two filters; the worker's threads must
    // still start (through clone, after clone3's ENOSYS).
    let dir = tempfile::tempdir().unwrap();
    let node = node_dir(dir.path());
    let fasta = demo_fasta(&node);
    let worker = fixture("mascot-worker");
    let trace = dir.path().join("worker.json");
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let node_arg = node.to_str().unwrap();
    let tracing = Tracing::start(&[
        "-o",
        trace.to_str().unwrap(),
        "--",
        worker.to_str().unwrap(),
        "--listen",
        &listen,
        "--node-dir",
        node_arg,
        "--jobs",
        "1",
    ]);
    run_job(port, &fasta, "traced");
    assert_eq!(tracing.finish().0, 0);
    let profile = dir.path().join("worker.seccomp.json");
    let (code, _, stderr) =
        run(&["generate", "seccomp", "--trace", trace.to_str().unwrap(), "-o", profile.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}");

    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut confined = cinch()
        .args(["run", "--seccomp", profile.to_str().unwrap(), "--"])
        .arg(&worker)
        .args(["--listen", &listen, "--node-dir", node_arg, "--jobs", "1"])
        .spawn()
        .unwrap();
    run_job(port, &fasta, "confined");
    assert!(confined.wait().unwrap().success());
}

/// YAML, typed as Kubernetes reads it (ints, bools, strings), as JSON.
fn yaml_to_json(yaml: &yaml_rust2::Yaml) -> serde_json::Value {
    use yaml_rust2::Yaml;
    match yaml {
        Yaml::Hash(map) => serde_json::Value::Object(
            map.iter().map(|(k, v)| (k.as_str().expect("string keys").to_string(), yaml_to_json(v))).collect(),
        ),
        Yaml::Array(items) => serde_json::Value::Array(items.iter().map(yaml_to_json).collect()),
        Yaml::String(s) => serde_json::Value::String(s.clone()),
        Yaml::Integer(i) => serde_json::json!(i),
        Yaml::Real(r) => serde_json::json!(r.parse::<f64>().expect("a real")),
        Yaml::Boolean(b) => serde_json::Value::Bool(*b),
        _ => serde_json::Value::Null,
    }
}

/// Every key of `value` is one the OpenAPI `schema` names (kubectl's strict
/// field validation, on by default since Kubernetes 1.27).
fn unknown_fields(value: &serde_json::Value, schema: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            // metadata is the API server's (its schema lists no properties).
            let Some(properties) = schema.get("properties").and_then(|p| p.as_object()) else { return };
            if schema.get("x-kubernetes-preserve-unknown-fields").is_some() {
                return;
            }
            for (key, item) in map {
                match properties.get(key) {
                    Some(sub) => unknown_fields(item, sub, &format!("{at}.{key}"), out),
                    None if at.is_empty() && matches!(key.as_str(), "apiVersion" | "kind" | "metadata") => {}
                    None => out.push(format!("{at}.{key}")),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                unknown_fields(
                    item,
                    schema.get("items").unwrap_or(&serde_json::Value::Null),
                    &format!("{at}[{i}]"),
                    out,
                );
            }
        }
        _ => {}
    }
}

#[test]
fn the_kubernetes_form_applies_to_both_versions_of_the_operators_crd() {
    let dir = tempfile::tempdir().unwrap();
    let output = generate(dir.path(), "worker.yaml", &["--format", "k8s", "--name", "mascot-worker"]);
    let text = std::fs::read_to_string(&output).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).expect("the output is YAML");
    assert_eq!(docs.len(), 1, "one document, so that kubectl apply -f takes it whole:\n{text}");
    let resource = yaml_to_json(&docs[0]);
    assert_eq!(resource["kind"], "SeccompProfile");
    assert!(resource["metadata"].get("namespace").is_none(), "SeccompProfile is cluster-scoped: {resource}");
    assert!(text.contains("localhostProfile: operator/mascot-worker.json"), "{text}");

    let crd_text =
        std::fs::read_to_string(workspace_root().join("fixtures/reference/spo-seccompprofile-crd.yaml")).unwrap();
    let crd = yaml_to_json(&yaml_rust2::YamlLoader::load_from_str(&crd_text).unwrap()[0]);
    assert_eq!(crd["spec"]["scope"], "Cluster");
    for version in crd["spec"]["versions"].as_array().unwrap() {
        let name = version["name"].as_str().unwrap();
        let schema = &version["schema"]["openAPIV3Schema"];
        let mut object = resource.clone();
        object["apiVersion"] = format!("security-profiles-operator.x-k8s.io/{name}").into();
        let validator = jsonschema::validator_for(schema).expect("the CRD schema compiles");
        let errors: Vec<String> =
            validator.iter_errors(&object).map(|e| format!("{}: {e}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        let mut unknown = Vec::new();
        unknown_fields(&object, schema, "", &mut unknown);
        assert!(unknown.is_empty(), "{name}: fields the CRD does not have: {unknown:?}");
    }
    // The check itself: a field the CRD lacks is caught.
    let mut bad = resource.clone();
    bad["spec"]["defaultErrnoRet"] = 1.into();
    let mut unknown = Vec::new();
    unknown_fields(&bad, &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"], "", &mut unknown);
    assert_eq!(unknown, [".spec.defaultErrnoRet"]);
}
