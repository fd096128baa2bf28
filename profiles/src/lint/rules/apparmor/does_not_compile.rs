//! AA009 does-not-compile.

use crate::lint::finding::{Check, Group, Pos, Rule, Severity};

pub static RULE: Rule = Rule {
    id: "AA009",
    name: "does-not-compile",
    group: Group::Apparmor,
    severity: Severity::Error,
    summary: "apparmor_parser refuses the profile",
    doc: "\
What it checks: the profile compiles with `apparmor_parser -QTK` (no kernel needed). The
check runs when apparmor_parser is installed; `cinch lint` says so when it is not.

Why it matters: a profile that does not compile is not loaded, and `docker run --security-opt
apparmor=NAME` then fails to start the container.

Example:
    bad:  profile p { /etc/hostname rz, }
    good: profile p { /etc/hostname r, }",
};

/// Reports the parser's refusal, at the line it names when it names one.
pub fn check(message: &str, c: &mut Check) {
    let line = message
        .split("line ")
        .skip(1)
        .find_map(|rest| rest.split(|ch: char| !ch.is_ascii_digit()).next()?.parse::<usize>().ok())
        .unwrap_or(1);
    c.report(&RULE, Pos::new(line.max(1), 1), format!("apparmor_parser refuses it: {message}"));
}
