//! AA005 dangerous-capability.

use super::allows;
use crate::lint::caps;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::apparmor::Statement;

pub static RULE: Rule = Rule {
    id: "AA005",
    name: "dangerous-capability",
    group: Group::Apparmor,
    severity: Severity::Error,
    summary: "the profile allows a capability that breaks the container boundary",
    doc: "\
What it checks: a `capability` rule allows sys_admin, sys_module, sys_ptrace, sys_rawio,
sys_boot, sys_time, net_admin, dac_read_search, bpf, perfmon, mac_admin, mac_override,
syslog or sys_pacct (a bare `capability,` is AA010).

Why it matters: AppArmor is the second lock after the capability set; allowing these here
means one mistake in `--cap-add` is enough.

Example:
    bad:  capability sys_admin,
    good: capability net_bind_service,",
};

pub fn check(statements: &[Statement], c: &mut Check) {
    for rule in allows(statements) {
        if rule.keyword() != "capability" {
            continue;
        }
        for name in &rule.words[1..] {
            if let Some(why) = caps::dangerous(name) {
                c.report(&RULE, rule.pos, format!("capability {name}: {why}"));
            }
        }
    }
}
