//! LINT003 missing-reference.

use crate::lint::finding::{Group, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "LINT003",
    name: "missing-reference",
    group: Group::General,
    severity: Severity::Warning,
    summary: "a `seccomp=FILE` the run line names cannot be found",
    doc: "\
What it checks: a `--security-opt seccomp=FILE` (or compose `security_opt`) names a file that
exists, relative to the linted file's directory when not absolute. Found files are linted
too, as seccomp profiles.

Why it matters: docker refuses to start a container whose profile file is missing, and a
profile that is never linted can be anything.

Example:
    bad:  docker run --security-opt seccomp=missing.json mascot/worker
    good: docker run --security-opt seccomp=seccomp.json mascot/worker  (seccomp.json beside the script)",
};
