//! OCI runtime config.json rules. The config's `linux.seccomp` is also
//! checked by every seccomp rule.

pub mod dangerous_capability;
pub mod host_namespace;
pub mod masked_paths;
pub mod no_new_privileges;
pub mod no_seccomp;
pub mod root_without_userns;

use crate::lint::finding::{Check, Pos, Rule};
use crate::lint::parse::tree::Node;

pub type OciRule = (&'static Rule, fn(&Node, &mut Check));

pub static RULES: &[OciRule] = &[
    (&no_seccomp::RULE, no_seccomp::check),
    (&no_new_privileges::RULE, no_new_privileges::check),
    (&dangerous_capability::RULE, dangerous_capability::check),
    (&root_without_userns::RULE, root_without_userns::check),
    (&host_namespace::RULE, host_namespace::check),
    (&masked_paths::RULE, masked_paths::check),
];

/// Where a finding about `keys` goes: the deepest of them that exists.
pub fn pos_of(config: &Node, keys: &[&str]) -> Pos {
    let mut pos = config.pos;
    let mut node = config;
    for key in keys {
        match node.member(key) {
            Some(member) => {
                pos = member.key_pos;
                node = &member.value;
            }
            None => break,
        }
    }
    pos
}

/// The namespace types in `linux.namespaces`.
pub fn namespaces(config: &Node) -> Vec<&str> {
    let list = config.at(&["linux", "namespaces"]).map(Node::items).unwrap_or_default();
    list.iter().filter_map(|n| n.get("type").and_then(Node::as_str)).collect()
}
