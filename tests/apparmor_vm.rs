//! A profile cinch generates, enforced by a kernel that has AppArmor: Debian's
//! own kernel booted under qemu by `scripts/apparmor-vm` (this machine's
//! kernel has no AppArmor). What the trace saw runs with no denial; what it
//! did not (reading /etc/shadow, running a shell) is denied and logged, so
//! the harness is shown able to fail.

mod support;

use std::process::Command;
use support::*;

#[test]
fn a_generated_profile_holds_under_an_enforcing_kernel_and_denies_what_was_never_done() {
    if !require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("cat.json");
    // A shell that runs cat: the profile lets the shell exec cat, nothing else.
    let out = cinch()
        .args(["trace", "-q", "-o"])
        .arg(&trace)
        .args(["--", "/bin/sh", "-c", "cat /etc/hostname"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let profile = dir.path().join("cat.apparmor");
    let out = cinch()
        .args(["generate", "apparmor", "--name", "cinch-vm-cat", "--trace"])
        .arg(&trace)
        .arg("-o")
        .arg(&profile)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));

    // (The program aa-exec starts is the transition point, as runc's entrypoint
    // is: what the profile mediates is what it does from then on.)
    // The same profile in complain mode: it logs what it would deny, and lets it happen.
    let complain = dir.path().join("cat-complain.apparmor");
    let out = cinch()
        .args(["generate", "apparmor", "--complain", "--name", "cinch-vm-cat-complain", "--trace"])
        .arg(&trace)
        .arg("-o")
        .arg(&complain)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let text = std::fs::read_to_string(&complain).unwrap();
    assert!(text.contains("flags=(complain,") && !text.contains("deny "), "{text}");

    let script = "aa-exec -p cinch-vm-cat-complain -- /bin/sh -c 'cat /etc/shadow' >/dev/null 2>&1; echo complain=$?; \
                  aa-exec -p cinch-vm-cat -- /bin/sh -c 'cat /etc/hostname' >/dev/null; echo traced=$?; \
                  aa-exec -p cinch-vm-cat -- /bin/sh -c 'cat /etc/shadow' >/dev/null 2>&1; echo shadow=$?; \
                  aa-exec -p cinch-vm-cat -- /bin/sh -c '/bin/bash -c true' 2>/dev/null; echo shell=$?; exit 7";
    let out = Command::new(workspace_root().join("scripts/apparmor-vm"))
        .arg("--profile")
        .arg(&profile)
        .arg("--profile")
        .arg(&complain)
        .args(["--", "sh", "-c", script])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let all = output_text(&out);
    // The command's own status comes back.
    assert_eq!(out.status.code(), Some(7), "{all}");
    assert!(stdout.contains("traced=0"), "what the trace saw must run:\n{all}");
    assert!(stdout.contains("shadow=1"), "/etc/shadow was readable under the profile:\n{all}");
    assert!(!stdout.contains("shell=0"), "a shell ran under the profile:\n{all}");
    assert!(stdout.contains("complain=0"), "the complain profile stopped the read:\n{all}");
    assert!(
        stdout.lines().any(|l| l.contains("apparmor=\"ALLOWED\"") && l.contains("name=\"/etc/shadow\"")),
        "complain mode logs what it let through:\n{all}"
    );
    let denied: Vec<&str> =
        stdout.lines().filter(|l| l.starts_with("audit: ") && l.contains("apparmor=\"DENIED\"")).collect();
    assert!(denied.iter().any(|l| l.contains("name=\"/etc/shadow\"")), "{all}");
    assert!(denied.iter().any(|l| l.contains("operation=\"exec\"")), "{all}");
    // Nothing the traced run did was denied.
    for line in &denied {
        assert!(
            line.contains("name=\"/etc/shadow\"") || line.contains("operation=\"exec\""),
            "a denial of what the trace saw: {line}\n{all}"
        );
    }
}
