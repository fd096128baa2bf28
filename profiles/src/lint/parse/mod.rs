//! Parsers that keep positions, one per format the linter reads.

pub mod apparmor;
pub mod dockerfile;
pub mod json;
pub mod shell;
pub mod tree;
pub mod yaml;
