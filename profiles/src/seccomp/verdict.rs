//! What a profile does with a call, and what `cinch watch` makes of the calls
//! it saw: which ran outside a profile's allowlist (under `SCMP_ACT_LOG`), and
//! the trace of what a profile lacked, for `cinch merge`. Pure.

use super::generate::ENOSYS_FALLBACKS;
use super::profile::{Action, Arg, Op, Profile, RuleEnv};
use crate::arch::{recorded_arg_mask, recorded_args};
use crate::trace::Trace;
use std::collections::{BTreeMap, BTreeSet};

/// What a profile answers a call with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// An allow rule matches.
    Allowed,
    /// No allow rule matches: the call gets this action (the default, or a rule's).
    Outside(Action),
    /// Only rules with argument conditions name it, and its arguments were not recorded.
    Unknown,
}

/// How severe an action is, as the kernel ranks filter answers (most severe wins).
fn severity(action: Action) -> u8 {
    match action {
        Action::KillProcess | Action::Kill => 7,
        Action::KillThread => 6,
        Action::Trap => 5,
        Action::Errno => 4,
        Action::Trace => 3,
        Action::Notify => 2,
        Action::Log => 1,
        Action::Allow => 0,
    }
}

fn holds(arg: &Arg, values: &[Option<u64>]) -> Option<bool> {
    let value = (*values.get(arg.index as usize)?)?;
    Some(match arg.op {
        Op::NotEqual => value != arg.value,
        Op::LessThan => value < arg.value,
        Op::LessOrEqual => value <= arg.value,
        Op::Equal => value == arg.value,
        Op::GreaterOrEqual => value >= arg.value,
        Op::GreaterThan => value > arg.value,
        Op::MaskedEqual => value & arg.value == arg.value_two,
    })
}

/// What `profile`, loaded in `env`, answers `syscall` called with `values`
/// (by argument index; None where the value is not known). Among the rules
/// that match, the most severe action wins (as in the kernel, and in how
/// `cinch run` stacks filters); with none, the default action.
pub fn verdict(profile: &Profile, env: &RuleEnv, syscall: &str, values: &[Option<u64>]) -> Verdict {
    let mut matched: Option<Action> = None;
    let mut unknown = false;
    for rule in profile.syscalls.iter().filter(|r| r.applies(env) && r.all_names().any(|n| n == syscall)) {
        // Some(true): a condition set holds; Some(false): none does; None: cannot tell.
        let mut outcome = Some(false);
        for set in rule.condition_sets() {
            match set.iter().try_fold(true, |all, arg| holds(arg, values).map(|h| all && h)) {
                Some(true) => {
                    outcome = Some(true);
                    break;
                }
                Some(false) => {}
                None => outcome = None,
            }
        }
        match outcome {
            Some(true) => {
                matched = Some(match matched {
                    Some(seen) if severity(seen) >= severity(rule.action) => seen,
                    _ => rule.action,
                })
            }
            Some(false) => {}
            None => unknown = true,
        }
    }
    match matched {
        Some(Action::Allow) => Verdict::Allowed,
        Some(action) => Verdict::Outside(action),
        None if unknown => Verdict::Unknown,
        None => Verdict::Outside(profile.default_action),
    }
}

/// A call that ran although the profile does not allow it (it answered
/// `SCMP_ACT_LOG`, or the call came before the filter was complete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outside {
    pub syscall: String,
    pub action: Action,
    pub count: u64,
    /// The recorded argument values outside the profile (empty when the
    /// call's arguments are not recorded: the name alone is outside).
    pub args: BTreeSet<BTreeMap<String, u64>>,
}

/// The recorded argument values of a call in index order (None where unrecorded).
fn values_of(syscall: &str, args: &BTreeMap<String, u64>) -> Vec<Option<u64>> {
    let mask = recorded_arg_mask(syscall);
    recorded_args(syscall).unwrap_or_default().iter().map(|name| args.get(*name).map(|v| v & mask)).collect()
}

/// The calls of `trace` that ran outside `profile` in `env`: every name the
/// profile does not allow, and for calls whose arguments are recorded (socket,
/// clone, ...), each set of values it does not allow.
pub fn outside_profile(trace: &Trace, profile: &Profile, env: &RuleEnv) -> Vec<Outside> {
    let mut out = Vec::new();
    for (syscall, use_) in &trace.syscalls {
        if use_.count == 0 {
            continue; // argument values of a refused call: not a call that ran
        }
        let by_name = verdict(profile, env, syscall, &[]);
        if use_.args.is_empty() || recorded_args(syscall).is_none() {
            if let Verdict::Outside(action) = by_name {
                out.push(Outside { syscall: syscall.clone(), action, count: use_.count, args: BTreeSet::new() });
            }
            continue;
        }
        let mut worst: Option<Action> = None;
        let mut args = BTreeSet::new();
        for values in &use_.args {
            if let Verdict::Outside(action) = verdict(profile, env, syscall, &values_of(syscall, values)) {
                args.insert(values.clone());
                worst = Some(worst.map_or(action, |w| if severity(action) > severity(w) { action } else { w }));
            }
        }
        if let Some(action) = worst {
            out.push(Outside { syscall: syscall.clone(), action, count: use_.count, args });
        }
    }
    out
}

/// Whether refusing `syscall` with `errno` is by design: an ENOSYS answer to
/// a call the C library or runtime falls back from (clone3 included).
pub fn is_fallback(syscall: &str, errno: i32) -> bool {
    errno == libc::ENOSYS && (syscall == "clone3" || ENOSYS_FALLBACKS.iter().any(|(call, _)| *call == syscall))
}

/// What a profile lacked, as a trace `cinch merge` takes: the refused calls
/// (`(syscall, count)`, fallbacks left out) with the argument values recorded
/// for them, and the calls that ran outside it. The target, host and losses
/// are those of the watched trace; its files and programs are left out (they
/// were allowed).
pub fn lacking_trace(watched: &Trace, refused: &[(String, u64)], outside: &[Outside]) -> Trace {
    let mut trace = Trace::new(watched.target.clone(), watched.host.clone());
    trace.lost_events = watched.lost_events;
    trace.processes = watched.processes;
    for (syscall, count) in refused {
        let entry = trace.syscalls.entry(syscall.clone()).or_default();
        entry.count += count;
        if let Some(seen) = watched.syscalls.get(syscall) {
            entry.args.extend(seen.args.iter().cloned());
        }
    }
    for call in outside {
        let entry = trace.syscalls.entry(call.syscall.clone()).or_default();
        entry.count += call.count;
        entry.args.extend(call.args.iter().cloned());
    }
    trace
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seccomp::generate::{generate, Mode, Options};
    use crate::trace::{Host, Target};
    use crate::Arch;

    fn env() -> RuleEnv {
        RuleEnv { arch: Arch::X86_64, caps: vec![], kernel: (6, 1) }
    }

    fn trace_of(calls: &[(&str, u64)]) -> Trace {
        let mut trace = Trace::new(
            Target::Command { argv: vec!["x".into()] },
            Host { kernel: "6.1.0".into(), arch: Arch::X86_64, kernel_lacks: vec![] },
        );
        for (name, count) in calls {
            trace.syscalls.entry(name.to_string()).or_default().count = *count;
        }
        trace
    }

    fn socket_args(domain: u64, kind: u64) -> BTreeMap<String, u64> {
        [("domain".to_string(), domain), ("type".to_string(), kind), ("protocol".to_string(), 0)].into()
    }

    #[test]
    fn a_log_profile_of_a_trace_sees_only_what_the_trace_did_not_do() {
        let mut traced = trace_of(&[("read", 3), ("socket", 1)]);
        traced.add_args("socket", socket_args(2, 1)); // AF_INET, SOCK_STREAM
        let profile =
            generate(&traced, &Options { runtime: None, mode: Mode::Log, ..Options::default() }).unwrap().profile;
        assert_eq!(profile.default_action, Action::Log);

        let mut later = trace_of(&[("read", 9), ("socket", 2), ("fsync", 1)]);
        later.add_args("socket", socket_args(2, 1));
        later.add_args("socket", socket_args(2, 3)); // SOCK_RAW
        let outside = outside_profile(&later, &profile, &env());
        let names: Vec<&str> = outside.iter().map(|o| o.syscall.as_str()).collect();
        assert_eq!(names, ["fsync", "socket"]);
        assert_eq!(outside[1].args, [socket_args(2, 3)].into());
        assert!(outside.iter().all(|o| o.action == Action::Log));
    }

    #[test]
    fn the_most_severe_matching_rule_wins_and_unrecorded_arguments_are_unknown() {
        let traced = trace_of(&[("read", 1), ("clone", 1)]);
        let profile =
            generate(&traced, &Options { runtime: None, mode: Mode::Enforce, ..Options::default() }).unwrap().profile;
        assert_eq!(verdict(&profile, &env(), "read", &[]), Verdict::Allowed);
        assert_eq!(verdict(&profile, &env(), "clone3", &[]), Verdict::Outside(Action::Errno));
        assert_eq!(verdict(&profile, &env(), "mount", &[]), Verdict::Outside(Action::Errno));
        // clone is allowed only without namespace flags.
        assert_eq!(verdict(&profile, &env(), "clone", &[]), Verdict::Unknown);
        assert_eq!(verdict(&profile, &env(), "clone", &[Some(0x11)]), Verdict::Allowed);
        assert_eq!(verdict(&profile, &env(), "clone", &[Some(0x1000_0000)]), Verdict::Outside(Action::Errno));
    }

    #[test]
    fn the_lacking_trace_holds_refusals_and_outside_calls_but_no_fallback() {
        assert!(is_fallback("clone3", libc::ENOSYS) && is_fallback("openat2", libc::ENOSYS));
        assert!(!is_fallback("openat2", libc::EPERM) && !is_fallback("fsync", libc::ENOSYS));
        let mut watched = trace_of(&[("read", 5)]);
        watched.add_args("socket", socket_args(2, 3));
        let outside = vec![Outside { syscall: "fsync".into(), action: Action::Log, count: 2, args: BTreeSet::new() }];
        let lacking = lacking_trace(&watched, &[("socket".into(), 4), ("wait4".into(), 7)], &outside);
        let names: Vec<&str> = lacking.syscalls.keys().map(String::as_str).collect();
        assert_eq!(names, ["fsync", "socket", "wait4"]);
        assert_eq!(lacking.syscalls["socket"].args, [socket_args(2, 3)].into());
        assert_eq!(lacking.syscalls["wait4"].count, 7);
    }
}
