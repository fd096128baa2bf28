//! DF001 root-user.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::dockerfile::Dockerfile;
use std::collections::HashMap;

pub static RULE: Rule = Rule {
    id: "DF001",
    name: "root-user",
    group: Group::Dockerfile,
    severity: Severity::Error,
    summary: "the final stage runs as root (no USER, or USER root/0)",
    doc: "\
What it checks: the last stage's last `USER` (or, when it has none, that of the earlier
stage it is built FROM) names a user other than root (`root`, `0`, `0:0`); without any USER
the container runs as root too.

Why it matters: root in the container is root on the host unless user namespaces are on;
every escape and every writable mount is then root's.

Example:
    bad:  FROM scratch
          ENTRYPOINT [\"/mascot-worker\"]
    good: FROM scratch
          USER 10001:10001
          ENTRYPOINT [\"/mascot-worker\"]",
};

/// The last USER of `stage`, or of the earlier stage it is built FROM, with
/// the stage it is in.
fn user_of(file: &Dockerfile, stage: usize) -> Option<(usize, usize)> {
    let s = &file.stages[stage];
    if let Some(at) = s.instructions.iter().rposition(|i| i.keyword == "USER") {
        return Some((stage, at));
    }
    let base = s.base.to_lowercase();
    let parent = file.stages[..stage].iter().rposition(|earlier| earlier.name.as_deref() == Some(base.as_str()))?;
    user_of(file, parent)
}

/// The values ARG and ENV give variables before instruction `at` of `stage`
/// (a stage's `ARG NAME` without a default takes the global ARG's), as the
/// build sees them when no `--build-arg` is given.
fn variables(file: &Dockerfile, stage: usize, at: usize) -> HashMap<String, String> {
    let global: HashMap<String, String> =
        file.preamble.iter().filter(|i| i.keyword == "ARG").filter_map(|i| assignment(&i.args)).collect();
    let mut vars = HashMap::new();
    for i in &file.stages[stage].instructions[..at] {
        match i.keyword.as_str() {
            "ARG" => {
                let name = i.args.split('=').next().unwrap_or("").trim().to_string();
                match assignment(&i.args) {
                    Some((name, value)) => vars.insert(name, value),
                    None => vars.insert(name.clone(), global.get(&name).cloned().unwrap_or_default()),
                };
            }
            "ENV" => {
                if let Some((name, value)) = assignment(&i.args).or_else(|| {
                    let (name, value) = i.args.trim().split_once(char::is_whitespace)?;
                    Some((name.to_string(), value.trim().to_string()))
                }) {
                    vars.insert(name, value);
                }
            }
            _ => {}
        }
    }
    vars
}

/// `NAME=value` (quotes removed), the first of an instruction's assignments.
fn assignment(args: &str) -> Option<(String, String)> {
    let (name, value) = args.trim().split_once('=')?;
    let value = value.split_whitespace().next().unwrap_or("").trim_matches(|c| c == '"' || c == '\'');
    Some((name.trim().to_string(), value.to_string()))
}

/// `text` with `$NAME`, `${NAME}` and `${NAME:-default}` replaced.
fn expand(text: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, default, used) = if let Some(inner) = after.strip_prefix('{') {
            let Some(end) = inner.find('}') else { break };
            let body = &inner[..end];
            let (name, default) = match body.split_once(":-").or_else(|| body.split_once('-')) {
                Some((n, d)) => (n, Some(d)),
                None => (body, None),
            };
            (name, default, end + 2)
        } else {
            let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after.len());
            (&after[..end], None, end)
        };
        match vars.get(name).filter(|v| !v.is_empty()).map(String::as_str).or(default) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[at..at + 1 + used]),
        }
        rest = &after[used..];
    }
    out.push_str(rest);
    out
}

pub fn check(file: &Dockerfile, c: &mut Check) {
    let Some(last) = file.stages.len().checked_sub(1) else { return };
    let stage = &file.stages[last];
    match user_of(file, last) {
        None => c.report(&RULE, stage.from.pos, "the final stage has no USER: the container runs as root"),
        Some((in_stage, at)) => {
            let user = &file.stages[in_stage].instructions[at];
            let value = expand(&user.args, &variables(file, in_stage, at));
            let name = value.split(':').next().unwrap_or("").trim();
            if name == "root" || name == "0" {
                let shown = if value == user.args { String::new() } else { format!(" (= {value})") };
                c.report(&RULE, user.pos, format!("USER {}{shown}: the container runs as root", user.args));
            }
        }
    }
}
