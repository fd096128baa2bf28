//! OCI002 no-new-privileges.

use super::pos_of;
use crate::lint::finding::{Check, Group, Rule, Severity};
use crate::lint::parse::tree::Node;

pub static RULE: Rule = Rule {
    id: "OCI002",
    name: "new-privileges-allowed",
    group: Group::Oci,
    severity: Severity::Warning,
    summary: "process.noNewPrivileges is not true",
    doc: "\
What it checks: `process.noNewPrivileges` is `true`.

Why it matters: without it a setuid or file-capability binary in the image (or one the
process writes) gains privileges on exec. With it, exec never adds privileges, and seccomp
filters can be installed without CAP_SYS_ADMIN.

Example:
    bad:  \"process\": {\"args\": [\"/worker\"]}
    good: \"process\": {\"args\": [\"/worker\"], \"noNewPrivileges\": true}",
};

pub fn check(config: &Node, c: &mut Check) {
    if config.at(&["process", "noNewPrivileges"]).and_then(Node::as_bool) != Some(true) {
        c.report(
            &RULE,
            pos_of(config, &["process", "noNewPrivileges"]),
            "process.noNewPrivileges is not true: setuid binaries can gain privileges",
        );
    }
}
