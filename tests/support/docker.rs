//! The real dockerd the container tests use (started by .ci/run, found via
//! DOCKER_HOST), and the FROM-scratch worker image they run.

use super::{cinch, demo_fasta, fixture, output_text, workspace_root};
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

/// The docker CLI talking to the daemon of DOCKER_HOST, if one answers.
pub fn docker_ready() -> bool {
    Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs the docker CLI; panics with its output unless it succeeds.
pub fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("run docker");
    assert!(out.status.success(), "docker {args:?} failed: {}", output_text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Where the image keeps the worker's node directory.
pub const IMAGE_NODE_DIR: &str = "/usr/local/mascotnode";

/// FROM-scratch worker image made with `docker import` (no registry here):
/// the static worker and probe, and the demo database in the node directory.
pub fn worker_image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let root = tempfile::tempdir().unwrap();
        let rootfs = root.path().join("rootfs");
        populate_worker_rootfs(&rootfs);
        let tarball = root.path().join("rootfs.tar");
        let status = Command::new("tar").arg("-C").arg(&rootfs).arg("-cf").arg(&tarball).arg(".").status().unwrap();
        assert!(status.success());
        let image = "cinch-test/mascot-worker:trace";
        docker(&[
            "import",
            "--change",
            r#"ENTRYPOINT ["/usr/local/bin/mascot-worker"]"#,
            tarball.to_str().unwrap(),
            image,
        ]);
        image.to_string()
    })
}

/// The worker image's files: the static worker, client and probe in /usr/local/bin,
/// the demo database and a results directory in the node directory.
pub fn populate_worker_rootfs(rootfs: &Path) {
    let bin = rootfs.join("usr/local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    for name in ["mascot-worker", "mascot-client", "cinch-probe"] {
        std::fs::copy(fixture(name), bin.join(name)).unwrap();
    }
    let node = rootfs.join(IMAGE_NODE_DIR.trim_start_matches('/'));
    let status = Command::new(fixture("mascot-client")).args(["gen-db", "-o"]).arg(demo_fasta(&node)).status().unwrap();
    assert!(status.success());
    std::fs::create_dir_all(node.join("results")).unwrap();
}

/// `cinch recipe` for the worker fixture and its recorded trace, its files from `from`.
pub fn worker_recipe(from: &Path, out: &Path) -> std::process::Output {
    cinch()
        .args(["recipe", "--binary"])
        .arg(fixture("mascot-worker"))
        .arg("--trace")
        .arg(workspace_root().join("fixtures/traces/worker-files.json"))
        .arg("--from")
        .arg(from)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

/// Removes the container however the test ends.
pub struct Container(pub String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

/// Runs the probe's `actions` in a fresh container of `image` (the probe at
/// `probe` inside it, `extra` docker run options before the image) under
/// `seccomp`, with the capabilities they need (not ALL: this machine's root
/// lacks CAP_SYS_RESOURCE, which runc cannot then grant), so that only
/// seccomp can say no; returns what it printed.
pub fn probe_in_container(image: &str, probe: &str, seccomp: &str, extra: &[&str], actions: &[&str]) -> String {
    let mut args = vec!["run", "--rm", "--network", "none", "--cap-add", "SYS_ADMIN", "--cap-add", "SYS_PTRACE"];
    args.extend(["--cap-add", "NET_RAW", "--security-opt", seccomp]);
    args.extend(extra);
    args.extend(["--entrypoint", probe, image]);
    args.extend(actions);
    let out = Command::new("docker").args(&args).output().unwrap();
    // Exit 1 means "something got EPERM": expected here; anything else is not.
    assert!(matches!(out.status.code(), Some(0 | 1)), "probe container failed: {}", output_text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
