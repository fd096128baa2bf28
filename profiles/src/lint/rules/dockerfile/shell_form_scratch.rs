//! DF004 shell-form-scratch.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::dockerfile::Dockerfile;

pub static RULE: Rule = Rule {
    id: "DF004",
    name: "shell-form-scratch",
    group: Group::Dockerfile,
    severity: Severity::Error,
    summary: "shell-form ENTRYPOINT or CMD in a FROM-scratch stage",
    doc: "\
What it checks: `ENTRYPOINT` or `CMD` written as a string rather than a JSON array, in a
stage built FROM scratch.

Why it matters: the string form runs through `/bin/sh -c`, which a scratch image does not
have: the container fails to start with \"no such file or directory\".

Example:
    bad:  ENTRYPOINT /mascot-worker --listen 0.0.0.0:5001
    good: ENTRYPOINT [\"/mascot-worker\", \"--listen\", \"0.0.0.0:5001\"]",
};

pub fn check(file: &Dockerfile, c: &mut Check) {
    for stage in file.stages.iter().filter(|s| s.scratch) {
        for i in stage.instructions.iter().filter(|i| matches!(i.keyword.as_str(), "ENTRYPOINT" | "CMD")) {
            if i.exec.is_none() && !i.args.is_empty() {
                c.report(
                    &RULE,
                    i.pos,
                    format!(
                        "{} in shell form needs /bin/sh, which a scratch image lacks: write it as a JSON array",
                        i.keyword
                    ),
                );
            }
        }
    }
}
