//! `cinch lint`: checks seccomp profiles, OCI configs, AppArmor profiles,
//! daemon.json, subuid/subgid, Dockerfiles, compose files and `docker run`
//! lines, cinch's or anyone's. Pure: text in, findings out. The CLI reads
//! the files, follows `seccomp=FILE` references and runs apparmor_parser.
//!
//! - kind.rs: what a file is
//! - parse/: a parser with positions per format
//! - `rules/<group>/<rule>.rs`: one rule per file; rules/mod.rs is the registry
//! - run_config.rs: docker run lines and compose services, read alike
//! - suppress.rs (inline `# cinch: ignore=`), config.rs (.cinch.toml)
//! - output/: tty, json, sarif, github

pub mod caps;
pub mod config;
pub mod finding;
pub mod kind;
pub mod output;
pub mod parse;
pub mod rules;
pub mod run_config;
pub mod suppress;

pub use config::Config;
pub use finding::{Check, Finding, Group, Pos, Rule, Severity};
pub use kind::Kind;

use crate::subid::SubIdRange;
use parse::tree::Node;
use rules::general::{bad_suppression, missing_reference, not_read, unparsable};

/// Compiles an AppArmor profile: Err with the parser's message when it refuses it.
pub type Compile = dyn Fn(&str) -> Result<(), ParserRefusal> + Sync;

/// apparmor_parser refused a profile; `message` is what it said.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("apparmor_parser refuses it: {message}")]
pub struct ParserRefusal {
    pub message: String,
}

/// What the caller can do that a pure library cannot.
#[derive(Default)]
pub struct Env<'a> {
    /// None when apparmor_parser is not installed (AA009 is then skipped).
    pub compile_apparmor: Option<&'a Compile>,
}

/// A file named by another (`--security-opt seccomp=FILE`), to lint too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// As written, relative to the referring file's directory unless absolute.
    pub path: String,
    pub pos: Pos,
}

/// One file linted on its own, before suppressions.
#[derive(Debug, Default)]
pub struct FileLint {
    pub findings: Vec<Finding>,
    pub references: Vec<Reference>,
    /// Kept for the rules that read several files together (NS002).
    pub daemon: Option<Node>,
    pub subids: Option<Vec<SubIdRange>>,
}

/// The largest file lint reads: bigger ones are a LINT004 finding, so that
/// no input makes lint's memory or time grow without bound.
pub const MAX_INPUT: usize = 1 << 20;

/// Lints one file of `kind`. Never fails: what cannot be parsed is a finding.
pub fn lint_file(kind: Kind, path: &str, bytes: &[u8], env: &Env) -> FileLint {
    let mut out = FileLint::default();
    let mut c = Check::new(path);
    if bytes.len() > MAX_INPUT {
        out.findings =
            vec![not_read(path, &format!("{} bytes, over the {} KiB lint reads", bytes.len(), MAX_INPUT >> 10))];
        return out;
    }
    match std::str::from_utf8(bytes) {
        Err(e) => {
            let pos = position_of(bytes, e.valid_up_to());
            c.report(&unparsable::RULE, pos, format!("not UTF-8 text (byte {})", e.valid_up_to() + 1));
        }
        Ok(text) => lint_text(kind, text, env, &mut c, &mut out),
    }
    out.findings = c.into_findings();
    out
}

fn lint_text(kind: Kind, text: &str, env: &Env, c: &mut Check, out: &mut FileLint) {
    let what = kind.as_str();
    match kind {
        Kind::Seccomp | Kind::Oci | Kind::DaemonJson => {
            let node = match parse::json::parse(text) {
                Ok(node) if node.is_object() => node,
                Ok(node) => {
                    return c.report(&unparsable::RULE, node.pos, format!("a {what} file must be a JSON object"))
                }
                Err(e) => return c.report(&unparsable::RULE, e.pos, format!("not valid JSON: {}", e.message)),
            };
            match kind {
                Kind::Seccomp => rules::seccomp::RULES.iter().for_each(|(_, check)| check(&node, c)),
                Kind::Oci => {
                    rules::oci::RULES.iter().for_each(|(_, check)| check(&node, c));
                    if let Some(seccomp) = node.at(&["linux", "seccomp"]).filter(|n| n.is_object()) {
                        rules::seccomp::RULES.iter().for_each(|(_, check)| check(seccomp, c));
                    }
                }
                _ => {
                    rules::userns::DAEMON_RULES.iter().for_each(|(_, check)| check(&node, c));
                    out.daemon = Some(node);
                }
            }
        }
        Kind::Subid => match crate::subid::parse(text) {
            Err(e) => c.report(&unparsable::RULE, Pos::new(e.line, 1), e.message),
            Ok(ranges) => {
                rules::userns::SUBID_RULES.iter().for_each(|(_, check)| check(&ranges, c));
                out.subids = Some(ranges);
            }
        },
        Kind::Apparmor => {
            let parsed = parse::apparmor::parse(text);
            let compiled = env.compile_apparmor.map(|compile| compile(text));
            match (&parsed, &compiled) {
                (Ok(statements), _) => rules::apparmor::RULES.iter().for_each(|(_, check)| check(statements, c)),
                // apparmor_parser has the last word on what is AppArmor.
                (Err(_), Some(Ok(()))) => {}
                (Err((pos, message)), _) => c.report(&unparsable::RULE, *pos, message.clone()),
            }
            if let Some(Err(refusal)) = compiled {
                rules::apparmor::does_not_compile::check(&refusal.message, c);
            }
        }
        Kind::Dockerfile => {
            let file = parse::dockerfile::parse(text);
            if file.stages.is_empty() {
                return c.report(&unparsable::RULE, Pos::START, "no FROM instruction: not a Dockerfile");
            }
            rules::dockerfile::RULES.iter().for_each(|(_, check)| check(&file, c));
        }
        Kind::Compose => {
            let root = match parse::yaml::parse(text) {
                Ok(root) => root,
                Err(e) => return c.report(&unparsable::RULE, e.pos, format!("not valid YAML: {}", e.message)),
            };
            let Some(services) = root.get("services") else {
                return c.report(&unparsable::RULE, root.pos, "a compose file must have a services: map");
            };
            for service in services.members() {
                let run = run_config::from_compose_service(service.key_pos, &service.value);
                lint_run(&run, c, out);
            }
        }
        Kind::Shell => {
            let dirs = script_dir_variables(text);
            for line in parse::shell::run_lines(text) {
                let at = out.references.len();
                lint_run(&run_config::from_run_line(&line), c, out);
                for reference in &mut out.references[at..] {
                    reference.path = relative_to_script(&reference.path, &dirs);
                }
            }
        }
        Kind::K8sSeccomp => {
            let root = match parse::yaml::parse(text) {
                Ok(root) => root,
                Err(e) => return c.report(&unparsable::RULE, e.pos, format!("not valid YAML: {}", e.message)),
            };
            match root.get("spec").filter(|spec| spec.is_object()) {
                Some(spec) => rules::seccomp::RULES.iter().for_each(|(_, check)| check(spec, c)),
                None => c.report(&unparsable::RULE, root.pos, "a SeccompProfile must have a spec: map"),
            }
        }
        Kind::Workflow => {
            let root = match parse::yaml::parse(text) {
                Ok(root) => root,
                Err(e) => return c.report(&unparsable::RULE, e.pos, format!("not valid YAML: {}", e.message)),
            };
            for (script, first_line) in workflow_scripts(&root) {
                for mut line in parse::shell::run_lines(script) {
                    let shift = |pos: &mut Pos| pos.line += first_line - 1;
                    shift(&mut line.pos);
                    line.args.iter_mut().for_each(|w| shift(&mut w.pos));
                    lint_run(&run_config::from_run_line(&line), c, out);
                }
            }
        }
    }
}

/// Each step's `run:` script of a workflow, with the line its text starts on
/// (the line after `run: |` for a block).
fn workflow_scripts(root: &Node) -> Vec<(&str, usize)> {
    let mut scripts = Vec::new();
    for job in root.get("jobs").map(Node::members).unwrap_or_default() {
        for step in job.value.get("steps").map(Node::items).unwrap_or_default() {
            let Some(run) = step.member("run") else { continue };
            let Some(script) = run.value.as_str() else { continue };
            let block = run.value.pos.line == run.key_pos.line && script.contains('\n');
            scripts.push((script, run.value.pos.line + usize::from(block)));
        }
    }
    scripts
}

fn lint_run(run: &run_config::RunConfig, c: &mut Check, out: &mut FileLint) {
    rules::run::RULES.iter().for_each(|(_, check)| check(run, c));
    for (path, pos) in run.seccomp_files() {
        out.references.push(Reference { path: path.to_string(), pos });
    }
}

/// Variables a script sets to its own directory (`here=$(cd "$(dirname "$0")" && pwd)`,
/// `dir=$(dirname "$0")`): a path under one of them is relative to the script.
fn script_dir_variables(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    for line in text.lines() {
        let Some((name, value)) = line.trim().split_once('=') else { continue };
        let valid = !name.is_empty() && name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        let value: String = value.chars().filter(|ch| !matches!(ch, '"' | '\'' | ' ')).collect();
        let own_dir = ["$(dirname$0)", "$(dirname--$0)"].iter().any(|d| {
            value == format!("$(cd{d}&&pwd)")
                || value == format!("$(cd{d}&&pwd-P)")
                || value == format!("$({})", &d[2..d.len() - 1])
        });
        if valid && own_dir {
            names.push(name.to_string());
        }
    }
    names
}

/// `$here/seccomp.json` as `seccomp.json` (references are relative to the
/// script's directory) when `here` is one of `dirs`.
fn relative_to_script(path: &str, dirs: &[String]) -> String {
    for name in dirs {
        for spelled in [format!("${name}/"), format!("${{{name}}}/")] {
            if let Some(rest) = path.strip_prefix(&spelled) {
                return rest.to_string();
            }
        }
    }
    path.to_string()
}

/// The line and column of byte `offset`.
fn position_of(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
    Pos::new(line, col)
}

/// A referenced file that does not exist.
pub fn missing_reference(path: &str, reference: &Reference) -> Finding {
    let mut c = Check::new(path);
    c.report(&missing_reference::RULE, reference.pos, format!("seccomp profile {} not found", reference.path));
    c.into_findings().remove(0)
}

/// A referenced file that exists but is not followed, and why.
pub fn unfollowed_reference(path: &str, reference: &Reference, why: &str) -> Finding {
    let mut c = Check::new(path);
    c.report(&missing_reference::RULE, reference.pos, format!("seccomp profile {} is {why}; not read", reference.path));
    c.into_findings().remove(0)
}

/// A file that was not read, and why (a link out of the tree, a special file, too large).
pub fn not_read(path: &str, why: &str) -> Finding {
    let mut c = Check::new(path);
    c.report(&not_read::RULE, Pos::START, format!("not read: {why}"));
    c.into_findings().remove(0)
}

/// A linted file, for [`finish`].
pub struct Linted {
    pub path: String,
    pub kind: Kind,
    pub text: String,
    pub lint: FileLint,
}

/// The findings of a whole run, after suppressions and overrides, sorted.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub suppressed: usize,
    pub files: usize,
}

impl Report {
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }

    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }
}

/// Runs the rules that read several files together, then applies inline
/// suppressions, the config's ignores and its severity overrides.
pub fn finish(files: &[Linted], extra: Vec<Finding>, config: &Config) -> Report {
    let mut report = Report { files: files.len(), ..Report::default() };
    let subids: Vec<(&str, &[SubIdRange])> = files
        .iter()
        .filter_map(|f| Some((f.path.rsplit('/').next().unwrap_or(&f.path), f.lint.subids.as_deref()?)))
        .collect();
    let mut cross = Vec::new();
    for file in files {
        if let Some(daemon) = &file.lint.daemon {
            if !subids.is_empty() {
                let mut c = Check::new(&file.path);
                rules::userns::remap_user_without_range::check(daemon, &subids, &mut c);
                cross.extend(c.into_findings());
            }
        }
    }
    let mut all: Vec<Finding> = extra;
    all.extend(cross);
    for file in files {
        all.extend(file.lint.findings.iter().cloned());
    }
    for file in files {
        if !file.kind.has_comments() {
            continue;
        }
        let inline = suppress::inline(&file.text);
        for s in &inline {
            let unknown: Vec<&str> =
                s.rules.iter().map(String::as_str).filter(|id| rules::find(id).is_none()).collect();
            let mut c = Check::new(&file.path);
            if s.rules.is_empty() {
                c.report(&bad_suppression::RULE, s.pos, "cinch: ignore= names no rule: nothing is suppressed");
            } else if !unknown.is_empty() {
                c.report(
                    &bad_suppression::RULE,
                    s.pos,
                    format!("unknown rule in cinch: ignore= ({}): nothing is suppressed", unknown.join(", ")),
                );
            } else if s.reason.is_empty() {
                c.report(
                    &bad_suppression::RULE,
                    s.pos,
                    format!("cinch: ignore={} has no reason: nothing is suppressed", s.rules.join(",")),
                );
            } else {
                let before = all.len();
                all.retain(|f| {
                    !(f.path == file.path
                        && f.pos.line == s.target
                        && s.rules.iter().any(|r| r.eq_ignore_ascii_case(f.rule)))
                });
                report.suppressed += before - all.len();
            }
            all.extend(c.into_findings());
        }
    }
    let before = all.len();
    all.retain(|f| !config.ignores(f));
    report.suppressed += before - all.len();
    all.retain_mut(|f| match config.severity.get(f.rule) {
        None => true,
        Some(None) => false,
        Some(Some(severity)) => {
            f.severity = *severity;
            true
        }
    });
    all.sort();
    all.dedup();
    report.findings = all;
    report
}

#[cfg(test)]
mod script_dir_tests {
    use super::*;

    #[test]
    fn a_path_under_the_scripts_own_directory_is_relative_to_it() {
        let text = "here=$(cd \"$(dirname \"$0\")\" && pwd)\nd=$(dirname \"$0\")\nx=$(pwd)\n";
        let dirs = script_dir_variables(text);
        assert_eq!(dirs, ["here", "d"]);
        assert_eq!(relative_to_script("$here/seccomp.json", &dirs), "seccomp.json");
        assert_eq!(relative_to_script("${d}/p/s.json", &dirs), "p/s.json");
        assert_eq!(relative_to_script("$x/s.json", &dirs), "$x/s.json");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random bytes, and real files cut and mutated at random places, of
    /// every kind: linting never panics (what does not parse is a finding).
    #[test]
    fn hostile_input_never_panics() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
        let mut samples: Vec<Vec<u8>> = Vec::new();
        for dir in ["lint/sample", "lint/sample/profiles", "reference"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() && std::fs::metadata(&path).unwrap().len() < 20_000 {
                    samples.push(std::fs::read(path).unwrap());
                }
            }
        }
        let seed =
            std::env::var("CINCH_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x2545_f491_4f6c_dd1d_u64);
        let mut state = seed;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        const SPECIAL: &[u8] = b"{}[](),:;\"'\\#\n\t @$*-=<>&|";
        for round in 0..3000 {
            let mut bytes = samples[(next() % samples.len() as u64) as usize].clone();
            match round % 3 {
                0 => bytes.truncate((next() % (bytes.len() as u64 + 1)) as usize),
                1 => {
                    for _ in 0..1 + next() % 8 {
                        if bytes.is_empty() {
                            break;
                        }
                        let at = (next() % bytes.len() as u64) as usize;
                        bytes[at] = SPECIAL[(next() % SPECIAL.len() as u64) as usize];
                    }
                }
                _ => bytes = (0..next() % 400).map(|_| next() as u8).collect(),
            }
            for kind in Kind::ALL {
                let linted = lint_file(kind, "fuzz", &bytes, &Env::default());
                for finding in &linted.findings {
                    assert!(finding.pos.line >= 1 && finding.pos.col >= 1, "seed {seed} round {round}: {finding:?}");
                }
            }
        }
    }

    /// The blind spots an attacker would use (issue "Nothing leaks"), each
    /// with the rule that must now see it, and the false positive that must not fire.
    #[test]
    fn blind_spots_are_seen() {
        let ids = |kind: Kind, path: &str, text: &str| -> Vec<&'static str> {
            lint_file(kind, path, text.as_bytes(), &Env::default()).findings.iter().map(|f| f.rule).collect()
        };
        let shell = |text: &str| ids(Kind::Shell, "run.sh", text);
        for line in
            ["docker run $OPTS img", "docker run \"$@\" img", "docker run $(opts) img", "eval \"docker run $OPTS img\""]
        {
            assert!(shell(line).contains(&"RUN011"), "{line}: {:?}", shell(line));
        }
        // The image word may expand to `--privileged`; after `--` it is only the image.
        assert!(shell("docker run --rm \"$image\"").contains(&"RUN011"));
        assert!(!shell("docker run --rm -- \"$image\" \"$@\"").contains(&"RUN011"));
        assert!(shell("eval docker run --privileged img").contains(&"RUN001"));
        assert!(shell("sh -c 'docker run --privileged img'").contains(&"RUN001"));
        assert!(shell("docker create --privileged img").contains(&"RUN001"));
        assert!(shell("docker container create --privileged img").contains(&"RUN001"));
        assert!(!shell("docker run --privileged=false img").contains(&"RUN001"));
        assert!(shell("docker run --privileged=true img").contains(&"RUN001"));

        let compose = "x-common: &common\n  privileged: true\nservices:\n  worker:\n    <<: *common\n    image: w\n";
        assert!(ids(Kind::Compose, "compose.yaml", compose).contains(&"RUN001"));

        let dockerfile = "FROM scratch\nARG UID=0\nUSER ${UID}\nENTRYPOINT [\"/w\"]\n";
        assert!(ids(Kind::Dockerfile, "Dockerfile", dockerfile).contains(&"DF001"));
        let dockerfile = "ARG UID=0\nFROM scratch\nARG UID\nENV G=0\nUSER $UID:$G\n";
        assert!(ids(Kind::Dockerfile, "Dockerfile", dockerfile).contains(&"DF001"));
        let dockerfile = "FROM scratch\nARG UID=10001\nUSER ${UID}\n";
        assert!(!ids(Kind::Dockerfile, "Dockerfile", dockerfile).contains(&"DF001"));

        let seccomp = |args: &str| {
            let text = format!(
                "{{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{{\"names\": [\"bpf\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": [{args}]}}]}}"
            );
            ids(Kind::Seccomp, "seccomp.json", &text)
        };
        assert!(seccomp(r#"{"index": 0, "value": 0, "op": "SCMP_CMP_GE"}"#).contains(&"SEC002"));
        assert!(seccomp(r#"{"index": 0, "value": 0, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}"#).contains(&"SEC002"));
        assert!(seccomp(
            r#"{"index": 1, "value": 5, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 0, "op": "SCMP_CMP_GE"}"#
        )
        .contains(&"SEC002"));
        assert!(!seccomp(r#"{"index": 0, "value": 5, "op": "SCMP_CMP_EQ"}"#).contains(&"SEC002"));

        let k8s = "apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\nmetadata:\n  name: w\nspec:\n  defaultAction: SCMP_ACT_LOG\n  syscalls:\n  - names: [bpf]\n    action: SCMP_ACT_ALLOW\n";
        assert_eq!(kind::detect(std::path::Path::new("deploy/seccomp.yaml"), k8s), Some(Kind::K8sSeccomp));
        let found = ids(Kind::K8sSeccomp, "seccomp.yaml", k8s);
        assert!(found.contains(&"SEC001") && found.contains(&"SEC002"), "{found:?}");

        let workflow = "on: push\njobs:\n  build:\n    steps:\n      - run: |\n          echo hi\n          docker run --privileged img\n";
        let linted = lint_file(Kind::Workflow, ".github/workflows/ci.yml", workflow.as_bytes(), &Env::default());
        let privileged = linted.findings.iter().find(|f| f.rule == "RUN001").expect("RUN001 in the workflow");
        assert_eq!(privileged.pos.line, 7);
        assert_eq!(kind::detect(std::path::Path::new("repo/.github/workflows/ci.yml"), ""), Some(Kind::Workflow));
    }
}
