//! User-namespace rules: Docker's daemon.json and /etc/subuid, /etc/subgid.
//! NS002 reads the two together (the daemon's remap user needs ranges).

pub mod no_remap;
pub mod remap_user_without_range;
pub mod subid_overlap;
pub mod subid_system_range;
pub mod subid_too_small;

use crate::lint::finding::{Check, Pos, Rule};
use crate::lint::parse::tree::Node;
use crate::subid::SubIdRange;

pub type DaemonRule = (&'static Rule, fn(&Node, &mut Check));
pub type SubidRule = (&'static Rule, fn(&[SubIdRange], &mut Check));

pub static DAEMON_RULES: &[DaemonRule] = &[(&no_remap::RULE, no_remap::check)];

pub static SUBID_RULES: &[SubidRule] = &[
    (&subid_overlap::RULE, subid_overlap::check),
    (&subid_too_small::RULE, subid_too_small::check),
    (&subid_system_range::RULE, subid_system_range::check),
];

/// The user Docker remaps to, from `userns-remap` ("default" is dockremap).
pub fn remap_user(daemon: &Node) -> Option<(String, crate::lint::finding::Pos)> {
    let node = daemon.get("userns-remap")?;
    let value = node.as_str()?.trim();
    if value.is_empty() {
        return None;
    }
    let user = value.split(':').next().unwrap_or(value);
    Some((if user == "default" { "dockremap".to_string() } else { user.to_string() }, node.pos))
}

/// Where a subuid/subgid range is reported: its line.
pub fn line_pos(range: &SubIdRange) -> Pos {
    Pos::new(range.line, 1)
}
