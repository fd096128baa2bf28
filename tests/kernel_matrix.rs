//! The kernel matrix: the tracer where users run it. In a guest of each of
//! Debian's kernels (`scripts/vm --kernel`: 5.10 of Debian 11, 6.1 of
//! Debian 12, 6.12 of Debian 13; the host's own kernel is the fourth, where
//! the whole suite runs), with this machine's filesystem as the guest's:
//!
//! - the tracer's own test binaries run unchanged: `trace_command` (a
//!   command and its children, lost events never silent, a storm bounded,
//!   Ctrl-C, signals across users...) and `trace_files` (paths resolved in
//!   the kernel, names given, directories looked up, sockets, capabilities
//!   from ids and modes, a chrooted process); their Docker cases skip, as the
//!   guest has no dockerd;
//! - a container under runc is traced as its own root sees it;
//! - on 5.10 the compatibility programs load, the note names what the kernel
//!   lacks and what that costs, and the trace records it (`host.kernel_lacks`);
//!   on the others the full programs load and the trace lacks nothing.

mod support;

use cinch_profiles::Trace;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::guest::GuestRun;
use support::{fixtures, output_text, require_root, workspace_root};

/// The test binaries run in each guest: built beside this one (the same
/// profile, in the same deps directory; cargo builds every test target
/// before running any), the newest of each name. Not `cargo test --no-run`
/// from here: cargo holds the build directory's lock while tests run.
fn tracer_test_binaries() -> Vec<PathBuf> {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap();
    ["trace_command", "trace_files"]
        .iter()
        .map(|name| {
            let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(deps)
                .unwrap()
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    let file = p.file_name().unwrap().to_string_lossy().to_string();
                    file.strip_prefix(&format!("{name}-"))
                        .is_some_and(|hash| hash.chars().all(|c| c.is_ascii_hexdigit()))
                })
                .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
                .collect();
            found.sort();
            found.pop().unwrap_or_else(|| panic!("no {name} test binary in {}", deps.display())).1
        })
        .collect()
}

/// A runc bundle of a busybox container that writes a file and lists its root.
fn busybox_bundle(dir: &Path) {
    let rootfs = dir.join("rootfs");
    for sub in ["bin", "tmp", "proc", "dev", "sys"] {
        std::fs::create_dir_all(rootfs.join(sub)).unwrap();
    }
    let busybox =
        String::from_utf8(Command::new("sh").args(["-c", "command -v busybox"]).output().unwrap().stdout).unwrap();
    std::fs::copy(busybox.trim(), rootfs.join("bin/busybox")).unwrap();
    std::os::unix::fs::symlink("busybox", rootfs.join("bin/sh")).unwrap();
    let out = Command::new("runc").args(["spec", "--bundle"]).arg(dir).output().unwrap();
    assert!(out.status.success(), "runc spec: {}", output_text(&out));
    let path = dir.join("config.json");
    let mut config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    config["process"]["terminal"] = false.into();
    config["process"]["args"] =
        serde_json::json!(["/bin/busybox", "sh", "-c", "echo made > /tmp/made && /bin/busybox ls / >/dev/null"]);
    config["root"]["readonly"] = false.into();
    std::fs::write(&path, config.to_string()).unwrap();
}

fn matrix_kernel(kernel: &str) {
    if !require_root() {
        return;
    }
    let work = tempfile::Builder::new().prefix("cinch-matrix").tempdir_in("/tmp").unwrap();
    let bundle = work.path().join("bundle");
    busybox_bundle(&bundle);
    let cinch = env!("CARGO_BIN_EXE_cinch");
    let mut script = String::from("set -u\nmount -t cgroup2 none /sys/fs/cgroup\n");
    script.push_str(&format!("export CINCH_FIXTURES={}\n", fixtures().display()));
    script.push_str(&format!("cd {}\n", workspace_root().display()));
    for bin in tracer_test_binaries() {
        let name = bin.file_name().unwrap().to_string_lossy().split('-').next().unwrap().to_string();
        script.push_str(&format!(
            "echo '=== {name}'; {} --test-threads=1 --color never 2>&1; echo \"cinch-matrix {name}=$?\"\n",
            bin.display()
        ));
    }
    script.push_str(&format!(
        "echo '=== container'; {cinch} trace -o /tmp/container.json -- runc run --bundle {} matrix 2>&1 < /dev/null; \
         echo \"cinch-matrix container=$?\"; echo '=== container trace'; cat /tmp/container.json; echo '=== end'\n",
        bundle.display()
    ));
    std::fs::write(work.path().join("guest.sh"), &script).unwrap();
    let started = std::time::Instant::now();
    let out = Command::new(workspace_root().join("scripts/vm"))
        .args(["--kernel", kernel, "--", "bash"])
        .arg(work.path().join("guest.sh"))
        .output()
        .unwrap();
    let run = GuestRun::new(&out, "cinch-matrix");
    let (all, stdout) = (&run.all, &run.stdout);
    let status = |step: &str| run.status(step);
    for step in ["trace_command", "trace_files", "container"] {
        assert_eq!(status(step), Some(0), "Linux {kernel}: {step} failed in the guest:\n{all}");
    }
    // Every test ran (none skipped but Docker's), none failed.
    let ran: usize = stdout
        .lines()
        .filter(|l| l.starts_with("test result: ok."))
        .filter_map(|l| l.split_whitespace().nth(3).and_then(|n| n.parse::<usize>().ok()))
        .sum();
    assert!(ran >= 19, "Linux {kernel}: only {ran} tests passed:\n{all}");
    let trace_text = run.section("container trace");
    let trace = Trace::from_json(&trace_text).unwrap_or_else(|e| panic!("Linux {kernel}: container trace: {e}\n{all}"));
    assert!(trace.host.kernel.starts_with(kernel), "{}", trace.host.kernel);
    // The container's files as its root sees them, and what it made.
    assert!(trace.executions.contains_key("/bin/busybox"), "{:?}", trace.executions.keys());
    let made = trace.files.get("/tmp/made").unwrap_or_else(|| panic!("{:?}", trace.files.keys()));
    assert!(made.access.contains(&cinch_profiles::trace::Access::Create), "{made:?}");
    let note = stdout.lines().find(|l| l.starts_with("cinch: note: this kernel"));
    if kernel == "5.10" {
        for lacking in ["bpf_loop", "task storage", "bpf_find_vma", "bpf_get_current_task_btf"] {
            assert!(trace.host.kernel_lacks.iter().any(|l| l == lacking), "{:?}", trace.host.kernel_lacks);
        }
        let note = note.unwrap_or_else(|| panic!("no note of what 5.10 lacks:\n{all}"));
        assert!(note.contains("paths deeper than 128 directories are marked truncated"), "{note}");
    } else {
        assert!(trace.host.kernel_lacks.is_empty(), "{:?}", trace.host.kernel_lacks);
        assert!(note.is_none(), "{note:?}");
    }
    eprintln!("Linux {kernel}: guest run {:.0} s, {ran} tests passed", started.elapsed().as_secs_f64());
}

#[test]
fn the_tracer_works_on_debian_11s_kernel_5_10() {
    matrix_kernel("5.10");
}

#[test]
fn the_tracer_works_on_debian_12s_kernel_6_1() {
    matrix_kernel("6.1");
}

#[test]
fn the_tracer_works_on_debian_13s_kernel_6_12() {
    matrix_kernel("6.12");
}
