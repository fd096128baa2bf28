//! AppArmor profiles against the real parser (`apparmor_parser`, Debian
//! package `apparmor`). This kernel has no AppArmor, so profiles are
//! compiled, not enforced: `-QTK` checks them, `-S` gives the compiled
//! binary policy to compare.

mod support;

use cinch_profiles::apparmor::{self, quote};
use cinch_profiles::trace::{Access, FileUse};
use cinch_profiles::{path, Trace};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use support::{cinch, output_text, require, workspace_root};

fn parser() -> Option<PathBuf> {
    ["/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"].into_iter().map(PathBuf::from).find(|p| p.is_file())
}

fn require_parser() -> bool {
    require("apparmor_parser (Debian package apparmor)", parser().is_some())
}

/// Runs the parser on `text` (from stdin) with `args`.
fn parse(args: &[&str], text: &str) -> Output {
    let mut child = Command::new(parser().unwrap())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn assert_compiles(what: &str, text: &str) {
    let out = parse(&["-Q", "-T", "-K"], text);
    assert!(out.status.success(), "{what} does not compile: {}\n{text}", output_text(&out));
}

/// The binary policy the parser compiles `text` to.
fn binary(text: &str) -> Vec<u8> {
    let out = parse(&["-T", "-K", "-S"], text);
    assert!(out.status.success(), "does not compile: {}\n{text}", output_text(&out));
    out.stdout
}

/// The text of an insta snapshot (after its header).
fn snapshot_body(text: &str) -> &str {
    let rest = text.strip_prefix("---\n").expect("insta header");
    let end = rest.find("\n---\n").expect("insta header end");
    &rest[end + 5..]
}

#[test]
fn every_golden_profile_compiles() {
    if !require_parser() {
        return;
    }
    let dir = workspace_root().join("profiles/src/apparmor/snapshots");
    let mut profiles = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let body = snapshot_body(&text);
        if body.contains("abi <abi/3.0>,") {
            assert_compiles(&path.display().to_string(), body);
            profiles += 1;
        }
    }
    assert!(profiles >= 3, "expected the worker, bane sample and worker-from-bane goldens in {}", dir.display());
}

/// A small reproducible generator (xorshift64*), so that a failure can be
/// replayed with CINCH_FUZZ_SEED.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A file name an attacker could give: mostly the bytes that are syntax
/// somewhere in a profile, control and invalid UTF-8 bytes, and `@{`.
fn hostile_name(rng: &mut Rng) -> Vec<u8> {
    const PIECES: &[&[u8]] = &[
        b"\n",
        b",",
        b"\"",
        b"#",
        b"{",
        b"}",
        b"*",
        b"**",
        b"?",
        b"[",
        b"]",
        b"^",
        b"@",
        b"@{",
        b"@{PROC}",
        b"\\",
        b"\\\"",
        b" ",
        b"\t",
        b"\r",
        b"\x01",
        b"\x7f",
        b"\xff",
        b"\xe9",
        b"\xc3\xa9",
        b"a",
        b"x",
        b"-",
        b".",
        b"%",
        b"owner",
        b"deny",
        b"}\n  / rwx,\n",
        b"$",
        b"(",
        b")",
        b"|",
        b"+",
        b"!",
        b"~",
        b"=",
        b":",
    ];
    loop {
        let mut name = Vec::new();
        for _ in 0..1 + rng.below(6) {
            name.extend_from_slice(PIECES[rng.below(PIECES.len())]);
        }
        // Real paths (what the trace records) never hold "." or ".." parts.
        if name != b"." && name != b".." {
            return name;
        }
    }
}

fn trace_with_files(files: &[(Vec<u8>, FileUse)]) -> Trace {
    let mut trace = Trace::from_json(include_str!("../fixtures/traces/worker-files.json")).unwrap();
    trace.files.clear();
    for (bytes, used) in files {
        trace.files.insert(path::encode(bytes), used.clone());
    }
    trace
}

/// The issue's property: a hostile name comes out as exactly one quoted
/// rule that matches only that file. Each generated profile must compile to
/// the same binary policy as the same profile with every path written as
/// `\xHH` escapes (which the parser can only take literally): an extra
/// rule, a glob or a variable anywhere would change the policy.
#[test]
fn hostile_names_stay_one_literal_rule() {
    if !require_parser() {
        return;
    }
    let seed = std::env::var("CINCH_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_c1c4);
    let mut rng = Rng(seed);
    let accesses = [Access::Read, Access::Write, Access::Append, Access::Lock, Access::MmapExec, Access::Link];
    for case in 0..100 {
        let mut files = Vec::new();
        let mut names = BTreeSet::new();
        for _ in 0..20 {
            let mut bytes = b"/data/".to_vec();
            bytes.extend(hostile_name(&mut rng));
            if rng.below(4) == 0 {
                bytes.push(b'/');
                bytes.extend(hostile_name(&mut rng));
            }
            if !names.insert(bytes.clone()) {
                continue;
            }
            let access: BTreeSet<Access> = (0..1 + rng.below(2)).map(|_| accesses[rng.below(accesses.len())]).collect();
            let directory = rng.below(5) == 0;
            files.push((bytes, FileUse { access, directory, ..FileUse::default() }));
        }
        let trace = trace_with_files(&files);
        let options = apparmor::Options { name: "hostile".into(), glob_min: 0 };
        let profile = apparmor::generate(&trace, &options).unwrap().profile.render();
        // The oracle: the same text with each path spelled in \xHH escapes.
        let mut oracle = profile.clone();
        for (bytes, used) in &files {
            let mut target = bytes.clone();
            if used.directory {
                target.push(b'/');
            }
            let ours = format!("\n  {} ", quote::literal(&target));
            assert_eq!(profile.matches(&ours).count(), 1, "case {case} (seed {seed}): one rule for {target:?}");
            oracle = oracle.replace(&ours, &format!("\n  {} ", quote::all_hex(&target)));
        }
        assert_ne!(profile, oracle);
        assert_eq!(
            binary(&profile),
            binary(&oracle),
            "case {case} (seed {seed}): the profile does not compile to the literal paths:\n{profile}"
        );
    }
}

/// The oracle has teeth: an unescaped glob or a split rule compiles to
/// another policy.
#[test]
fn the_oracle_sees_a_glob_or_an_extra_rule() {
    if !require_parser() {
        return;
    }
    let wrap = |rule: &str| format!("abi <abi/3.0>,\ninclude <tunables/global>\nprofile t {{\n  {rule}\n}}\n");
    let literal = binary(&wrap(&format!("{} r,", quote::all_hex(b"/data/a*b"))));
    assert_eq!(literal, binary(&wrap(&format!("{} r,", quote::literal(b"/data/a*b")))));
    assert_ne!(literal, binary(&wrap("\"/data/a*b\" r,")));
    let two = binary(&wrap(&format!("{} r,", quote::all_hex(b"/data/a,b"))));
    assert_ne!(two, binary(&wrap("/data/a r, /data/b r,")));
}

#[test]
fn generate_apparmor_from_the_worker_trace_compiles_and_names_the_profile() {
    if !require_parser() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("mascot-worker.apparmor");
    let trace = workspace_root().join("fixtures/traces/worker-files.json");
    let result = cinch()
        .args(["generate", "apparmor", "--trace"])
        .arg(&trace)
        .args(["--name", "mascot-worker", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(result.status.success(), "{}", output_text(&result));
    assert!(output_text(&result).contains("(compiles with apparmor_parser)"));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("profile mascot-worker flags=(attach_disconnected,mediate_deleted) {"));
    assert!(text.contains("\"/usr/local/bin/mascot-worker\" mr,"));
    assert!(text.contains("\"/usr/local/mascotnode/sequence/demo/current/demo.fasta\" r,"));
    assert!(text.contains("\"/usr/local/mascotnode/results/*\" w,"));
    assert!(text.contains("network inet stream,") && text.contains("network inet6 stream,"));
    assert!(!text.contains("capability"), "no capability is needed by the worker:\n{text}");
    assert!(!text.contains("exec.fifo"), "runc's fifo is outside the root");
    assert_compiles("the generated profile", &text);
}

#[test]
fn bane_sample_and_emitted_bane_files_compile() {
    if !require_parser() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sample = workspace_root().join("fixtures/reference/bane-sample.toml");
    let profile = dir.path().join("nginx.apparmor");
    let out = cinch().args(["generate", "apparmor", "--bane"]).arg(&sample).arg("-o").arg(&profile).output().unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let text = std::fs::read_to_string(&profile).unwrap();
    assert!(text.contains("profile docker-nginx-sample "));
    assert!(text.contains("deny \"/usr/**\" wl,"));
    assert!(text.contains("\"/usr/sbin/nginx\" ix,"));
    assert!(text.contains("deny \"/bin/dash\" mrwklx,"));
    assert!(text.contains("capability net_bind_service,"));
    assert_compiles("bane's sample", &text);

    // Trace -> bane TOML -> profile.
    let toml = dir.path().join("worker.toml");
    let trace = workspace_root().join("fixtures/traces/worker-files.json");
    let out = cinch()
        .args(["generate", "apparmor", "--emit-bane", "--name", "mascot-worker", "--trace"])
        .arg(&trace)
        .arg("-o")
        .arg(&toml)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let back = dir.path().join("back.apparmor");
    let out = cinch().args(["generate", "apparmor", "--bane"]).arg(&toml).arg("-o").arg(&back).output().unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let text = std::fs::read_to_string(&back).unwrap();
    assert!(text.contains("profile docker-mascot-worker "));
    assert!(text.contains("\"/usr/local/mascotnode/results/*\" w,"));
    assert_compiles("the worker's bane profile", &text);
}

#[test]
fn a_bad_bane_file_names_its_line_and_leaves_the_output_alone() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "Name = \"x\"\n\n[Filesystem]\nWritablePaths = [\"/ok\", \"/a\\\"b\"]\n").unwrap();
    let out_file = dir.path().join("x.apparmor");
    std::fs::write(&out_file, "previous").unwrap();
    let out = cinch().args(["generate", "apparmor", "--bane"]).arg(&bad).arg("-o").arg(&out_file).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let text = output_text(&out);
    assert!(text.contains(&format!("{}: line 4: path", bad.display())), "{text}");
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "previous");

    let out = cinch()
        .args(["generate", "apparmor", "--name", "a,b", "--trace"])
        .arg(workspace_root().join("fixtures/traces/worker-files.json"))
        .arg("-o")
        .arg(&out_file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(output_text(&out).contains("invalid profile name \"a,b\""));
    assert_eq!(std::fs::read_to_string(&out_file).unwrap(), "previous");
}

#[test]
fn install_loads_or_says_plainly_that_the_kernel_cannot() {
    if !require_parser() || !support::require_root() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("w.apparmor");
    let out = cinch()
        .args(["generate", "apparmor", "--name", "cinch-install-test", "--trace"])
        .arg(workspace_root().join("fixtures/traces/worker-files.json"))
        .arg("-o")
        .arg(&profile)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let out = cinch().args(["apparmor", "install"]).arg(&profile).output().unwrap();
    let text = output_text(&out);
    if std::path::Path::new("/sys/module/apparmor/parameters/enabled").exists() {
        // A kernel with AppArmor (not this machine's): the profile is loaded.
        assert_eq!(out.status.code(), Some(0), "{text}");
        let _ = Command::new(parser().unwrap()).arg("-R").arg(&profile).output();
    } else {
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("this kernel has no AppArmor"), "{text}");
        assert!(text.contains("compiles but was not loaded"), "{text}");
    }
}
