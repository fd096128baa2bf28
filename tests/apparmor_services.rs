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
use support::docker::docker_ready;
use support::services::{config_dir, profile, Service, SERVICES};
use support::{output_text, require, require_root, workspace_root};

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

/// An OCI bundle's config.json as Docker would write it for `service`: the
/// container shares the guest's network (the host network of the profiling
/// run), has Docker's default capabilities, the config directory at /cinch,
/// and the generated AppArmor profile.
fn config(service: &Service, root: &str, (uid, gid): (u32, u32), apparmor: &str) -> serde_json::Value {
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
            "args": service.command,
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/"],
            "cwd": "/",
            "capabilities": { "bounding": caps, "effective": caps, "permitted": caps },
            "apparmorProfile": apparmor,
            "noNewPrivileges": false
        },
        "root": { "path": root, "readonly": false },
        "hostname": service.name,
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

/// The guest's script for one service: start it under runc, wait until
/// ready, drive it, operate it, drive it again, try the escapes, stop it.
/// Each step's outcome is one `cinch-vm NAME STEP=STATUS` line.
fn steps(service: &Service, bundle: &str, rootfs: &str, apparmor: &str) -> String {
    let name = service.name;
    let ready =
        format!("for i in $(seq 600); do ({}) 2>/dev/null && break; sleep 0.5; done; {}", service.ready, service.ready);
    let exec = format!("runc exec --apparmor {apparmor} {name}");
    let operation = service.operation.replace("docker exec {name}", &exec).replace("{name}", name);
    let done = service.operation_ok.replace("docker exec {name}", &exec).replace("{name}", name);
    let mut s = String::new();
    let c = format!("/run/c/{name}");
    writeln!(s, "mkdir -p {c}/upper {c}/work {c}/rootfs {c}/bundle").unwrap();
    writeln!(s, "mount -t overlay overlay -o lowerdir={rootfs},upperdir={c}/upper,workdir={c}/work {c}/rootfs")
        .unwrap();
    writeln!(s, "sed 's#@ROOT@#{c}/rootfs#' {bundle}/{name}.json > {c}/bundle/config.json").unwrap();
    writeln!(s, "runc run --bundle {c}/bundle {name} > {c}/log 2>&1 < /dev/null &").unwrap();
    for (step, command) in [
        ("ready", ready.as_str()),
        ("drive", service.driver),
        ("operate", &format!("({operation}) && ({done})")),
        ("drive-again", service.driver),
    ] {
        writeln!(
            s,
            "echo '=== {name} {step}'; bash -c {} 2>&1; echo \"cinch-vm {name} {step}=$?\"",
            shell_quote(command)
        )
        .unwrap();
    }
    // Escapes, each in a process `runc exec` starts under the profile (the
    // program it starts is the transition point, as the entrypoint is: its
    // own exec is not mediated, what it does from then on is): a write under
    // /etc by a shell and by touch, a read of /etc/shadow, and a shell
    // running a program the workload never ran.
    for (step, command) in [
        ("escape-shell", "/bin/sh -c 'echo x > /etc/cinch-escape'"),
        ("escape-etc", "/usr/bin/touch /etc/cinch-escape"),
        ("escape-shadow", "/usr/bin/cat /etc/shadow"),
        ("escape-exec", "/bin/sh -c '/usr/bin/cat /etc/hostname'"),
    ] {
        writeln!(s, "{exec} {command} >/dev/null 2>&1; echo \"cinch-vm {name} {step}=$?\"").unwrap();
    }
    writeln!(s, "runc kill {name} TERM; for i in $(seq 200); do runc state {name} 2>/dev/null | grep -q stopped && break; runc state {name} >/dev/null 2>&1 || break; sleep 0.2; done").unwrap();
    writeln!(s, "runc delete -f {name} >/dev/null 2>&1").unwrap();
    writeln!(
        s,
        "echo '=== {name} log'; cat {c}/log; for f in {}; do cat {c}/upper$f 2>/dev/null; done",
        service.log_files.join(" ")
    )
    .unwrap();
    s
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[test]
fn each_service_serves_under_its_profile_where_apparmor_enforces() {
    if !require_root() || !require("a running dockerd (DOCKER_HOST)", docker_ready()) {
        return;
    }
    let rootfs = Command::new(workspace_root().join("scripts/proving-ground")).arg("rootfs").output().unwrap();
    assert!(rootfs.status.success(), "{}", output_text(&rootfs));
    let rootfs = String::from_utf8_lossy(&rootfs.stdout).trim().to_string();
    // Under /tmp: the guest sees the host's /tmp (an overlay over it).
    let work = tempfile::Builder::new().prefix("cinch-aa-services").tempdir_in("/tmp").unwrap();
    let bundle = work.path().to_str().unwrap().to_string();
    let mut script =
        String::from("set -u\nmount -t cgroup2 none /sys/fs/cgroup\n/tmp/apparmor-vm/busybox ip link set lo up\n");
    let mut vm = Command::new(workspace_root().join("scripts/apparmor-vm"));
    let mut names = Vec::new();
    for service in SERVICES {
        let dir = work.path().join(service.name);
        profile(service, &dir, true, &[]);
        let file = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "apparmor"))
            .expect("cinch profile writes an AppArmor profile");
        let apparmor = profile_name(&std::fs::read_to_string(&file).unwrap());
        let config = config(service, "@ROOT@", ids(Path::new(&rootfs), service), &apparmor);
        std::fs::write(work.path().join(format!("{}.json", service.name)), config.to_string()).unwrap();
        vm.arg("--profile").arg(&file);
        script.push_str(&steps(service, &bundle, &rootfs, &apparmor));
        names.push((service.name, apparmor));
    }
    std::fs::write(work.path().join("guest.sh"), &script).unwrap();
    let out = vm.args(["--", "bash"]).arg(work.path().join("guest.sh")).output().unwrap();
    let all = output_text(&out);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = |name: &str, step: &str| -> Option<i32> {
        let prefix = format!("cinch-vm {name} {step}=");
        stdout.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|s| s.trim().parse().ok())
    };
    let denied: Vec<&str> = stdout.lines().filter(|l| l.starts_with("audit: ") && l.contains("DENIED")).collect();
    for (service, (name, apparmor)) in SERVICES.iter().zip(&names) {
        for step in ["ready", "drive", "operate", "drive-again"] {
            assert_eq!(status(name, step), Some(0), "{name} {step} failed in the guest:\n{all}");
        }
        let driven = stdout.split(&format!("=== {name} drive\n")).nth(1).unwrap_or("");
        let driven = driven.split("\n=== ").next().unwrap_or("");
        assert!((service.driver_ok)(driven), "{name}: the driver's output is not clean:\n{driven}");
        for escape in ["escape-shell", "escape-etc", "escape-shadow", "escape-exec"] {
            assert_ne!(status(name, escape), Some(0), "{name}: {escape} succeeded under its profile:\n{all}");
        }
        // Each escape is logged, and the escapes are all this profile denied.
        let own: Vec<&&str> = denied.iter().filter(|l| l.contains(&format!("profile=\"{apparmor}\""))).collect();
        let logged = |operation: &str, file: &str| {
            own.iter()
                .any(|l| l.contains(&format!("operation=\"{operation}\"")) && l.contains(&format!("name=\"{file}\"")))
        };
        assert!(logged("mknod", "/etc/cinch-escape"), "{name}: the write under /etc was not logged:\n{all}");
        assert!(logged("open", "/etc/shadow"), "{name}: the read of /etc/shadow was not logged:\n{all}");
        assert!(logged("exec", "/usr/bin/cat"), "{name}: the exec of cat was not logged:\n{all}");
        for line in &own {
            let escape = line.contains("name=\"/etc/cinch-escape\"")
                || line.contains("name=\"/etc/shadow\"")
                || (line.contains("operation=\"exec\"") && line.contains("name=\"/usr/bin/cat\""));
            assert!(escape, "{name}: a denial of what the service does: {line}\n{all}");
        }
    }
    eprintln!("{}", stdout.lines().filter(|l| l.starts_with("cinch-vm ")).collect::<Vec<_>>().join("\n"));
}
