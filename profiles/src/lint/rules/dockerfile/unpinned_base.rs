//! DF008 unpinned-base.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::dockerfile::Dockerfile;

pub static RULE: Rule = Rule {
    id: "DF008",
    name: "unpinned-base",
    group: Group::Dockerfile,
    severity: Severity::Warning,
    summary: "a base image is not pinned by digest",
    doc: "\
What it checks: every `FROM` that is not `scratch`, an earlier stage or a build argument
names its image with `@sha256:...`.

Why it matters: a tag (`:latest`, `:12`) moves; the same Dockerfile builds a different image
tomorrow, and a compromised registry tag goes straight in.

Example:
    bad:  FROM debian:12
    good: FROM debian:12@sha256:b8084b1a576c5504a031936e1132574f4ce1d6cc7130bbcc25a28f074539ae6b",
};

pub fn check(file: &Dockerfile, c: &mut Check) {
    let mut stages: Vec<&str> = Vec::new();
    for stage in &file.stages {
        let base = stage.base.to_lowercase();
        let earlier = stages.contains(&base.as_str());
        if base != "scratch" && !earlier && !base.contains('$') && !base.contains("@sha256:") {
            c.report(&RULE, stage.from.pos, format!("FROM {}: not pinned by digest (@sha256:...)", stage.base));
        }
        if let Some(name) = &stage.name {
            stages.push(name);
        }
    }
}
