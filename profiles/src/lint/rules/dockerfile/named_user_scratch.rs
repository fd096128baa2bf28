//! DF002 named-user-scratch.

use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::dockerfile::Dockerfile;

pub static RULE: Rule = Rule {
    id: "DF002",
    name: "named-user-scratch",
    group: Group::Dockerfile,
    severity: Severity::Error,
    summary: "USER names a user in a FROM-scratch stage that has no /etc/passwd",
    doc: "\
What it checks: in a stage built FROM scratch, `USER` is a name rather than numbers, and no
COPY/ADD in the stage brings an /etc/passwd (or a tar that may hold one).

Why it matters: a scratch image has no /etc/passwd, so Docker cannot resolve the name and the
container does not start (\"unable to find user\").

Example:
    bad:  FROM scratch
          USER mascot
    good: FROM scratch
          USER 10001:10001",
};

pub fn check(file: &Dockerfile, c: &mut Check) {
    for stage in file.stages.iter().filter(|s| s.scratch) {
        let brings_passwd = stage.instructions.iter().any(|i| {
            matches!(i.keyword.as_str(), "COPY" | "ADD")
                && (i.args.contains("passwd") || i.args.contains(".tar") || i.args.contains("/etc"))
        });
        if brings_passwd {
            continue;
        }
        for user in stage.instructions.iter().filter(|i| i.keyword == "USER") {
            let numeric =
                user.args.split(':').all(|part| !part.is_empty() && part.chars().all(|ch| ch.is_ascii_digit()));
            if !numeric && !user.args.contains('$') {
                c.report(
                    &RULE,
                    user.pos,
                    format!(
                        "USER {} in a scratch image: there is no /etc/passwd to find it in; use uid:gid",
                        user.args
                    ),
                );
            }
        }
    }
}
