//! RUN011 unchecked-expansion.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::run_config::RunConfig;

pub static RULE: Rule = Rule {
    id: "RUN011",
    name: "unchecked-expansion",
    group: Group::Run,
    severity: Severity::Note,
    summary: "a shell expansion where docker run's options go: what it adds cannot be checked",
    doc: "\
What it checks: a `docker run` (or `create`) line with `$OPTS`, `\"$@\"`, `$(...)` or a
backquote where an option or the image goes. (`eval` and `sh -c` strings are read as
lines of their own first.)

Why it matters: the expansion can add any option, `--privileged` among them, and no rule
sees it. The line is reported as not checked rather than passing as clean.

Example:
    bad:  docker run $DOCKER_OPTS mascot/worker
    good: docker run --cap-drop ALL --security-opt no-new-privileges mascot/worker",
};

pub fn check(run: &RunConfig, c: &mut Check) {
    for (word, pos) in &run.unchecked {
        c.report(&RULE, *pos, format!("{word} expands where options go: what it adds cannot be checked"));
    }
}
