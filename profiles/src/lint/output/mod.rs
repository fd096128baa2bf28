//! The report in each output format: tty (people), json (scripts, schema in
//! the README), sarif (GitHub code scanning), github (workflow annotations).

pub mod github;
pub mod json;
pub mod sarif;
pub mod tty;
