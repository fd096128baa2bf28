//! Trace → seccomp profile. Pure: the same trace and options always give the
//! same profile, byte for byte.
//!
//! The profile denies by default (EPERM) and allows exactly the syscalls the
//! trace saw, plus the container runtime's own syscalls after it installs the
//! filter (see [`super::floor`]). Where seccomp can check the arguments that
//! make a syscall dangerous, the allowance is limited to the values seen:
//! `clone` without namespace flags (Docker's mask), `socket` for the families
//! seen, `personality` and `unshare` for the exact values seen. `clone3` keeps
//! its flags in memory seccomp cannot read, so it is answered with ENOSYS and
//! the C library falls back to `clone`, as under Docker's default profile.

use super::floor::Runtime;
use super::profile::{go_arch, scmp_arch, Action, ArchMap, Arg, Filter, Op, Profile, Rule};
use super::{validate, SeccompError};
use crate::arch::Arch;
use crate::note::Note;
use crate::trace::{Target, Trace};
use std::collections::{BTreeMap, BTreeSet};

/// Namespace flags of clone(2), as masked by Docker's default profile:
/// NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET.
pub const CLONE_NAMESPACE_MASK: u64 = 0x7E02_0000;
/// The errno seccomp returns for syscalls outside the profile.
pub const DEFAULT_ERRNO: u32 = libc::EPERM as u32;
const ENOSYS: u32 = libc::ENOSYS as u32;

/// What to generate besides the trace itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Options {
    /// Whose start-up syscalls to add; `None` for a profile applied right
    /// before exec (`cinch run`) or a trace that already contains them.
    pub runtime: Option<Runtime>,
    /// What happens to a call outside the allowlist.
    pub mode: Mode,
    /// The architectures the profile is for (empty: the trace's). For
    /// another than the trace's, its calls are translated
    /// ([`super::translate`]); names one architecture needs and another
    /// has not go in rules limited to it (`includes.arches`).
    pub arches: Vec<Arch>,
}

/// What a generated profile does with a call outside its allowlist.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Refuse it with EPERM (the profile to deploy).
    #[default]
    Enforce,
    /// Let it run and have the kernel log it (`SCMP_ACT_LOG`): for staging,
    /// where `cinch watch` reports every such call without breaking the service.
    /// The ENOSYS answers stay: they are how the C library is made to fall back.
    Log,
}

impl Mode {
    pub const NAMES: [&'static str; 2] = ["enforce", "log"];
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "enforce" => Ok(Mode::Enforce),
            "log" => Ok(Mode::Log),
            other => Err(format!("unknown mode {other:?}: use enforce or log")),
        }
    }
}

/// A generated profile and what the user should know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    pub profile: Profile,
    /// Sentences for the user: what was added, what could not be made tight.
    pub notes: Vec<Note>,
}

/// Syscalls whose arguments the generator turns into conditions.
const ARG_RULED: &[&str] = &["clone", "clone3", "socket", "personality", "unshare"];

pub fn generate(trace: &Trace, options: &Options) -> Result<Generated, SeccompError> {
    let from = trace.host.arch;
    let arches: Vec<Arch> = if options.arches.is_empty() { vec![from] } else { options.arches.clone() };
    let mut notes = Vec::new();

    // What each architecture allows: the trace's calls, translated where the
    // architecture is not the trace's, and the runtime's floor (measured on
    // x86_64), translated the same way.
    let traced: BTreeSet<&str> = trace.syscalls.keys().map(String::as_str).collect();
    let mut seen_by: BTreeMap<Arch, BTreeSet<String>> = BTreeMap::new();
    for &arch in &arches {
        let (mut seen, made, dropped) = super::translate::translate(traced.iter().copied(), from, arch);
        if arch != from {
            let made: Vec<String> = made.iter().map(|(a, b)| format!("{a} -> {}", b.join(", "))).collect();
            notes.push(
                format!(
                    "for {arch}, translated from the {from} trace: {}",
                    if made.is_empty() { "nothing to translate".to_string() } else { made.join("; ") }
                )
                .into(),
            );
        }
        if !dropped.is_empty() {
            notes.push(
                format!(
                    "left out for {arch}, which has no equivalent of these calls of the {from} trace: {}",
                    dropped.join(", ")
                )
                .into(),
            );
        }
        if let Some(runtime) = options.runtime {
            let (floor, _, _) = super::translate::translate(runtime.floor_names(), Arch::X86_64, arch);
            let added: Vec<String> = floor.into_iter().filter(|n| !seen.contains(n)).collect();
            if !added.is_empty() {
                let on = if arches.len() > 1 { format!(" on {arch}") } else { String::new() };
                notes.push(
                    format!(
                        "added {} syscalls that {runtime} makes after installing the filter and before exec{on}: {}",
                        added.len(),
                        added.join(", ")
                    )
                    .into(),
                );
            }
            seen.extend(added);
        }
        // vfork (and fork) make no namespace: where clone without namespace
        // flags is allowed, they are too, so a shell that vforks (dash, in
        // `docker exec X sh -c`) works alike.
        if seen.contains("clone") || seen.contains("clone3") {
            for fork in ["vfork", "fork"] {
                if arch.syscall_number(fork).is_some() {
                    seen.insert(fork.to_string());
                }
            }
        }
        seen_by.insert(arch, seen);
    }
    let every: BTreeSet<&str> = seen_by.values().flatten().map(String::as_str).collect();
    let seen: BTreeSet<&str> = every.iter().copied().filter(|n| seen_by.values().all(|s| s.contains(*n))).collect();

    let mut rules = Vec::new();
    let plain: Vec<String> = seen.iter().filter(|n| !ARG_RULED.contains(n)).map(|n| (*n).to_string()).collect();
    if !plain.is_empty() {
        rules.push(Rule { names: plain, comment: allow_comment(trace, options.runtime), ..rule(Action::Allow) });
    }
    for (arch, names) in &seen_by {
        let only: Vec<String> =
            names.iter().filter(|n| !seen.contains(n.as_str()) && !ARG_RULED.contains(&n.as_str())).cloned().collect();
        if only.is_empty() {
            continue;
        }
        rules.push(Rule {
            names: only,
            comment: format!("cinch: what {arch} needs besides"),
            includes: Filter { arches: vec![go_arch(*arch).into()], ..Filter::default() },
            ..rule(Action::Allow)
        });
    }
    let seen = every;

    // clone: the namespace bits seen (none, for ordinary threads and forks).
    let clone_flags = observed(trace, "clone", "flags").chain(observed(trace, "clone3", "flags"));
    let mut namespace_sets: BTreeSet<u64> = clone_flags.map(|f| f & CLONE_NAMESPACE_MASK).collect();
    if seen.contains("clone") || seen.contains("clone3") {
        namespace_sets.insert(0);
        for bits in &namespace_sets {
            let comment = if *bits == 0 {
                "clone without namespace flags".to_string()
            } else {
                format!("clone creating namespaces {bits:#x}, as seen in the trace")
            };
            rules.push(Rule {
                names: vec!["clone".into()],
                args: vec![Arg { index: 0, value: CLONE_NAMESPACE_MASK, value_two: *bits, op: Op::MaskedEqual }],
                comment,
                ..rule(Action::Allow)
            });
        }
        rules.push(Rule {
            names: vec!["clone3".into()],
            errno_ret: Some(ENOSYS),
            comment: "clone3's flags are out of seccomp's reach: ENOSYS makes the C library use clone".into(),
            ..rule(Action::Errno)
        });
    }

    // socket: each (family, type) pair seen, the type under SOCK_TYPE_MASK so that
    // SOCK_NONBLOCK and SOCK_CLOEXEC pass: a TCP service gets no UDP or raw socket.
    // Where the protocol is what makes a socket dangerous (raw and packet
    // sockets: which packets it sees or forges), the protocol seen too.
    if seen.contains("socket") {
        let triples: BTreeSet<(u64, Option<u64>, Option<u64>)> = trace
            .syscalls
            .get("socket")
            .into_iter()
            .flat_map(|s| s.args.iter())
            .filter_map(|args| {
                let family = *args.get("domain")?;
                let socket_type = args.get("type").map(|t| t & SOCK_TYPE_MASK);
                let raw = socket_type == Some(SOCK_RAW) || family == AF_PACKET;
                Some((family, socket_type, args.get("protocol").copied().filter(|_| raw)))
            })
            .collect();
        if triples.is_empty() {
            notes.push("socket is allowed with any arguments: the trace recorded none of its values".into());
            rules.push(Rule { names: vec!["socket".into()], ..rule(Action::Allow) });
        }
        for (family, socket_type, protocol) in triples {
            let mut args = vec![Arg { index: 0, value: family, value_two: 0, op: Op::Equal }];
            let mut comment = format!("socket family {family}");
            if let Some(t) = socket_type {
                args.push(Arg { index: 1, value: SOCK_TYPE_MASK, value_two: t, op: Op::MaskedEqual });
                comment.push_str(&format!(", type {t}"));
            }
            if let Some(p) = protocol {
                args.push(Arg { index: 2, value: p, value_two: 0, op: Op::Equal });
                comment.push_str(&format!(", protocol {p}"));
            }
            comment.push_str(", as seen in the trace");
            rules.push(Rule { names: vec!["socket".into()], args, comment, ..rule(Action::Allow) });
        }
    }
    for (syscall, arg, what) in [("personality", "persona", "personality"), ("unshare", "flags", "unshare flags")] {
        if !seen.contains(syscall) {
            continue;
        }
        let values: BTreeSet<u64> = observed(trace, syscall, arg).collect();
        if values.is_empty() {
            notes
                .push(format!("{syscall} is allowed with any arguments: the trace recorded none of its values").into());
            rules.push(Rule { names: vec![syscall.into()], ..rule(Action::Allow) });
            continue;
        }
        for value in values {
            rules.push(Rule {
                names: vec![syscall.into()],
                args: vec![Arg { index: 0, value, value_two: 0, op: Op::Equal }],
                comment: format!("{what} {value}, as seen in the trace"),
                ..rule(Action::Allow)
            });
        }
    }

    if !trace.unknown_syscall_numbers.is_empty() {
        notes.push(
            format!("syscall numbers {:?} have no name on {from} and stay denied", trace.unknown_syscall_numbers)
                .into(),
        );
    }
    notes.extend(crate::note::lost_events(trace));
    notes.extend(crate::note::exit_unseen(trace));

    // Newer calls a C library or runtime tries first and falls back from on
    // ENOSYS: when the trace never saw one, it answers ENOSYS (as if the
    // kernel were older), not EPERM, which would fail the program instead.
    let enosys: Vec<String> = ENOSYS_FALLBACKS
        .iter()
        .filter(|(call, _)| !seen.contains(call) && arches.iter().all(|a| a.syscall_number(call).is_some()))
        .map(|(call, _)| (*call).to_string())
        .collect();
    if !enosys.is_empty() {
        rules.push(Rule {
            names: enosys,
            errno_ret: Some(ENOSYS),
            comment: "not seen: newer calls the C library or runtime falls back from on ENOSYS".into(),
            ..rule(Action::Errno)
        });
    }

    let (default_action, default_errno_ret) = match options.mode {
        Mode::Enforce => (Action::Errno, Some(DEFAULT_ERRNO)),
        Mode::Log => (Action::Log, None),
    };
    let profile = Profile {
        default_action,
        default_errno_ret,
        arch_map: arches
            .iter()
            .map(|a| ArchMap { architecture: scmp_arch(*a).into(), sub_architectures: vec![] })
            .collect(),
        architectures: vec![],
        flags: vec![],
        listener_path: None,
        listener_metadata: None,
        syscalls: rules,
    };
    validate(&profile)?;
    Ok(Generated { profile, notes })
}

/// Values of one recorded argument of a syscall, as seen in the trace.
/// Calls glibc, Go's runtime or runc try before an older equivalent, and fall
/// back from when the kernel answers ENOSYS (moby's clone3 and runc's
/// openat2 reports): (call, what they fall back to). clone3 has its own rule.
pub const ENOSYS_FALLBACKS: &[(&str, &str)] = &[
    ("openat2", "openat"),
    ("faccessat2", "faccessat"),
    ("fchmodat2", "fchmodat"),
    ("statx", "newfstatat"),
    ("close_range", "close"),
    ("epoll_pwait2", "epoll_pwait"),
    ("pidfd_open", "waitid"),
    ("pidfd_send_signal", "kill"),
    ("copy_file_range", "read and write"),
    ("futex_waitv", "futex"),
];

/// The socket type bits of socket(2)'s second argument (the rest are
/// SOCK_NONBLOCK and SOCK_CLOEXEC).
const SOCK_TYPE_MASK: u64 = 0xf;
const SOCK_RAW: u64 = libc::SOCK_RAW as u64;
const AF_PACKET: u64 = libc::AF_PACKET as u64;

fn observed<'t>(trace: &'t Trace, syscall: &str, arg: &'t str) -> impl Iterator<Item = u64> + 't {
    trace
        .syscalls
        .get(syscall)
        .into_iter()
        .flat_map(|s| s.args.iter())
        .filter_map(move |args: &BTreeMap<String, u64>| args.get(arg).copied())
}

fn rule(action: Action) -> Rule {
    Rule {
        names: vec![],
        name: None,
        action,
        errno_ret: None,
        args: vec![],
        comment: String::new(),
        includes: Default::default(),
        excludes: Default::default(),
    }
}

fn allow_comment(trace: &Trace, runtime: Option<Runtime>) -> String {
    let what = match &trace.target {
        Target::Container { name, .. } => format!("container {name}"),
        Target::Command { argv } | Target::Process { argv } => {
            argv.first().map_or("a command", String::as_str).to_string()
        }
        Target::Merged { targets } => format!("{} merged runs", targets.len()),
    };
    match runtime {
        Some(runtime) => format!("cinch: syscalls seen in {what}, and {runtime}'s after it installs the filter"),
        None => format!("cinch: syscalls seen in {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use crate::seccomp::{k8s, load, oci};

    const CONTAINER_TRACE: &str = include_str!("../../../fixtures/traces/worker-container.json");
    const HOST_TRACE: &str = include_str!("../../../fixtures/traces/worker-host.json");
    const DOCKER_DEFAULT: &str = include_str!("../../../fixtures/reference/docker-default-seccomp.json");

    fn container_profile() -> Generated {
        let trace = Trace::from_json(CONTAINER_TRACE).unwrap();
        generate(&trace, &Options { runtime: Some(Runtime::Runc), mode: Mode::Enforce, ..Options::default() }).unwrap()
    }

    #[test]
    fn golden_docker_profile_of_the_worker_container() {
        let generated = container_profile();
        insta::assert_snapshot!("worker_container_docker", generated.profile.to_json());
        insta::assert_debug_snapshot!("worker_container_notes", generated.notes);
    }

    #[test]
    fn golden_oci_and_k8s_forms() {
        let profile = container_profile().profile;
        insta::assert_snapshot!("worker_container_oci", oci::to_json(&oci::to_oci(&profile).unwrap()));
        insta::assert_snapshot!("worker_container_k8s", k8s::to_yaml(&profile, "mascot-worker"));
    }

    #[test]
    fn golden_host_trace_without_floor() {
        let trace = Trace::from_json(HOST_TRACE).unwrap();
        let generated =
            generate(&trace, &Options { runtime: None, mode: Mode::Enforce, ..Options::default() }).unwrap();
        insta::assert_snapshot!("worker_host_docker", generated.profile.to_json());
    }

    #[test]
    fn allows_exactly_the_trace_and_the_floor() {
        let trace = Trace::from_json(CONTAINER_TRACE).unwrap();
        let profile = container_profile().profile;
        let (floor, _) = Runtime::Runc.floor(trace.host.arch);
        let allowed: BTreeSet<&str> =
            profile.syscalls.iter().filter(|r| r.action == Action::Allow).flat_map(|r| r.all_names()).collect();
        // The trace and the floor, and vfork and fork beside clone (they make no namespace).
        let expected: BTreeSet<&str> = trace
            .syscalls
            .keys()
            .map(String::as_str)
            .chain(floor)
            .chain(["vfork", "fork"])
            .filter(|n| *n != "clone3")
            .collect();
        assert_eq!(allowed, expected);
        // Newer calls it never saw answer ENOSYS, so that their callers fall back.
        let enosys: Vec<&str> = profile
            .syscalls
            .iter()
            .filter(|r| r.action == Action::Errno && r.errno_ret == Some(ENOSYS))
            .flat_map(|r| r.all_names())
            .collect();
        assert!(enosys.contains(&"openat2") && enosys.contains(&"clone3") && !enosys.contains(&"statx"), "{enosys:?}");
    }

    #[test]
    fn dangerous_arguments_are_pinned_to_what_was_seen() {
        let profile = container_profile().profile;
        let rules_for = |name: &str| profile.syscalls.iter().filter(|r| r.names == [name]).cloned().collect::<Vec<_>>();
        let clone = rules_for("clone");
        assert_eq!(clone.len(), 1, "the worker only makes threads");
        assert_eq!(clone[0].args, [Arg { index: 0, value: CLONE_NAMESPACE_MASK, value_two: 0, op: Op::MaskedEqual }]);
        let socket = rules_for("socket");
        assert_eq!(socket.len(), 1);
        assert_eq!(socket[0].args[0].value, libc::AF_INET as u64, "the worker only listens on IPv4");
        assert_eq!(
            socket[0].args[1],
            Arg { index: 1, value: SOCK_TYPE_MASK, value_two: libc::SOCK_STREAM as u64, op: Op::MaskedEqual },
            "and over TCP only: no UDP or raw socket"
        );
        let clone3 = rules_for("clone3");
        assert_eq!((clone3[0].action, clone3[0].errno_ret), (Action::Errno, Some(38)));
        assert!(!profile.syscalls.iter().flat_map(|r| r.all_names()).any(|n| n == "ptrace" || n == "mount"));
    }

    #[test]
    fn namespace_creating_clones_and_exact_personalities_get_their_own_rules() {
        let mut trace = Trace::from_json(HOST_TRACE).unwrap();
        let flags = (libc::CLONE_NEWNS | libc::CLONE_NEWPID) as u64 | libc::SIGCHLD as u64;
        trace.add_args("clone", [("flags".to_string(), flags)].into());
        trace.syscalls.entry("personality".into()).or_default().count = 1;
        trace.add_args("personality", [("persona".to_string(), 0xffff_ffff)].into());
        let profile =
            generate(&trace, &Options { runtime: None, mode: Mode::Enforce, ..Options::default() }).unwrap().profile;
        let clone_values: Vec<u64> =
            profile.syscalls.iter().filter(|r| r.names == ["clone"]).map(|r| r.args[0].value_two).collect();
        assert_eq!(clone_values, vec![0, (libc::CLONE_NEWNS | libc::CLONE_NEWPID) as u64]);
        let persona: Vec<u64> =
            profile.syscalls.iter().filter(|r| r.names == ["personality"]).map(|r| r.args[0].value).collect();
        assert_eq!(persona, vec![0xffff_ffff]);
    }

    /// A raw socket is pinned to the protocol seen (ICMP stays ICMP, no raw TCP
    /// forging); an ordinary TCP socket is not, whatever protocol number it passed.
    #[test]
    fn raw_sockets_are_pinned_to_their_protocol() {
        let mut trace = Trace::from_json(HOST_TRACE).unwrap();
        trace.syscalls.entry("socket".into()).or_default().count = 2;
        let socket = |domain: i32, kind: i32, protocol: i32| -> BTreeMap<String, u64> {
            [("domain", domain), ("type", kind), ("protocol", protocol)]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v as u64))
                .collect()
        };
        trace.add_args("socket", socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_ICMP));
        trace.add_args("socket", socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, libc::IPPROTO_TCP));
        let profile =
            generate(&trace, &Options { runtime: None, mode: Mode::Enforce, ..Options::default() }).unwrap().profile;
        let rules: Vec<Vec<(u32, u64, u64)>> = profile
            .syscalls
            .iter()
            .filter(|r| r.names == ["socket"])
            .map(|r| r.args.iter().map(|a| (a.index, a.value, a.value_two)).collect())
            .collect();
        let inet = libc::AF_INET as u64;
        assert!(rules.contains(&vec![(0, inet, 0), (1, 0xf, libc::SOCK_STREAM as u64)]), "{rules:?}");
        assert!(
            rules.contains(&vec![(0, inet, 0), (1, 0xf, libc::SOCK_RAW as u64), (2, libc::IPPROTO_ICMP as u64, 0)]),
            "{rules:?}"
        );
        let env = crate::seccomp::profile::RuleEnv { arch: Arch::X86_64, caps: vec![], kernel: (6, 1) };
        let raw_tcp = [Some(inet), Some(libc::SOCK_RAW as u64), Some(libc::IPPROTO_TCP as u64)];
        assert_ne!(
            crate::seccomp::verdict::verdict(&profile, &env, "socket", &raw_tcp),
            crate::seccomp::verdict::Verdict::Allowed
        );
    }

    #[test]
    fn a_profile_for_both_architectures_translates_and_limits_what_only_one_needs() {
        let trace = Trace::from_json(CONTAINER_TRACE).unwrap();
        let options =
            Options { runtime: Some(Runtime::Runc), arches: vec![Arch::X86_64, Arch::Aarch64], ..Options::default() };
        let generated = generate(&trace, &options).unwrap();
        let profile = &generated.profile;
        assert_eq!(profile.arch_names(), ["SCMP_ARCH_AARCH64", "SCMP_ARCH_X86_64"]);
        let only = |arch: &str| -> Vec<&str> {
            profile
                .syscalls
                .iter()
                .filter(|r| r.includes.arches == [arch])
                .flat_map(|r| r.names.iter().map(String::as_str))
                .collect()
        };
        for name in ["mkdirat", "ppoll", "readlinkat"] {
            assert!(only("arm64").contains(&name), "{name}: {:?}", only("arm64"));
        }
        for name in ["arch_prctl", "mkdir", "poll", "readlink"] {
            assert!(only("amd64").contains(&name), "{name}: {:?}", only("amd64"));
        }
        // Shared names are in the unconditional rules; each rule checks against its arches.
        assert!(profile.syscalls[0].includes.is_empty() && profile.syscalls[0].names.contains(&"openat".to_string()));
        validate(profile).unwrap();
        assert!(generated.notes.iter().any(|n| n.text.contains("mkdir -> mkdirat")), "{:?}", generated.notes);
        assert!(generated.notes.iter().any(|n| n.text.contains("arch_prctl")), "{:?}", generated.notes);
        // The OCI form keeps the per-architecture rules (flattened).
        let oci = oci::to_json(&oci::to_oci(profile).unwrap());
        assert!(oci.contains("\"mkdirat\"") && oci.contains("\"arch_prctl\""), "{oci}");
        // For aarch64 alone, nothing x86_64-only is left.
        let arm = generate(&trace, &Options { arches: vec![Arch::Aarch64], ..options }).unwrap().profile;
        let names: Vec<&str> = arm.syscalls.iter().flat_map(|r| r.all_names()).collect();
        assert!(!names.contains(&"arch_prctl") && !names.contains(&"open") && names.contains(&"openat"), "{names:?}");
        assert!(arm.syscalls.iter().all(|r| r.includes.is_empty()));
    }

    #[test]
    fn a_name_unknown_to_a_listed_arch_is_an_error() {
        let mut profile = container_profile().profile;
        profile.syscalls[0].names.push("not_a_syscall".into());
        assert_eq!(
            validate(&profile),
            Err(SeccompError::UnknownSyscall { name: "not_a_syscall".into(), arch: Arch::X86_64 })
        );
        // arch_prctl exists on x86_64 only: listing arm64 too must fail.
        let mut profile = container_profile().profile;
        profile.arch_map.push(ArchMap { architecture: "SCMP_ARCH_AARCH64".into(), sub_architectures: vec![] });
        assert!(matches!(validate(&profile), Err(SeccompError::UnknownSyscall { arch: Arch::Aarch64, .. })));
    }

    #[test]
    fn generated_profiles_read_back_identically_and_deterministically() {
        let first = container_profile().profile;
        assert_eq!(load(&first.to_json()).unwrap(), first);
        assert_eq!(container_profile().profile.to_json(), first.to_json());
    }

    #[test]
    fn dockers_default_profile_reads_and_the_worker_profile_is_a_fraction_of_it() {
        let docker = load(DOCKER_DEFAULT).unwrap();
        let allowed_on_x86_64 = |p: &Profile| -> BTreeSet<String> {
            p.syscalls
                .iter()
                .filter(|r| r.action == Action::Allow && r.includes.caps.is_empty())
                .filter(|r| r.includes.arches.is_empty() || r.includes.arches.iter().any(|a| a == "amd64"))
                .flat_map(|r| r.all_names())
                .filter(|n| Arch::X86_64.syscall_number(n).is_some())
                .map(str::to_string)
                .collect()
        };
        let ours = allowed_on_x86_64(&container_profile().profile).len();
        let theirs = allowed_on_x86_64(&docker).len();
        // The figures quoted in the README.
        insta::assert_snapshot!("allowlist_sizes", format!("worker profile: {ours}\nDocker default: {theirs}\n"));
        assert!(ours * 4 < theirs, "{ours} vs {theirs}");
    }
}
