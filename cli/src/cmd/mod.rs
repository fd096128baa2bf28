//! One file per subcommand.

pub mod show;
pub mod trace;
