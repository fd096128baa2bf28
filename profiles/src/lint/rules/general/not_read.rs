//! LINT004 not-read.

use crate::lint::finding::{Group, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "LINT004",
    name: "not-read",
    group: Group::General,
    severity: Severity::Error,
    summary: "a file, or part of one, was not checked: a link out of the tree, a special file, over the size limit, or too many findings",
    doc: "\
What it checks: every file cinch lint is given, finds in a walk, or follows from a
`seccomp=FILE` reference can be read safely: a regular file (a symbolic link only when it
resolves inside the tree being linted, or the working directory), of at most 1 MiB.
Others are not opened at all, and this finding says so. A file with more than 1000
findings reports the first 1000 and this finding with the count of the rest.

Why it matters: lint runs in CI on files a pull request controls. A committed
`Dockerfile -> /proc/self/environ` would otherwise print the runner's environment into the
log, a FIFO would hang the job, and a huge or endless file would exhaust its memory. A file
that is not read is not checked, so it fails the run rather than passing in silence.

Example:
    bad:  Dockerfile -> /proc/self/environ   (a link out of the repository)
    good: Dockerfile                         (the file itself, or a link to one in the tree)",
};
