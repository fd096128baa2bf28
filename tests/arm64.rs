//! arm64 for real, in a guest of Debian's arm64 kernel (`scripts/arm64-vm`):
//! the tracer's own tests (`trace_command`, `trace_files`, cross-built) pass
//! there as on x86_64, and the aarch64 cinch (static) traces an arm64 workload
//! (Debian's arm64 busybox) with the arm64 eBPF object, and Debian's arm64
//! runc runs the workload as a container under (a) the seccomp profile
//! generated from that arm64 trace, and (b) the profile translated for
//! aarch64 from an x86_64 trace of the same workload on this host (`cinch
//! generate seccomp --arch aarch64`). Both start and do the work; calls the
//! workload never made (mkdir, chmod) get EPERM under both. The two
//! allowlists are compared and their difference printed.

mod support;

use cinch_profiles::seccomp::profile::Profile;
use cinch_profiles::{Arch, Trace};
use std::collections::BTreeSet;
use std::process::Command;
use support::guest::GuestRun;
use support::{cinch, output_text, require_root, workspace_root};

/// The workload, a busybox shell: a file written and read back, a listing.
const WORK: &str = "echo made > /tmp/made && cat /tmp/made && ls / >/dev/null && echo work-done";
/// Calls the workload never made, each of which the profiles must refuse.
const ESCAPES: &[&str] = &["/bin/busybox mkdir /tmp/escape", "/bin/busybox chmod 777 /tmp"];

fn allowed(profile_json: &str) -> BTreeSet<String> {
    let profile: Profile = cinch_profiles::seccomp::load(profile_json).expect("a profile");
    profile
        .syscalls
        .iter()
        .filter(|r| r.action == cinch_profiles::seccomp::profile::Action::Allow)
        .flat_map(|r| r.all_names().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// The tracer's test binaries (`trace_command`, `trace_files`), cross-built
/// for aarch64 and static, as `fixtures/build-static.sh` builds cinch.
fn cross_built_tests() -> Vec<std::path::PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace_root())
        .env("CARGO_TARGET_DIR", workspace_root().join("target/static"))
        .env("CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER", "aarch64-linux-gnu-gcc")
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .args(["test", "--no-run", "--release", "--locked", "--target", "aarch64-unknown-linux-gnu"])
        .args(["--message-format", "json", "--test", "trace_command", "--test", "trace_files"])
        .output()
        .unwrap();
    assert!(out.status.success(), "cross-building the tracer's tests: {}", output_text(&out));
    let bins: Vec<std::path::PathBuf> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["kind"][0] == "test")
        .filter_map(|m| m["executable"].as_str().map(std::path::PathBuf::from))
        .collect();
    assert_eq!(bins.len(), 2, "{bins:?}");
    bins
}

#[test]
fn arm64_traces_with_its_own_object_and_both_profiles_hold_under_arm64_runc() {
    if !require_root() {
        return;
    }
    let out = Command::new(workspace_root().join("fixtures/build-static.sh"))
        .args(["aarch64-unknown-linux-gnu", "cinch"])
        .output()
        .unwrap();
    assert!(out.status.success(), "cross-building cinch for aarch64: {}", output_text(&out));
    let built = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let tests = cross_built_tests();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("guest");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(built.join("cinch"), dir.join("cinch")).unwrap();

    // (b): the same workload traced here, on x86_64, translated for aarch64.
    let x86_trace = work.path().join("x86.json");
    let busybox = String::from_utf8(Command::new("sh").args(["-c", "command -v busybox"]).output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string();
    let out = cinch().arg("trace").arg("-o").arg(&x86_trace).args(["--", &busybox, "sh", "-c", WORK]).output().unwrap();
    assert!(out.status.success(), "tracing on x86_64: {}", output_text(&out));
    let out = cinch()
        .args(["generate", "seccomp", "--trace"])
        .arg(&x86_trace)
        .args(["--arch", "aarch64", "--runtime-floor", "runc", "--format", "oci", "-o"])
        .arg(dir.join("translated.json"))
        .output()
        .unwrap();
    assert!(out.status.success(), "translating: {}", output_text(&out));
    let translation_notes = output_text(&out);

    // In the guest: the tracer's own tests, as on every x86_64 kernel of the
    // matrix (they find cinch and the fixtures by the paths they were built
    // with, which --copy recreates there).
    let mut script = String::from("set -u\n");
    script.push_str(&format!("export CINCH_FIXTURES={}\n", built.display()));
    for bin in &tests {
        let name = bin.file_name().unwrap().to_string_lossy().split('-').next().unwrap().to_string();
        script.push_str(&format!(
            "echo '=== {name}'; {} --test-threads=1 --color never 2>&1; echo \"cinch-arm64 {name}=$?\"\n",
            bin.display()
        ));
    }
    // Then (a) traced and generated there, and each profile under runc.
    script.push_str("B=/tmp/bundle; mkdir -p $B/rootfs/bin $B/rootfs/tmp; cp /bin/busybox $B/rootfs/bin/\n");
    script.push_str("ln -s busybox $B/rootfs/bin/sh; (cd $B && runc spec)\n");
    script.push_str(&format!(
        "/work/cinch trace -o /tmp/arm64.json -- /bin/busybox sh -c '{WORK}'; echo \"cinch-arm64 trace=$?\"\n"
    ));
    script.push_str(
        "/work/cinch generate seccomp --trace /tmp/arm64.json --runtime-floor runc --format oci -o /work/traced.json; \
         echo \"cinch-arm64 generate=$?\"\n",
    );
    // config.json for a profile and a command: runc's own spec, edited.
    script.push_str(
        r#"config() {
    { printf '"seccomp": '; cat "$1"; printf ',\n'; } > /tmp/seccomp.part
    args=$(printf '%s' "$2" | sed 's/[&#\\]/\\&/g')
    sed -e 's/"terminal": true/"terminal": false/' -e 's/"readonly": true/"readonly": false/' \
        -e "s#\"sh\"\$#$args#" -e '/"linux": {/r /tmp/seccomp.part' $B/config.json.orig > $B/config.json
}
cp $B/config.json $B/config.json.orig
run() { config "$1" "$2"; runc run --no-pivot --bundle $B c-$3 < /dev/null 2>&1; }
"#,
    );
    for profile in ["traced", "translated"] {
        script.push_str(&format!(
            "echo '=== {profile} work'; run /work/{profile}.json '\"/bin/busybox\", \"sh\", \"-c\", \"{WORK}\"' w-{profile}; \
             echo \"cinch-arm64 {profile}-work=$?\"\n"
        ));
        for (i, escape) in ESCAPES.iter().enumerate() {
            let args: Vec<String> = escape.split(' ').map(|a| format!("\"{a}\"")).collect();
            script.push_str(&format!(
                "echo '=== {profile} escape-{i}'; run /work/{profile}.json '{}' e{i}-{profile}; echo \"cinch-arm64 {profile}-escape-{i}=$?\"\n",
                args.join(", ")
            ));
        }
    }
    script.push_str("echo '=== arm64 trace'; cat /tmp/arm64.json; echo '=== traced profile'; cat /work/traced.json; echo '=== end'\n");
    std::fs::write(dir.join("guest.sh"), &script).unwrap();
    let started = std::time::Instant::now();
    let mut vm = Command::new(workspace_root().join("scripts/arm64-vm"));
    vm.arg("--dir").arg(&dir);
    for file in
        ["cinch", "cinch-probe", "mascot-worker", "mascot-client"].iter().map(|f| built.join(f)).chain(tests.clone())
    {
        vm.arg("--copy").arg(file);
    }
    let out = vm.args(["--", "sh", "/work/guest.sh"]).output().unwrap();
    let run = GuestRun::new(&out, "cinch-arm64");
    let all = &run.all;
    let status = |step: &str| run.status(step);
    let section = |name: &str| run.section(name);
    for step in ["trace_command", "trace_files"] {
        assert_eq!(status(step), Some(0), "{step} failed on arm64:\n{all}");
    }
    let ran: usize = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("test result: ok."))
        .filter_map(|l| l.split_whitespace().nth(3).and_then(|n| n.parse::<usize>().ok()))
        .sum();
    assert!(ran >= 19, "only {ran} tracer tests passed on arm64:\n{all}");
    assert_eq!(status("trace"), Some(0), "{all}");
    assert_eq!(status("generate"), Some(0), "{all}");
    let trace = Trace::from_json(&section("arm64 trace")).unwrap_or_else(|e| panic!("the arm64 trace: {e}\n{all}"));
    assert_eq!(trace.host.arch, Arch::Aarch64);
    assert!(trace.host.kernel_lacks.is_empty(), "{:?}", trace.host.kernel_lacks);
    assert!(
        trace.syscalls.contains_key("openat") && !trace.syscalls.contains_key("open"),
        "{:?}",
        trace.syscalls.keys()
    );
    assert!(trace.files.contains_key("/tmp/made"), "{:?}", trace.files.keys());
    for profile in ["traced", "translated"] {
        assert_eq!(status(&format!("{profile}-work")), Some(0), "{profile}: the workload failed:\n{all}");
        assert!(section(&format!("{profile} work")).contains("work-done"), "{profile}:\n{all}");
        for i in 0..ESCAPES.len() {
            let step = format!("{profile}-escape-{i}");
            assert_ne!(status(&step), Some(0), "{step} succeeded:\n{all}");
            let said = section(&format!("{profile} escape-{i}"));
            assert!(said.contains("Operation not permitted"), "{step}: not EPERM:\n{all}");
        }
    }
    // The two aarch64 allowlists: from the arm64 run, and translated from x86_64.
    let traced = allowed(&section("traced profile"));
    let translated = allowed(&std::fs::read_to_string(dir.join("translated.json")).unwrap());
    let only_traced: Vec<&String> = traced.difference(&translated).collect();
    let only_translated: Vec<&String> = translated.difference(&traced).collect();
    eprintln!("arm64 guest: {:.0} s", started.elapsed().as_secs_f64());
    eprintln!("translation: {translation_notes}");
    eprintln!("only in the arm64 trace's profile: {only_traced:?}");
    eprintln!("only in the translated profile: {only_translated:?}");
}
