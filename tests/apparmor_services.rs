//! The AppArmor profiles cinch generates for real services, enforced where
//! AppArmor enforces: Debian's nginx, PostgreSQL and Redis are profiled in
//! the host's Docker (driver and routine operation rehearsed), then run in
//! one guest of Debian's own kernel (`scripts/apparmor-vm`) by runc, each
//! confined by its generated profile through `process.apparmorProfile` as
//! Docker confines it, on the proving-ground image's files (an overlay over
//! the host's copy). In the guest each serves its driver with 0 errors, does
//! its routine operation (through `runc exec`, as `docker exec`), and the
//! guest's audit log has no DENIED line for any of it; then escapes in each
//! confined container (a shell, writing under /etc, reading /etc/shadow)
//! are denied and logged, so the harness is shown able to fail.

mod support;

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use support::docker::{docker_ready, populate_worker_rootfs, worker_image};
use support::guest::GuestRun;
use support::services::{config_dir, profile, Service, SERVICES};
use support::{cinch, demo_fasta, fixture, free_port, node_dir, output_text, require, require_root, workspace_root};

/// The profile's name, from its `profile NAME ...` line.
fn profile_name(text: &str) -> String {
    let line = text.lines().find(|l| l.starts_with("profile ")).expect("a profile line");
    line.split_whitespace().nth(1).unwrap().to_string()
}

/// uid:gid of `user` in the rootfs's /etc/passwd (root when none is given).
fn ids(rootfs: &Path, service: &Service) -> (u32, u32) {
    let Some(at) = service.options.iter().position(|o| *o == "--user") else { return (0, 0) };
    let user = service.options[at + 1];
    let passwd = std::fs::read_to_string(rootfs.join("etc/passwd")).unwrap();
    let fields: Vec<&str> = passwd.lines().find(|l| l.starts_with(&format!("{user}:"))).unwrap().split(':').collect();
    (fields[2].parse().unwrap(), fields[3].parse().unwrap())
}

/// An OCI bundle's config.json as Docker would write it for a container: the
/// container shares the guest's network (the host network of the profiling
/// run), has Docker's default capabilities, the config directory at /cinch,
/// and the generated AppArmor profile.
fn config(args: &[&str], root: &str, (uid, gid): (u32, u32), apparmor: &str) -> serde_json::Value {
    let caps = [
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FSETID",
        "CAP_FOWNER",
        "CAP_MKNOD",
        "CAP_NET_RAW",
        "CAP_SETGID",
        "CAP_SETUID",
        "CAP_SETFCAP",
        "CAP_SETPCAP",
        "CAP_NET_BIND_SERVICE",
        "CAP_SYS_CHROOT",
        "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ];
    let caps = if uid == 0 { caps.to_vec() } else { Vec::new() };
    serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {
            "terminal": false,
            "user": { "uid": uid, "gid": gid },
            "args": args,
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/"],
            "cwd": "/",
            "capabilities": { "bounding": caps, "effective": caps, "permitted": caps },
            "apparmorProfile": apparmor,
            "noNewPrivileges": false
        },
        "root": { "path": root, "readonly": false },
        "hostname": "cinch",
        "mounts": [
            { "destination": "/proc", "type": "proc", "source": "proc" },
            { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            { "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] },
            { "destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
            { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"] },
            { "destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"] },
            { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"] },
            { "destination": "/cinch", "type": "bind", "source": config_dir(), "options": ["rbind", "ro"] }
        ],
        "linux": {
            "namespaces": [{ "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }, { "type": "cgroup" }],
            "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        }
    })
}

/// One container of the guest run, confined by `apparmor` (from `profile`).
struct Confined {
    name: String,
    /// The host directory holding its files (the overlay's lower layer).
    rootfs: String,
    config: serde_json::Value,
    profile: std::path::PathBuf,
    apparmor: String,
    /// Steps that must succeed, in order (host shell commands run in the guest).
    steps: Vec<(&'static str, String)>,
    /// Steps that must fail (the profile is broken on purpose).
    failing: Vec<(&'static str, String)>,
    /// Capabilities taken out of the profile on purpose: a denial of one must be logged.
    denied_caps: Vec<String>,
    /// Escapes: (step, command in the container, the audit line's operation and what it names).
    escapes: Vec<(&'static str, String, &'static str, &'static str)>,
    log_files: Vec<String>,
}

/// The escapes of a container of the proving-ground image: a shell writing
/// under /etc, touch, a read of /etc/shadow, a shell running bash (which no
/// trace ran), and a raw socket. Each runs in a process `runc exec` starts
/// under the profile: the program it starts is the transition point, as the
/// entrypoint is (its own exec is not mediated; what it does from then on is).
fn image_escapes() -> Vec<(&'static str, String, &'static str, &'static str)> {
    vec![
        ("escape-shell", "/bin/sh -c 'echo x > /etc/cinch-escape'".into(), "mknod", "name=\"/etc/cinch-escape\""),
        ("escape-etc", "/usr/bin/touch /etc/cinch-escape".into(), "mknod", "name=\"/etc/cinch-escape\""),
        ("escape-shadow", "/usr/bin/cat /etc/shadow".into(), "open", "name=\"/etc/shadow\""),
        ("escape-exec", "/bin/sh -c '/usr/bin/bash -c true'".into(), "exec", "name=\"/usr/bin/bash\""),
        // The probe exits 0 unless EPERM; AppArmor answers EACCES: its line says.
        (
            "escape-raw",
            "/cinch/cinch-probe icmp-socket | grep -q 'icmp-socket ok'".into(),
            "create",
            "sock_type=\"raw\"",
        ),
    ]
}

/// The guest's script for one container: start it under runc, run its
/// steps, try the escapes, stop it. Each step's outcome is one
/// `cinch-vm NAME STEP=STATUS` line, its output under `=== NAME STEP`.
fn script_for(c: &Confined, bundle: &str) -> String {
    let name = &c.name;
    let exec = format!("runc exec --apparmor {} {name}", c.apparmor);
    let mut s = String::new();
    let d = format!("/run/c/{name}");
    writeln!(s, "mkdir -p {d}/upper {d}/work {d}/rootfs {d}/bundle").unwrap();
    writeln!(s, "mount -t overlay overlay -o lowerdir={},upperdir={d}/upper,workdir={d}/work {d}/rootfs", c.rootfs)
        .unwrap();
    writeln!(s, "sed 's#@ROOT@#{d}/rootfs#' {bundle}/{name}.json > {d}/bundle/config.json").unwrap();
    writeln!(s, "runc run --bundle {d}/bundle {name} > {d}/log 2>&1 < /dev/null &").unwrap();
    for (step, command) in c.steps.iter().chain(&c.failing) {
        let command = command.replace("docker exec {name}", &exec).replace("{name}", name);
        writeln!(
            s,
            "echo '=== {name} {step}'; bash -c {} 2>&1; echo \"cinch-vm {name} {step}=$?\"",
            shell_quote(&command)
        )
        .unwrap();
    }
    for (step, command, _, _) in &c.escapes {
        writeln!(s, "{exec} {command} >/dev/null 2>&1; echo \"cinch-vm {name} {step}=$?\"").unwrap();
    }
    writeln!(
        s,
        // `runc run` deletes the container once its process exits: then state fails.
        "runc kill {name} TERM; for i in $(seq 200); do state=$(runc state {name} 2>/dev/null) || break; case $state in *'\"stopped\"'*) break ;; esac; sleep 0.2; done"
    )
    .unwrap();
    writeln!(s, "runc delete -f {name} >/dev/null 2>&1").unwrap();
    writeln!(
        s,
        "echo '=== {name} log'; cat {d}/log; for f in {}; do cat {d}/upper$f 2>/dev/null; done",
        c.log_files.join(" ")
    )
    .unwrap();
    s
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

fn apparmor_file(dir: &Path) -> std::path::PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "apparmor"))
        .expect("cinch profile writes an AppArmor profile")
}

/// A service of the proving ground, profiled in the host's Docker.
fn service_container(service: &Service, work: &Path, rootfs: &str) -> Confined {
    let dir = work.join(service.name);
    profile(service, &dir, true, &[]);
    let file = apparmor_file(&dir);
    let apparmor = profile_name(&std::fs::read_to_string(&file).unwrap());
    // Up to 5 minutes of the guest's (emulated) time, however slow each try is.
    let ready = format!(
        "end=$(($(date +%s) + 300)); until ({}) 2>/dev/null || [ $(date +%s) -ge $end ]; do sleep 0.5; done; {}",
        service.ready, service.ready
    );
    let ids = ids(Path::new(rootfs), service);
    let mut escapes = image_escapes();
    if ids.0 != 0 {
        // /etc/shadow is root:shadow 0640: the kernel refuses a non-root
        // reader before AppArmor is asked, so nothing is logged.
        escapes.retain(|(step, ..)| *step != "escape-shadow");
        escapes.push(("escape-shadow", "/usr/bin/cat /etc/shadow".into(), "", ""));
    }
    Confined {
        name: service.name.into(),
        rootfs: rootfs.into(),
        config: config(service.command, "@ROOT@", ids, &apparmor),
        profile: file,
        apparmor,
        steps: vec![
            ("ready", ready),
            ("drive", service.driver.into()),
            ("operate", format!("({}) && ({})", service.operation, service.operation_ok)),
            ("drive-again", service.driver.into()),
        ],
        failing: vec![],
        denied_caps: vec![],
        escapes,
        log_files: service.log_files.iter().map(|f| f.to_string()).collect(),
    }
}

/// `c` under its profile with some inferred capabilities taken out, as
/// `NAME-without-WHAT`: it must fail in the guest at `failing`, with a
/// denial of one of them logged. `steps` of `c` must still work before that.
fn without(c: &Confined, what: &str, caps: &[&str], steps: usize, failing: (&'static str, String)) -> Confined {
    let text = std::fs::read_to_string(&c.profile).unwrap();
    let name = format!("{}-without-{what}", c.name);
    let apparmor = format!("{}-without-{what}", c.apparmor);
    let rules: Vec<String> = caps.iter().map(|cap| format!("capability {cap},")).collect();
    let broken: String = text
        .lines()
        .filter(|l| !rules.iter().any(|r| l.trim() == r))
        .map(|l| if l.starts_with("profile ") { l.replacen(&c.apparmor, &apparmor, 1) } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n");
    assert_eq!(broken.lines().count() + caps.len(), text.lines().count(), "{}'s profile has {rules:?}", c.name);
    let file = c.profile.with_file_name(format!("{name}.apparmor"));
    std::fs::write(&file, broken).unwrap();
    let mut config = c.config.clone();
    config["process"]["apparmorProfile"] = apparmor.clone().into();
    Confined {
        name,
        rootfs: c.rootfs.clone(),
        config,
        profile: file,
        apparmor,
        steps: c.steps[..steps].to_vec(),
        failing: vec![failing],
        denied_caps: caps.iter().map(|c| c.to_string()).collect(),
        escapes: vec![],
        log_files: c.log_files.clone(),
    }
}

/// nginx's driver, with a timeout, succeeding only on a clean run: workers
/// that never started answer nothing.
fn clean_wrk() -> String {
    r#"out=$(timeout 20 wrk -t1 -c2 -d2s --timeout 2s http://127.0.0.1:18080/ 2>&1); echo "$out"; echo "$out" | grep -Eq ' [1-9][0-9]* requests in' && ! echo "$out" | grep -Eq 'Socket errors|Non-2xx'"#.into()
}

/// The Mascot worker fixture, profiled in the host's Docker serving one job.
fn worker_container(work: &Path) -> Confined {
    let rootfs = work.join("worker-rootfs");
    populate_worker_rootfs(&rootfs);
    let fasta = demo_fasta(&node_dir(work));
    let port = free_port();
    let job = |id: &str| {
        format!(
            "{} search --addr 127.0.0.1:{port} --db demo --id {id} --wait 60 --fasta {}",
            fixture("mascot-client").display(),
            fasta.display()
        )
    };
    let dir = work.join("worker");
    let name = format!("cinch-prof-worker-{}", std::process::id());
    let listen = format!("127.0.0.1:{port}");
    let out = cinch()
        .arg("profile")
        .arg("-o")
        .arg(&dir)
        // Three jobs: the results directory gets `results/*` (a job's id names its file).
        .args(["--exercise", &format!("{} && {} && {}", job("alpha"), job("beta"), job("gamma"))])
        .args([
            "--",
            "docker",
            "run",
            "--rm",
            "--name",
            &name,
            "--network",
            "host",
            worker_image(),
            "--listen",
            &listen,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "cinch profile of the worker: {}", output_text(&out));
    let file = apparmor_file(&dir);
    let apparmor = profile_name(&std::fs::read_to_string(&file).unwrap());
    let args = ["/usr/local/bin/mascot-worker", "--listen", &listen];
    Confined {
        name: "worker".into(),
        rootfs: rootfs.to_str().unwrap().into(),
        config: config(&args, "@ROOT@", (0, 0), &apparmor),
        profile: file,
        apparmor,
        steps: vec![("drive", job("guest-1")), ("drive-again", job("guest-2"))],
        failing: vec![],
        denied_caps: vec![],
        // The worker's image has no shell: the probe it carries tries a raw
        // socket and reads a file the worker never read.
        escapes: vec![
            (
                "escape-raw",
                "/usr/local/bin/cinch-probe icmp-socket | grep -q 'icmp-socket ok'".into(),
                "create",
                "sock_type=\"raw\"",
            ),
            (
                "escape-read",
                "/usr/local/bin/cinch-probe open=/usr/local/bin/mascot-client | grep -q ' ok'".into(),
                "open",
                "name=\"/usr/local/bin/mascot-client\"",
            ),
        ],
        log_files: vec![],
    }
}

#[test]
fn the_worker_and_each_service_serve_under_their_profiles_where_apparmor_enforces() {
    if !require_root() || !require("a running dockerd (DOCKER_HOST)", docker_ready()) {
        return;
    }
    let rootfs = Command::new(workspace_root().join("scripts/proving-ground")).arg("rootfs").output().unwrap();
    assert!(rootfs.status.success(), "{}", output_text(&rootfs));
    let rootfs = String::from_utf8_lossy(&rootfs.stdout).trim().to_string();
    // Under /tmp: the guest sees the host's /tmp (an overlay over it).
    let work = tempfile::Builder::new().prefix("cinch-aa-services").tempdir_in("/tmp").unwrap();
    let bundle = work.path().to_str().unwrap().to_string();
    // CINCH_AA_ONLY=NAME runs one service (and its broken variant), to look into it.
    let only = std::env::var("CINCH_AA_ONLY").ok();
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let mut containers = Vec::new();
    if wanted("worker") {
        containers.push(worker_container(work.path()));
    }
    for service in SERVICES.iter().filter(|s| wanted(s.name)) {
        containers.push(service_container(service, work.path(), &rootfs));
    }
    let named = |name: &str| containers.iter().find(|c| c.name == name);
    // nginx's workers cannot drop to www-data: no answer.
    let nginx = named("nginx").map(|c| without(c, "setuid", &["setuid", "setgid"], 1, ("drive", clean_wrk())));
    // PostgreSQL's entrypoint cannot chmod its data directory: no server.
    let postgres_up = "end=$(($(date +%s) + 40)); until pg_isready -q -h 127.0.0.1 -p 15432 || [ $(date +%s) -ge $end ]; do sleep 0.5; done; pg_isready -q -h 127.0.0.1 -p 15432";
    let postgres = named("postgres").map(|c| without(c, "fowner", &["fowner"], 0, ("ready", postgres_up.into())));
    containers.extend(nginx.into_iter().chain(postgres));
    let mut script =
        String::from("set -u\nmount -t cgroup2 none /sys/fs/cgroup\n/tmp/apparmor-vm/busybox ip link set lo up\n");
    let mut vm = Command::new(workspace_root().join("scripts/apparmor-vm"));
    for c in &containers {
        std::fs::write(work.path().join(format!("{}.json", c.name)), c.config.to_string()).unwrap();
        vm.arg("--profile").arg(&c.profile);
        script.push_str(&script_for(c, &bundle));
    }
    std::fs::write(work.path().join("guest.sh"), &script).unwrap();
    let started = std::time::Instant::now();
    let out = vm.args(["--", "bash"]).arg(work.path().join("guest.sh")).output().unwrap();
    let took = started.elapsed();
    let run = GuestRun::new(&out, "cinch-vm");
    let (all, stdout) = (&run.all, &run.stdout);
    let status = |name: &str, step: &str| run.status(&format!("{name} {step}"));
    let section = |name: &str, step: &str| run.section(&format!("{name} {step}"));
    let denied: Vec<&str> = stdout.lines().filter(|l| l.starts_with("audit: ") && l.contains("DENIED")).collect();
    for c in &containers {
        let name = c.name.as_str();
        for (step, _) in &c.steps {
            assert_eq!(status(name, step), Some(0), "{name} {step} failed in the guest:\n{all}");
        }
        for (step, _) in &c.failing {
            assert!(
                matches!(status(name, step), Some(s) if s != 0),
                "{name} {step} worked with a broken profile:\n{all}"
            );
        }
        let own: Vec<&&str> = denied.iter().filter(|l| l.contains(&format!("profile=\"{}\"", c.apparmor))).collect();
        let logged = |operation: &str, what: &str| {
            own.iter().any(|l| l.contains(&format!("operation=\"{operation}\"")) && l.contains(what))
        };
        for (step, _, operation, what) in &c.escapes {
            assert_ne!(status(name, step), Some(0), "{name}: {step} succeeded under its profile:\n{all}");
            if !operation.is_empty() {
                assert!(logged(operation, what), "{name}: {step} was not logged ({operation} {what}):\n{all}");
            }
        }
        if c.failing.is_empty() {
            // The escapes are all its profile denied: nothing the workload does.
            for line in &own {
                let escape = c
                    .escapes
                    .iter()
                    .any(|(_, _, op, what)| line.contains(&format!("operation=\"{op}\"")) && line.contains(what));
                assert!(escape, "{name}: a denial of what the workload does: {line}\n{all}");
            }
        } else {
            assert!(
                c.denied_caps.iter().any(|cap| logged("capable", &format!("capname=\"{cap}\""))),
                "{name}: no denial of {:?} logged:\n{all}",
                c.denied_caps
            );
        }
    }
    for service in SERVICES.iter().filter(|s| wanted(s.name)) {
        assert!(
            (service.driver_ok)(&section(service.name, "drive")),
            "{}: {}",
            service.name,
            section(service.name, "drive")
        );
    }
    eprintln!("guest run: {:.0} s", took.as_secs_f64());
    eprintln!("{}", stdout.lines().filter(|l| l.starts_with("cinch-vm ")).collect::<Vec<_>>().join("\n"));
}
