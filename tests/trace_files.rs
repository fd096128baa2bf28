//! Files, executions and sockets in the trace, with the paths the target
//! sees: resolved in the kernel (real eBPF, as root) whatever relative path,
//! dirfd, symlink, bind mount or chroot led to them.

mod support;

use cinch_profiles::trace::{Access, NetOp, Trace, IN_PLACE, OUTSIDE};
use std::path::Path;
use std::process::Command;
use support::docker::*;
use support::*;

fn access(trace: &Trace, path: &str) -> Vec<Access> {
    match trace.files.get(path) {
        Some(usage) => usage.access.iter().copied().collect(),
        None => panic!("{path:?} not in files: {:#?}", trace.files.keys().collect::<Vec<_>>()),
    }
}

fn has_all(trace: &Trace, path: &str, wanted: &[Access]) {
    let seen = access(trace, path);
    for a in wanted {
        assert!(seen.contains(a), "{path}: {a:?} missing from {seen:?}");
    }
}

/// The tree `cinch-probe file-tour=DIR` expects.
fn tour_tree(dir: &Path) {
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(dir.join("mnt")).unwrap();
    std::fs::write(dir.join("rel.txt"), "rel").unwrap();
    std::fs::write(dir.join("sub/in-sub.txt"), "in sub").unwrap();
    std::fs::write(dir.join("sub/target.txt"), "target").unwrap();
    std::os::unix::fs::symlink("sub/target.txt", dir.join("link")).unwrap();
    std::fs::write(dir.join("src/bound.txt"), "bound").unwrap();
}

#[test]
fn file_paths_are_resolved_in_the_kernel() {
    if !require_root() || !require("unshare and mount (util-linux)", which("unshare")) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().canonicalize().unwrap();
    tour_tree(&dir);
    let d = dir.to_str().unwrap().to_string();
    let output = dir.join("trace.json");
    // In a mount namespace of its own, with dir/src bound on dir/mnt.
    let script =
        format!("mount --bind '{d}/src' '{d}/mnt' && exec '{}' 'file-tour={d}'", fixture("cinch-probe").display());
    let tracing = Tracing::start(&["-o", output.to_str().unwrap(), "--", "unshare", "-m", "sh", "-c", &script]);
    let (code, stderr) = tracing.finish();
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(" 0 lost events"), "{stderr}");
    let trace = read_trace(&output);

    // `../rel.txt` after chdir(sub), `in-sub.txt` relative to a dirfd.
    has_all(&trace, &format!("{d}/rel.txt"), &[Access::Read, Access::Lock]);
    has_all(&trace, &format!("{d}/sub/in-sub.txt"), &[Access::Read]);
    // The symlink's target is what was opened; the link itself is not a file read.
    has_all(&trace, &format!("{d}/sub/target.txt"), &[Access::Read]);
    assert!(!trace.files.contains_key(&format!("{d}/link")));
    // Through the bind mount: the path the process used, not the source.
    has_all(&trace, &format!("{d}/mnt/bound.txt"), &[Access::Read]);
    assert!(!trace.files.contains_key(&format!("{d}/src/bound.txt")));
    // A newline, a space and braces, byte-exact in the documented encoding.
    let odd = cinch_profiles::path::encode(&[d.as_bytes(), b"/odd\nname {x}"].concat());
    assert!(odd.ends_with("/odd%0Aname {x}"), "{odd}");
    has_all(&trace, &odd, &[Access::Write, Access::Create, Access::Truncate]);
    // Deeper than PATH_MAX: kept as its end, flagged, never a wrong whole path.
    // mkdirat names the directory it makes: flagged a directory all the same.
    let first_level = format!("{d}/{}", "d".repeat(250));
    has_all(&trace, &first_level, &[Access::Create]);
    assert!(trace.files[&first_level].directory, "{first_level}: {:?}", trace.files[&first_level]);
    let leaf: Vec<(&String, _)> = trace.files.iter().filter(|(p, _)| p.ends_with("/leaf.txt")).collect();
    assert_eq!(leaf.len(), 1, "{leaf:?}");
    let (leaf_path, leaf_use) = leaf[0];
    assert!(leaf_use.truncated && !leaf_path.starts_with('/'), "{leaf_path}: {leaf_use:?}");
    assert!(leaf_use.access.contains(&Access::Create));
    assert!(trace.files.keys().all(|p| p.starts_with('/') || trace.files[p].truncated));
    // The failed open is kept apart, with its errno.
    let missing = &trace.failed_files[&format!("{d}/missing.txt")];
    assert_eq!(missing.errors.iter().collect::<Vec<_>>(), ["ENOENT"]);
    assert!(!trace.files.contains_key(&format!("{d}/missing.txt")));
    // Executions and which tree ran them: unshare execs sh, which execs the
    // probe, all in the process cinch started (each in place of the one
    // before: the command itself ran them); sh forks mount.
    let probe = fixture("cinch-probe").canonicalize().unwrap();
    let probe_exec = &trace.executions[probe.to_str().unwrap()];
    assert_eq!(probe_exec.parents.iter().collect::<Vec<_>>(), [IN_PLACE], "{probe_exec:?}");
    let unshare = &trace.executions[&resolve("unshare")];
    assert_eq!(unshare.parents.iter().collect::<Vec<_>>(), [OUTSIDE], "the command cinch started: {unshare:?}");
    let sh = resolve("sh");
    let mount = &trace.executions[&resolve("mount")];
    assert_eq!(mount.parents.iter().collect::<Vec<_>>(), [&sh], "{mount:?}");
    assert!(mount.argv0.contains("mount"));
    has_all(&trace, probe.to_str().unwrap(), &[Access::Exec, Access::MmapExec]);
    // And the file round-trips byte for byte.
    let text = std::fs::read_to_string(&output).unwrap();
    assert_eq!(Trace::from_json(&text).unwrap().to_json(), text);
}

/// A directory looked up by stat is in the trace (an image must have it); a
/// file only stat'ed is not (most stats are of files); an open keeps its
/// name as given where a symbolic link led to the file.
#[test]
fn directories_looked_up_and_names_given_are_recorded() {
    if !require_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    std::fs::create_dir(root.join("checked")).unwrap();
    std::fs::write(root.join("file"), b"x").unwrap();
    std::os::unix::fs::symlink("file", root.join("alias")).unwrap();
    let output = root.join("trace.json");
    let r = root.display();
    let script = format!("test -d {r}/checked && test -f {r}/file && cat {r}/alias >/dev/null");
    let tracing = Tracing::start(&["-o", output.to_str().unwrap(), "--", "sh", "-c", &script]);
    let (code, stderr) = tracing.finish();
    assert_eq!(code, 0, "{stderr}");
    let trace = read_trace(&output);
    let checked = trace.files.get(&format!("{r}/checked")).expect("the directory looked up");
    assert!(checked.directory && checked.access.contains(&Access::Stat), "{checked:?}");
    let file = trace.files.get(&format!("{r}/file")).expect("the file cat read");
    assert!(!file.access.contains(&Access::Stat), "a file's stat is not kept: {file:?}");
    assert!(file.names.contains(&format!("{r}/alias")), "the name cat opened it by: {file:?}");
}

/// Root changing the mode of a file it does not own (by name, as chmod(1)
/// does, and by fd) needed CAP_FOWNER; writing a file, or making a name in a
/// directory, whose mode gives it no permission needed CAP_DAC_OVERRIDE (the
/// mkdir checked in user space, the create in the kernel); its own files and
/// directories needed neither. The
/// trace says which file needed what, and the AppArmor profile gets the
/// capabilities with notes naming them.
#[test]
fn capabilities_past_ownership_and_mode_are_recorded() {
    if !require_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    for name in ["theirs", "theirs-by-fd", "locked", "mine"] {
        std::fs::write(root.join(name), b"x").unwrap();
    }
    let nobody = |name: &str, mode: u32| {
        let path = root.join(name);
        std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
    };
    nobody("theirs", 0o644);
    nobody("theirs-by-fd", 0o644);
    nobody("locked", 0o600);
    std::fs::create_dir(root.join("their-dir")).unwrap();
    nobody("their-dir", 0o755);
    let output = root.join("trace.json");
    let r = root.display();
    let script = format!(
        "chmod 600 {r}/theirs && chmod 600 {r}/mine && echo y >> {r}/locked && \
         perl -e 'open(my $f, \"<\", \"{r}/theirs-by-fd\") or die; chmod(0600, $f) or die' && \
         mkdir {r}/their-dir/made && echo z > {r}/their-dir/written && mkdir {r}/my-dir"
    );
    let tracing = Tracing::start(&["-o", output.to_str().unwrap(), "--", "sh", "-c", &script]);
    let (code, stderr) = tracing.finish();
    assert_eq!(code, 0, "{stderr}");
    let trace = read_trace(&output);
    let needed = |name: &str| {
        let file = trace.files.get(&format!("{r}/{name}")).unwrap_or_else(|| panic!("{name} not in the trace"));
        file.capabilities.iter().cloned().collect::<Vec<_>>()
    };
    // Not nobody's group's member either: the kernel asks for fsetid too.
    assert_eq!(needed("theirs"), ["fowner", "fsetid"], "chmod by name of nobody's file");
    assert_eq!(needed("theirs-by-fd"), ["fowner", "fsetid"], "fchmod of nobody's file");
    assert_eq!(needed("locked"), ["dac_override"], "appending to nobody's 0600 file");
    assert_eq!(needed("mine"), Vec::<String>::new(), "chmod of root's own file");
    assert_eq!(needed("their-dir/made"), ["dac_override"], "mkdir in nobody's 0755 directory");
    assert_eq!(needed("their-dir/written"), ["dac_override"], "a file created in nobody's 0755 directory");
    assert_eq!(needed("my-dir"), Vec::<String>::new(), "mkdir in root's own directory");
    let profile_path = root.join("profile");
    let out =
        cinch().args(["generate", "apparmor", "--trace"]).arg(&output).arg("-o").arg(&profile_path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let profile = std::fs::read_to_string(&profile_path).unwrap();
    for rule in ["capability fowner,", "capability fsetid,", "capability dac_override,"] {
        assert!(profile.contains(rule), "{rule} missing:\n{profile}");
    }
    let notes = String::from_utf8_lossy(&out.stderr);
    assert!(notes.contains("capability fowner: the workload changed the mode of"), "{notes}");
    let shown = cinch().arg("show").arg(&output).output().unwrap();
    assert!(String::from_utf8_lossy(&shown.stdout).contains("[needed fowner, needed fsetid]"));
}

#[test]
fn sockets_bound_listened_on_and_connected_to() {
    if !require_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    // The sockets are bound through a symbolic link to a directory, as
    // /var/run -> /run: the trace has the name given and the file made.
    std::fs::create_dir(root.join("real")).unwrap();
    std::os::unix::fs::symlink("real", root.join("link")).unwrap();
    let dir = root.join("link");
    let d = dir.to_str().unwrap();
    let output = root.join("trace.json");
    let tour = format!("net-tour={d}");
    let probe = fixture("cinch-probe");
    let tracing = Tracing::start(&["-o", output.to_str().unwrap(), "--", probe.to_str().unwrap(), &tour]);
    let (code, stderr) = tracing.finish();
    assert_eq!(code, 0, "{stderr}");
    let trace = read_trace(&output);
    let find = |op: NetOp, family: &str, address: &str| {
        trace.network.iter().find(|e| e.op == op && e.family == family && e.address == address)
    };
    let listen = find(NetOp::Listen, "inet", "127.0.0.1").expect("the TCP listener");
    assert_eq!(listen.socket_type, "stream");
    let port = listen.port.expect("a port");
    assert_ne!(port, 0, "listen reports the port the kernel chose");
    let connect = find(NetOp::Connect, "inet", "127.0.0.1").expect("the connection");
    assert_eq!(connect.port, Some(port));
    assert!(find(NetOp::Bind, "unix", &format!("{d}/probe.sock")).is_some(), "{:#?}", trace.network);
    assert!(find(NetOp::Bind, "unix", "%00cinch-probe").is_some(), "{:#?}", trace.network);
    let made = format!("{}/real/probe.sock", root.display());
    let socket = trace.files.get(&made).unwrap_or_else(|| panic!("{made} not in {:#?}", trace.files.keys()));
    assert!(socket.access.contains(&Access::Create), "{socket:?}");
}

#[test]
fn worker_in_docker_as_the_container_sees_it() {
    if !require_root() || !require("a running dockerd (DOCKER_HOST)", docker_ready()) {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let output = tmp.path().join("worker.json");
    let name = format!("cinch-files-test-{}", std::process::id());
    let _container = Container(name.clone());
    // No network: the worker listens on 5001 in its own namespace, and the
    // client runs next to it through docker exec.
    let mut tracing = Tracing::start(&[
        "-o",
        output.to_str().unwrap(),
        "--",
        "docker",
        "run",
        "--rm",
        "--name",
        &name,
        "--network",
        "none",
        worker_image(),
        "--listen",
        "0.0.0.0:5001",
        "--jobs",
        "1",
    ]);
    let fasta = format!("{IMAGE_NODE_DIR}/sequence/demo/current/demo.fasta");
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let out = Command::new("docker")
            .args(["exec", &name, "/usr/local/bin/mascot-client", "search", "--addr", "127.0.0.1:5001"])
            .args(["--db", "demo", "--id", "files-job", "--wait", "30", "--fasta", &fasta])
            .output()
            .unwrap();
        // The worker serves one job and exits, and --rm removes it: the
        // exec'd client can finish before docker exec hears back, so a
        // finished trace also ends the loop (the trace shows the job ran).
        let cinch_done = tracing.child.try_wait().unwrap().is_some();
        if out.status.success() || cinch_done {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job never ran: {}\ncinch:\n{}",
            output_text(&out),
            tracing.stderr_text()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let (code, stderr) = tracing.finish();
    assert_eq!(code, 0, "{stderr}");
    let trace = read_trace(&output);

    let worker = "/usr/local/bin/mascot-worker";
    has_all(&trace, worker, &[Access::Exec, Access::MmapExec]);
    assert!(trace.executions[worker].parents.contains(OUTSIDE), "started by the runtime");
    assert!(trace.executions[worker].argv0.contains(worker));
    has_all(&trace, &fasta, &[Access::Read]);
    has_all(&trace, &format!("{IMAGE_NODE_DIR}/results/files-job.txt"), &[Access::Write, Access::Create]);
    let listens: Vec<_> = trace.network.iter().filter(|e| e.op == NetOp::Listen).collect();
    assert!(
        listens.iter().any(|e| e.family == "inet" && e.address == "0.0.0.0" && e.port == Some(5001)),
        "{listens:#?}"
    );
    // Container paths only: nothing of the host's overlay or runtime state,
    // except what runc itself touches outside the root after installing the
    // filter (its exec fifo), which is flagged as such.
    let outside: Vec<&String> = trace.files.iter().filter(|(_, f)| f.outside_root).map(|(p, _)| p).collect();
    assert!(outside.iter().all(|p| p.ends_with("/exec.fifo")), "{outside:#?}");
    for (path, _) in trace.files.iter().filter(|(_, f)| !f.outside_root) {
        assert!(!path.contains("/var/lib/docker") && !path.contains("cinch-dockerd"), "host path {path}");
    }
    for path in trace.failed_files.keys() {
        assert!(!path.contains("/var/lib/docker") && !path.contains("cinch-dockerd"), "host path {path}");
    }
}

/// The real path of a program on PATH.
fn resolve(program: &str) -> String {
    let out = Command::new("sh").args(["-c", &format!("realpath \"$(command -v {program})\"")]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn which(program: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {program}")]).output().is_ok_and(|o| o.status.success())
}

/// After `chroot DIR`, a file is named as its mount namespace has it (what
/// AppArmor mediates and an image holds), never by the name inside the
/// chroot: `chroot x probe open=/etc/secret` is `x/etc/secret`, marked.
#[test]
fn a_chrooted_process_is_traced_with_the_namespace_paths() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let jail = dir.path().canonicalize().unwrap().join("jail");
    std::fs::create_dir_all(jail.join("etc")).unwrap();
    std::fs::write(jail.join("etc/secret"), "in the jail\n").unwrap();
    std::fs::copy(fixture("cinch-probe"), jail.join("probe")).unwrap();
    let output = dir.path().join("chroot.json");
    let out = cinch()
        .args(["trace", "-o"])
        .arg(&output)
        .args(["--", "chroot"])
        .arg(&jail)
        .args(["/probe", "open=/etc/secret", "open=/etc/missing", "open=etc/secret"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let trace = read_trace(&output);
    let inside = format!("{}/etc/secret", jail.display());
    let used = trace.files.get(&inside).unwrap_or_else(|| panic!("{inside} not in {:#?}", trace.files.keys()));
    assert!(used.chrooted, "{used:?}");
    assert!(!trace.files.contains_key("/etc/secret"), "the chroot's name leaked out as a host path");
    let missing = format!("{}/etc/missing", jail.display());
    assert!(trace.failed_files.contains_key(&missing), "{:#?}", trace.failed_files.keys());
    assert!(!trace.failed_files.contains_key("/etc/missing"));
}
