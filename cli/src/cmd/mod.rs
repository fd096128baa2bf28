//! One file per subcommand (`generate` has one per artifact). A subcommand
//! never imports another: what two share lives outside `cmd` (`input`,
//! `output`) or in the libraries.

pub mod apparmor;
pub mod cluster;
pub mod completions;
pub mod diff;
pub mod explain;
pub mod generate;
pub mod lint;
pub mod man;
pub mod merge;
pub mod profile;
pub mod recipe;
pub mod run;
pub mod show;
pub mod trace;
pub mod watch;
