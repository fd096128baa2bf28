//! DF003 run-in-scratch.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::dockerfile::Dockerfile;

pub static RULE: Rule = Rule {
    id: "DF003",
    name: "run-in-scratch",
    group: Group::Dockerfile,
    severity: Severity::Error,
    summary: "shell-form RUN in a FROM-scratch stage, which has no shell",
    doc: "\
What it checks: a `RUN` in shell form in a stage built FROM scratch.

Why it matters: shell form runs `/bin/sh -c`, which a scratch image does not have: the build
fails. Do the work in a builder stage and COPY the result.

Example:
    bad:  FROM scratch
          RUN mkdir /results
    good: FROM debian:12 AS build
          RUN mkdir /results
          FROM scratch
          COPY --from=build /results /results",
};

pub fn check(file: &Dockerfile, c: &mut Check) {
    for stage in file.stages.iter().filter(|s| s.scratch) {
        for run in stage.instructions.iter().filter(|i| i.keyword == "RUN" && i.exec.is_none()) {
            c.report(&RULE, run.pos, "RUN in a scratch stage: there is no /bin/sh to run it");
        }
    }
}
