//! Process plumbing for `cinch trace` and `cinch profile`, one file per
//! concern: a child held just before its exec (`held`), watching a process
//! that is not ours (`pidfd`), and the signals that stop a trace (`signals`).
//! The decisions (what to trace, when to stop) live in `crate::record`.

pub mod held;
pub mod pidfd;
pub mod signals;
