//! `cinch recipe` against real Docker: the generated FROM-scratch image is
//! built with `docker build`, run with the generated run.sh (read-only root,
//! no capabilities, no-new-privileges, the generated seccomp profile), and
//! must serve the job as a non-root user with nothing more in it than the
//! recipe lists.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use support::docker::{docker, docker_ready, populate_worker_rootfs, worker_recipe, Container, IMAGE_NODE_DIR};
use support::{cinch, output_text, require, require_root, PATIENCE};

/// What Docker itself puts in every container's filesystem (`docker export`).
const DOCKER_ADDED: &[&str] = &[
    ".dockerenv",
    "dev",
    "dev/console",
    "dev/pts",
    "dev/shm",
    "etc/hostname",
    "etc/hosts",
    "etc/mtab",
    "etc/resolv.conf",
    "proc",
    "sys",
];

/// `docker build` of a recipe directory's Containerfile, tagged `image`.
fn build_image(recipe: &Path, image: &str) {
    docker(&[
        "build",
        "-q",
        "-f",
        recipe.join("Containerfile").to_str().unwrap(),
        "-t",
        image,
        recipe.to_str().unwrap(),
    ]);
}

fn manifest_paths(dir: &Path) -> BTreeSet<String> {
    std::fs::read_to_string(dir.join("MANIFEST"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').next().unwrap())
        .map(|l| l.splitn(3, ' ').nth(2).unwrap().split(" -> ").next().unwrap().trim_start_matches('/').to_string())
        .collect()
}

fn status_field(pid: &str, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with(&format!("{field}:"))).unwrap();
    line.split_once(':').unwrap().1.trim().to_string()
}

#[test]
fn the_recipe_builds_runs_hardened_and_holds_only_its_files() {
    if !require_root() || !require("a running dockerd (DOCKER_HOST)", docker_ready()) {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let rootfs = work.path().join("rootfs");
    populate_worker_rootfs(&rootfs);
    let recipe = work.path().join("recipe");
    let out = worker_recipe(&rootfs, &recipe);
    assert!(out.status.success(), "{}", output_text(&out));
    let image = format!("cinch-test/recipe:{}", std::process::id());
    build_image(&recipe, &image);

    // The image holds exactly the recipe's entries (plus what Docker adds to any container).
    let created = docker(&["create", &image]);
    let _created = Container(created.clone());
    let mut export = Command::new("docker").args(["export", &created]).stdout(Stdio::piped()).spawn().unwrap();
    let listing = Command::new("tar").arg("-t").stdin(export.stdout.take().unwrap()).output().unwrap();
    assert!(export.wait().unwrap().success(), "docker export failed");
    let mut exported: BTreeSet<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .map(|l| l.trim_end_matches('/').to_string())
        .filter(|l| !l.is_empty() && !DOCKER_ADDED.contains(&l.as_str()))
        .collect();
    exported.remove("etc"); // Docker adds etc/ for its files; the recipe has it for passwd
    let mut listed = manifest_paths(&recipe);
    listed.remove("etc");
    assert_eq!(exported, listed, "docker export differs from the recipe's MANIFEST");
    assert!(!listed.iter().any(|p| p.ends_with("/sh") || p.contains("busybox")));
    assert!(!listed.contains("usr/local/bin/cinch-probe"), "the probe is in the rootfs but not in the trace");

    // Run it with the generated run.sh; the worker serves until removed.
    let _ = Command::new("docker").args(["volume", "rm", "-f", "mascot-worker-results"]).output();
    let name = format!("cinch-recipe-{}", std::process::id());
    let _container = Container(name.clone());
    let mut run = Command::new("sh")
        .arg(recipe.join("run.sh"))
        .args(["--jobs", "0"])
        .env("IMAGE", &image)
        .env("NAME", &name)
        // The test daemon has no bridge network to publish on (design.md).
        .env("NETWORK", "none")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + PATIENCE;
    let pid = loop {
        let out = Command::new("docker").args(["inspect", "--format", "{{.State.Pid}}", &name]).output().unwrap();
        let pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if out.status.success() && pid != "0" {
            break pid;
        }
        assert!(std::time::Instant::now() < deadline, "the container did not start");
        if let Ok(Some(status)) = run.try_wait() {
            let mut stderr = String::new();
            std::io::Read::read_to_string(run.stderr.as_mut().unwrap(), &mut stderr).unwrap();
            panic!("run.sh exited with {status}: {stderr}");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    // Non-root, no capabilities, no new privileges, seccomp on, root read-only.
    assert_eq!(status_field(&pid, "Uid"), "10001\t10001\t10001\t10001");
    assert_eq!(status_field(&pid, "CapEff"), "0000000000000000");
    assert_eq!(status_field(&pid, "CapPrm"), "0000000000000000");
    assert_eq!(status_field(&pid, "NoNewPrivs"), "1");
    assert_eq!(status_field(&pid, "Seccomp"), "2");
    let mountinfo = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap();
    let root = mountinfo.lines().find(|l| l.split(' ').nth(4) == Some("/")).unwrap();
    assert!(root.split(' ').nth(5).unwrap().split(',').any(|o| o == "ro"), "root not read-only: {root}");
    assert_eq!(docker(&["inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", &name]), "true");
    // No shell to exec.
    let shell = Command::new("docker").args(["exec", &name, "/bin/sh", "-c", "true"]).output().unwrap();
    assert!(!shell.status.success());
    assert!(output_text(&shell).contains("no such file"), "{}", output_text(&shell));
    // The job, with the client the trace showed run through docker exec.
    let fasta = format!("{IMAGE_NODE_DIR}/sequence/demo/current/demo.fasta");
    let job = Command::new("docker")
        .args(["exec", &name, "/usr/local/bin/mascot-client", "search", "--addr", "127.0.0.1:5001", "--db", "demo"])
        .args(["--fasta", &fasta, "--id", "hardened", "--wait", "30"])
        .output()
        .unwrap();
    assert!(job.status.success(), "the job failed: {}", output_text(&job));
    assert!(output_text(&job).contains("0 expected peptides missing"), "{}", output_text(&job));
    // Its result went to the volume (named by the recipe), written by the non-root user.
    let mountpoint = docker(&["volume", "inspect", "--format", "{{.Mountpoint}}", "mascot-worker-results"]);
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(Path::new(&mountpoint).join("hardened.txt")).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (10001, 10001));
    drop(_container);
    let _ = run.wait();
    let _ = Command::new("docker").args(["volume", "rm", "-f", "mascot-worker-results"]).output();
    let _ = Command::new("docker").args(["rmi", "-f", &image]).output();
}

#[test]
fn a_dynamic_executable_is_refused_then_shipped_with_its_libraries() {
    let dir = tempfile::tempdir().unwrap();
    let recipe = dir.path().join("true");
    let out = cinch().args(["recipe", "--binary", "/usr/bin/true", "-o"]).arg(&recipe).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let text = output_text(&out);
    assert!(
        text.contains("dynamically linked") && text.contains("libc.so.6") && text.contains("--with-libs"),
        "{text}"
    );
    assert!(!recipe.exists());

    let out = cinch().args(["recipe", "--binary", "/usr/bin/true", "--with-libs", "-o"]).arg(&recipe).output().unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let listed = manifest_paths(&recipe);
    assert!(listed.iter().any(|p| p.ends_with("/libc.so.6")), "{listed:?}");
    assert!(listed.iter().any(|p| p.contains("ld-linux")), "{listed:?}");
    if !require_root() || !require("a running dockerd (DOCKER_HOST)", docker_ready()) {
        return;
    }
    let image = format!("cinch-test/true:{}", std::process::id());
    build_image(&recipe, &image);
    let run = Command::new("docker").args(["run", "--rm", "--network", "none", &image]).output().unwrap();
    assert!(run.status.success(), "the vendor-style image does not run: {}", output_text(&run));
    let _ = Command::new("docker").args(["rmi", "-f", &image]).output();
}

#[test]
fn not_an_elf_and_missing_data_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("tool.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    let out = cinch().args(["recipe", "--binary"]).arg(&script).arg("-o").arg(dir.path().join("r")).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(output_text(&out).contains("not an ELF executable"), "{}", output_text(&out));

    // The trace read files that --from does not hold.
    let out = worker_recipe(dir.path(), &dir.path().join("r"));
    assert_eq!(out.status.code(), Some(2));
    assert!(output_text(&out).contains("demo.fasta"), "{}", output_text(&out));
    assert!(!dir.path().join("r").exists());
}
