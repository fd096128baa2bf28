//! The generated user-namespace remap in a real dockerd: a second daemon
//! started with the generated daemon.json (`userns-remap`), after the
//! generated setup.sh created the user, added the subuid/subgid lines and
//! chowned the results volume. The worker's container root must be an
//! unprivileged host uid, and the job must still succeed.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use support::docker::{populate_worker_rootfs, IMAGE_NODE_DIR};
use support::{cinch, output_text, require, require_root, workspace_root, PATIENCE};

const USER: &str = "cinch-remap-test";

/// Puts /etc/subuid, /etc/subgid back as they were and removes the test user.
struct HostState {
    files: Vec<(PathBuf, Option<Vec<u8>>)>,
}

impl HostState {
    fn save() -> HostState {
        let files =
            ["/etc/subuid", "/etc/subgid"].into_iter().map(|f| (PathBuf::from(f), std::fs::read(f).ok())).collect();
        HostState { files }
    }
}

impl Drop for HostState {
    fn drop(&mut self) {
        for (path, content) in &self.files {
            match content {
                Some(bytes) => drop(std::fs::write(path, bytes)),
                None => drop(std::fs::remove_file(path)),
            }
        }
        let _ = Command::new("userdel").arg(USER).output();
    }
}

/// A private dockerd with extra flags, stopped on drop.
struct Daemon {
    dir: PathBuf,
    host: String,
}

impl Daemon {
    fn start(dir: &Path, args: &str) -> Daemon {
        let out = Command::new(workspace_root().join("scripts/dockerd.sh"))
            .arg("start")
            .env("CINCH_DOCKERD_DIR", dir)
            .env("CINCH_DOCKERD_ARGS", args)
            .output()
            .unwrap();
        let log = std::fs::read_to_string(dir.join("dockerd.log")).unwrap_or_default();
        assert!(out.status.success(), "dockerd with {args} did not start: {}\n{log}", output_text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let host = stdout.trim().strip_prefix("export DOCKER_HOST=").expect("DOCKER_HOST line").to_string();
        Daemon { dir: dir.to_path_buf(), host }
    }

    fn docker(&self, args: &[&str]) -> String {
        let out = Command::new("docker").env("DOCKER_HOST", &self.host).args(args).output().unwrap();
        assert!(out.status.success(), "docker {args:?} failed: {}", output_text(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new(workspace_root().join("scripts/dockerd.sh"))
            .arg("stop")
            .env("CINCH_DOCKERD_DIR", &self.dir)
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn uid_line(status: &str) -> Vec<u64> {
    let line = status.lines().find(|l| l.starts_with("Uid:")).expect("Uid line");
    line.split_whitespace().skip(1).map(|v| v.parse().unwrap()).collect()
}

#[test]
fn the_worker_runs_as_an_unprivileged_host_uid_under_the_generated_remap() {
    let tools = ["dockerd", "useradd", "userdel"].iter().all(|t| which(t));
    if !require_root() || !require("dockerd, useradd and userdel", tools) {
        return;
    }
    let _restore = HostState::save();
    let _ = Command::new("userdel").arg(USER).output();
    let work = tempfile::tempdir().unwrap();
    let results = work.path().join("results");
    std::fs::create_dir(&results).unwrap();
    let out_dir = work.path().join("userns");
    let volume = format!("{}:{IMAGE_NODE_DIR}/results", results.display());

    // Generate from the real host files and the worker's trace.
    let out = cinch()
        .args(["generate", "userns", "--user", USER, "--trace"])
        .arg(workspace_root().join("fixtures/traces/worker-files.json"))
        .args(["--volume", &volume, "-o"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let line = std::fs::read_to_string(out_dir.join("subuid")).unwrap();
    let start: u64 = line.trim().split(':').nth(1).unwrap().parse().unwrap();
    assert!(start >= 100_000, "{line}");
    let setup = std::fs::read_to_string(out_dir.join("setup.sh")).unwrap();
    assert!(setup.contains(&format!("chown -R {start}:{start} -- {}", results.display())), "{setup}");

    // Apply it as a user would.
    let out = Command::new("sh").arg(out_dir.join("setup.sh")).output().unwrap();
    assert!(out.status.success(), "setup.sh: {}", output_text(&out));
    let subuid = std::fs::read_to_string("/etc/subuid").unwrap();
    assert!(subuid.lines().any(|l| l == line.trim()), "{subuid}");
    // Running it twice adds nothing.
    assert!(Command::new("sh").arg(out_dir.join("setup.sh")).status().unwrap().success());
    assert_eq!(std::fs::read_to_string("/etc/subuid").unwrap(), subuid);

    let config = out_dir.join("daemon.json");
    let daemon = Daemon::start(&work.path().join("dockerd"), &format!("--config-file {}", config.display()));
    let info = daemon.docker(&["info", "--format", "{{json .SecurityOptions}}"]);
    assert!(info.contains("userns"), "dockerd does not report userns: {info}");

    // The worker image, imported into this daemon's remapped store.
    let rootfs = work.path().join("rootfs");
    populate_worker_rootfs(&rootfs);
    let tarball = work.path().join("rootfs.tar");
    assert!(Command::new("tar").arg("-C").arg(&rootfs).arg("-cf").arg(&tarball).arg(".").status().unwrap().success());
    let image = "cinch-test/mascot-worker:userns";
    daemon.docker(&[
        "import",
        "--change",
        r#"ENTRYPOINT ["/usr/local/bin/mascot-worker"]"#,
        tarball.to_str().unwrap(),
        image,
    ]);

    let name = format!("cinch-userns-{}", std::process::id());
    daemon.docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--network",
        "none",
        "-v",
        &volume,
        image,
        "--listen",
        "0.0.0.0:5001",
        "--jobs",
        "1",
    ]);
    let pid = daemon.docker(&["inspect", "--format", "{{.State.Pid}}", &name]);

    // Container uid 0 is host uid `start`, and nothing is mapped to host root.
    let uid_map = std::fs::read_to_string(format!("/proc/{pid}/uid_map")).unwrap();
    let fields: Vec<u64> = uid_map.split_whitespace().map(|v| v.parse().unwrap()).collect();
    assert_eq!(fields, [0, start, 65_536], "uid_map: {uid_map}");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    assert_eq!(uid_line(&status), [start; 4], "the worker's host uids");

    // The job still succeeds, and its result lands in the chowned volume.
    let fasta = format!("{IMAGE_NODE_DIR}/sequence/demo/current/demo.fasta");
    let deadline = std::time::Instant::now() + PATIENCE;
    let done = loop {
        let out = Command::new("docker")
            .env("DOCKER_HOST", &daemon.host)
            .args(["exec", &name, "/usr/local/bin/mascot-client", "search", "--addr", "127.0.0.1:5001"])
            .args(["--db", "demo", "--fasta", &fasta, "--id", "remapped", "--wait", "10"])
            .output()
            .unwrap();
        if out.status.success() || results.join("remapped.txt").exists() {
            break true;
        }
        if std::time::Instant::now() > deadline {
            eprintln!("last attempt: {}", output_text(&out));
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert!(done, "the job did not succeed under the remap");
    let result = results.join("remapped.txt");
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(&result).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (start as u32, start as u32), "the result file's host owner");
    let _ = Command::new("docker").env("DOCKER_HOST", &daemon.host).args(["rm", "-f", &name]).output();
}

fn which(tool: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).chain(["/usr/sbin".into(), "/sbin".into()]).any(|d| d.join(tool).is_file())
}
