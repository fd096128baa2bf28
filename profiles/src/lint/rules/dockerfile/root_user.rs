//! DF001 root-user.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::dockerfile::{Dockerfile, Instruction};

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

/// The last USER of `stage`, or of the earlier stage it is built FROM.
fn user_of(file: &Dockerfile, stage: usize) -> Option<&Instruction> {
    let s = &file.stages[stage];
    if let Some(user) = s.instructions.iter().rev().find(|i| i.keyword == "USER") {
        return Some(user);
    }
    let base = s.base.to_lowercase();
    let parent = file.stages[..stage].iter().rposition(|earlier| earlier.name.as_deref() == Some(base.as_str()))?;
    user_of(file, parent)
}

pub fn check(file: &Dockerfile, c: &mut Check) {
    let Some(last) = file.stages.len().checked_sub(1) else { return };
    let stage = &file.stages[last];
    match user_of(file, last) {
        None => c.report(&RULE, stage.from.pos, "the final stage has no USER: the container runs as root"),
        Some(user) => {
            let name = user.args.split(':').next().unwrap_or("").trim();
            if name == "root" || name == "0" {
                c.report(&RULE, user.pos, format!("USER {}: the container runs as root", user.args));
            }
        }
    }
}
