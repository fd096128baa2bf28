//! `cinch cluster`: the bundle for the sample cluster in fixtures/cluster.
//! The firewall rules are checked by the real `nft -c` (Debian package
//! nftables), the scripts by `sh -n`, and the forced command's decisions are
//! run for real with the master's possible commands.

mod support;

use std::path::Path;
use std::process::Command;
use support::{cinch, output_text, require, require_root, workspace_root};

fn bundle(dir: &Path) {
    let out = cinch()
        .args(["cluster", "--nodes"])
        .arg(workspace_root().join("fixtures/cluster/nodes.toml"))
        .arg("-o")
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
}

#[test]
fn every_worker_gets_firewall_rules_that_nft_accepts() {
    let nft = ["/usr/sbin/nft", "/sbin/nft"].into_iter().find(|p| Path::new(p).is_file());
    if !require_root() || !require("nft (Debian package nftables)", nft.is_some()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    for worker in ["node1", "node2"] {
        let rules = dir.path().join(worker).join("nftables.conf");
        let out = Command::new(nft.unwrap()).arg("-c").arg("-f").arg(&rules).output().unwrap();
        assert!(out.status.success(), "nft -c -f {}: {}", rules.display(), output_text(&out));
    }
    let node2 = std::fs::read_to_string(dir.path().join("node2/nftables.conf")).unwrap();
    assert!(node2.contains("tcp dport 5001 iifname != \"wg0\" drop"), "{node2}");
    assert!(node2.contains("tcp dport 5001 ip saddr 10.8.0.1 accept"), "{node2}");
    let node1 = std::fs::read_to_string(dir.path().join("node1/nftables.conf")).unwrap();
    assert!(node1.contains("tcp dport 5001 ip saddr 192.0.2.10 accept") && !node1.contains("wg0"), "{node1}");
}

#[test]
fn the_master_key_is_restricted_and_the_scripts_parse() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    let keys = std::fs::read_to_string(dir.path().join("node1/authorized_keys")).unwrap();
    let line = keys.lines().find(|l| !l.starts_with('#')).unwrap();
    assert!(
        line.starts_with("from=\"192.0.2.10\",restrict,command=\"/usr/local/sbin/mascot-node-ctl\" ssh-ed25519 "),
        "{line}"
    );
    let keys = std::fs::read_to_string(dir.path().join("node2/authorized_keys")).unwrap();
    assert!(keys.contains("from=\"10.8.0.1\",restrict"), "over the VPN: {keys}");
    for worker in ["node1", "node2"] {
        for script in ["setup.sh", "mascot-node-ctl", "mascot-node-docker"] {
            let path = dir.path().join(worker).join(script);
            let out = Command::new("sh").arg("-n").arg(&path).output().unwrap();
            assert!(out.status.success(), "sh -n {}: {}", path.display(), output_text(&out));
        }
    }
    let docker = std::fs::read_to_string(dir.path().join("node2/mascot-node-docker")).unwrap();
    for flag in [
        "--read-only",
        "--cap-drop ALL",
        "--security-opt no-new-privileges",
        "--user 10001:10001",
        "-p 10.8.0.12:5001:5001",
    ] {
        assert!(docker.contains(flag), "{flag} missing: {docker}");
    }
}

/// The forced command decides what the master may run. `scp` and `sudo` are
/// replaced by scripts that print what they were asked, so that the test
/// sees the decision without copying files or starting containers.
#[test]
fn the_forced_command_allows_only_start_stop_status_and_scp_into_sequence() {
    let dir = tempfile::tempdir().unwrap();
    bundle(dir.path());
    let stubs = dir.path().join("stubs");
    std::fs::create_dir(&stubs).unwrap();
    for tool in ["scp", "sudo"] {
        let path = stubs.join(tool);
        std::fs::write(&path, "#!/bin/sh\necho \"$(basename \"$0\") $*\"\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let ctl = dir.path().join("node1/mascot-node-ctl");
    let path = format!("{}:{}", stubs.display(), std::env::var("PATH").unwrap_or_default());
    let seq = "/usr/local/mascotnode/sequence";
    let cases: &[(&str, Option<&str>)] = &[
        ("start", Some("sudo -n /usr/local/sbin/mascot-node-docker start")),
        ("stop", Some("sudo -n /usr/local/sbin/mascot-node-docker stop")),
        ("status", Some("sudo -n /usr/local/sbin/mascot-node-docker status")),
        (&format!("scp -t {seq}/demo/"), Some(&format!("scp -t {seq}/demo/"))),
        (&format!("scp -r -d -t {seq}/db"), Some(&format!("scp -r -d -t {seq}/db"))),
        (&format!("scp -t {seq}/../../etc/passwd"), None),
        ("scp -t /etc/passwd", None),
        (&format!("scp -f {seq}/a"), None),
        (&format!("scp -t {seq}/a b"), None),
        (&format!("scp -t {seq}/$(id)"), None),
        ("start; rm -rf /", None),
        ("rm -rf /", None),
        ("internal-sftp", None),
        ("", None),
    ];
    for (command, allowed) in cases {
        let out =
            Command::new("sh").arg(&ctl).env("SSH_ORIGINAL_COMMAND", command).env("PATH", &path).output().unwrap();
        let text = output_text(&out);
        match allowed {
            Some(expected) => {
                assert!(out.status.success(), "{command:?} was refused: {text}");
                assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), *expected, "{command:?}");
            }
            None => {
                assert_eq!(out.status.code(), Some(1), "{command:?} was allowed: {text}");
                assert!(text.contains("refused"), "{command:?}: {text}");
            }
        }
    }
}

#[test]
fn a_bad_node_list_names_its_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let nodes = dir.path().join("nodes.toml");
    let good = std::fs::read_to_string(workspace_root().join("fixtures/cluster/nodes.toml")).unwrap();
    std::fs::write(&nodes, good.replace("vpn_interface = \"wg0\"", "vpn_interface = \"wg0; drop\"")).unwrap();
    let out_dir = dir.path().join("bundle");
    let out = cinch().args(["cluster", "--nodes"]).arg(&nodes).arg("-o").arg(&out_dir).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let line = good.lines().position(|l| l.contains("vpn_interface")).unwrap() + 1;
    assert!(output_text(&out).contains(&format!("nodes.toml: line {line}: vpn_interface")), "{}", output_text(&out));
    assert!(!out_dir.exists());
}

/// The worker account against the master's restricted key, with a real
/// sshd in a network namespace of the test's own (setup.sh applied over
/// overlays, so the host is untouched): it can neither write a key sshd
/// reads nor make root follow a link it planted, and the master's key
/// reaches only the forced command.
#[test]
fn the_worker_account_cannot_loosen_the_masters_key() {
    if !require_root() || !require("sshd (openssh-server)", Path::new("/usr/sbin/sshd").exists()) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    for key in ["master", "attacker"] {
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", key, "-f"])
            .arg(work.join(key))
            .status()
            .unwrap();
        assert!(status.success());
    }
    let master = std::fs::read_to_string(work.join("master.pub")).unwrap();
    let nodes = std::fs::read_to_string(workspace_root().join("fixtures/cluster/nodes.toml"))
        .unwrap()
        .lines()
        .map(|l| match l.split_once(" = ").map(|(k, _)| k) {
            Some("ssh_key") => format!("ssh_key = \"{}\"", master.trim()),
            Some("ip") => "ip = \"127.0.0.1\"".to_string(),
            Some("vpn_ip" | "vpn_interface") => String::new(),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.path().join("nodes.toml"), nodes.replace("hostname = \"node2\"", "hostname = \"node2x\""))
        .unwrap();
    let bundle = dir.path().join("bundle");
    let out = cinch()
        .args(["cluster", "--nodes"])
        .arg(dir.path().join("nodes.toml"))
        .arg("-o")
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let out = Command::new("unshare")
        .args(["--mount", "--net", "--fork", "sh"])
        .arg(workspace_root().join("tests/cluster-sshd.sh"))
        .arg(bundle.join("node1"))
        .arg(&work)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let logs = ["setup1.log", "setup2.log", "sshd.log"]
        .iter()
        .map(|f| format!("--- {f}\n{}", std::fs::read_to_string(work.join(f)).unwrap_or_default()))
        .collect::<String>();
    let context = format!("{text}\n{}\n{logs}", String::from_utf8_lossy(&out.stderr));
    let value = |name: &str| {
        text.lines().find_map(|l| l.strip_prefix(&format!("{name}="))).unwrap_or_else(|| panic!("no {name}: {context}"))
    };
    assert_eq!(value("setup1"), "ok", "{context}");
    assert_eq!(value("worker_made_home_ssh"), "no", "the account can write in its home: {context}");
    assert_eq!(value("worker_wrote_key"), "no", "{context}");
    assert_eq!(value("attacker_login"), "no", "a key in the account's home was accepted: {context}");
    assert!(value("attacker_said").contains("Permission denied"), "{context}");
    assert_eq!(value("master_id"), "refused", "{context}");
    assert!(value("master_id_said").contains("refused") && !value("master_id_said").contains("uid="), "{context}");
    assert!(
        !value("master_status_said").contains("refused"),
        "status must reach the forced command's start/stop/status: {context}"
    );
    assert_eq!(value("worker_planted_link"), "yes", "{context}");
    assert_eq!(value("setup2"), "refused", "{context}");
    assert!(value("setup2_said").contains("symbolic link"), "{context}");
    assert_eq!(value("victim_mode"), "700", "root followed the planted link: {context}");
    assert_eq!(value("victim_files").trim(), "keep", "{context}");
}
