//! `cinch merge`: the union of several traces of one workload (e.g. the same
//! service driven by different test suites), with how many runs saw each
//! fact so that coverage shows. Counts add up, sets unite, flags are kept if
//! any run set them. The result does not depend on the order of the inputs,
//! and merging merged traces counts their runs.

use crate::trace::{Endpoint, Target, Trace};
use crate::Arch;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MergeError {
    #[error("nothing to merge: give at least one trace")]
    Empty,
    #[error(
        "{name} is a trace of {arch} but {first_name} is of {first_arch}: syscalls of different \
         architectures cannot be merged"
    )]
    Arch { name: String, arch: Arch, first_name: String, first_arch: Arch },
}

/// Merges named traces (the names are for errors only).
pub fn merge(traces: &[(String, Trace)]) -> Result<Trace, MergeError> {
    let Some((first_name, first)) = traces.first() else { return Err(MergeError::Empty) };
    for (name, trace) in traces {
        if trace.host.arch != first.host.arch {
            return Err(MergeError::Arch {
                name: name.clone(),
                arch: trace.host.arch,
                first_name: first_name.clone(),
                first_arch: first.host.arch,
            });
        }
    }

    let mut targets: Vec<Target> = traces.iter().flat_map(|(_, t)| targets_of(&t.target)).collect();
    targets.sort_by_key(|t| serde_json::to_string(t).expect("a target serializes"));
    targets.dedup();
    let target = match targets.len() {
        1 => targets.remove(0),
        _ => Target::Merged { targets },
    };
    let kernels: BTreeSet<&str> = traces.iter().flat_map(|(_, t)| t.host.kernel.split(", ")).collect();
    let mut host = first.host.clone();
    host.kernel = kernels.into_iter().collect::<Vec<_>>().join(", ");

    let mut out = Trace::new(target, host);
    // Some run did not see its workload exit; or every run did; or some cannot say.
    let exits: Vec<Option<bool>> = traces.iter().map(|(_, t)| t.target_exited).collect();
    out.target_exited = if exits.contains(&Some(false)) {
        Some(false)
    } else if exits.iter().all(|e| *e == Some(true)) {
        Some(true)
    } else {
        None
    };
    // Who did what is known of the merge only if it is of every run.
    out.setup_recorded = traces.iter().all(|(_, t)| t.setup_recorded);
    let mut network: BTreeMap<Endpoint, u64> = BTreeMap::new();
    for (_, trace) in traces {
        let weight = |runs: Option<u64>| runs.unwrap_or(1);
        out.processes += trace.processes;
        out.from_container_start |= trace.from_container_start;
        out.lost_events += trace.lost_events;
        out.runs = Some(out.runs.unwrap_or(0) + weight(trace.runs));
        out.unknown_syscall_numbers.extend(&trace.unknown_syscall_numbers);
        for (name, usage) in &trace.syscalls {
            let entry = out.syscalls.entry(name.clone()).or_default();
            entry.count += usage.count;
            entry.setup += usage.setup;
            entry.args.extend(usage.args.iter().cloned());
            entry.runs = Some(entry.runs.unwrap_or(0) + weight(usage.runs));
        }
        for (path, usage) in &trace.files {
            let entry = out.files.entry(path.clone()).or_default();
            entry.access.extend(&usage.access);
            entry.directory |= usage.directory;
            entry.truncated |= usage.truncated;
            entry.by_name |= usage.by_name;
            entry.outside_root |= usage.outside_root;
            entry.chrooted |= usage.chrooted;
            entry.capabilities.extend(usage.capabilities.iter().cloned());
            entry.names.extend(usage.names.iter().cloned());
            entry.runs = Some(entry.runs.unwrap_or(0) + weight(usage.runs));
        }
        for (path, usage) in &trace.failed_files {
            let entry = out.failed_files.entry(path.clone()).or_default();
            entry.access.extend(&usage.access);
            entry.errors.extend(usage.errors.iter().cloned());
            entry.truncated |= usage.truncated;
            entry.runs = Some(entry.runs.unwrap_or(0) + weight(usage.runs));
        }
        out.signals_across_users.extend(trace.signals_across_users.iter().cloned());
        for (path, usage) in &trace.executions {
            let entry = out.executions.entry(path.clone()).or_default();
            entry.argv0.extend(usage.argv0.iter().cloned());
            entry.parents.extend(usage.parents.iter().cloned());
            entry.truncated |= usage.truncated;
            entry.outside_root |= usage.outside_root;
            entry.scripts.extend(usage.scripts.iter().cloned());
            entry.runs = Some(entry.runs.unwrap_or(0) + weight(usage.runs));
        }
        for endpoint in &trace.network {
            let key = Endpoint { runs: None, ..endpoint.clone() };
            *network.entry(key).or_default() += weight(endpoint.runs);
        }
    }
    out.network = network.into_iter().map(|(endpoint, runs)| Endpoint { runs: Some(runs), ..endpoint }).collect();
    Ok(out)
}

/// The runs a target stands for: itself, or those of a merged trace.
fn targets_of(target: &Target) -> Vec<Target> {
    match target {
        Target::Merged { targets } => targets.clone(),
        other => vec![other.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Access, FileSeen, Host, NetOp, NetSeen, SeenPath, SyscallUse};

    fn run(argv: &str, syscalls: &[(&str, u64)], files: &[(&str, Access)], port: u16) -> Trace {
        let mut trace = Trace::new(
            Target::Command { argv: vec![argv.into()] },
            Host { kernel: "6.1.0".into(), arch: Arch::X86_64, kernel_lacks: vec![] },
        );
        for (name, count) in syscalls {
            trace.syscalls.insert((*name).into(), SyscallUse { count: *count, ..Default::default() });
        }
        for (path, access) in files {
            trace.add_file(&FileSeen {
                path: SeenPath::Resolved(path.as_bytes().to_vec()),
                access: [*access].into(),
                error: None,
                directory: false,
                truncated: false,
                outside_root: false,
                chrooted: false,
                procfs: false,
                pid: 1,
                tid: 1,
                capabilities: vec![],
                given: None,
            });
        }
        trace.add_endpoint(&NetSeen {
            op: NetOp::Listen,
            family: libc::AF_INET as u16,
            socket_type: libc::SOCK_STREAM as u16,
            addr: [0; 16],
            port,
            unix_path: vec![],
            error: None,
        });
        trace
    }

    fn named(traces: &[&Trace]) -> Vec<(String, Trace)> {
        traces.iter().enumerate().map(|(i, t)| (format!("t{i}.json"), (*t).clone())).collect()
    }

    #[test]
    fn merge_is_deterministic_and_commutative_and_counts_runs() {
        let a = run("/a", &[("read", 3), ("write", 1)], &[("/db", Access::Read)], 5001);
        let b = run("/b", &[("read", 2), ("openat", 4)], &[("/db", Access::Write), ("/log", Access::Append)], 5001);
        let c = run("/a", &[("read", 1)], &[], 5002);
        let ab = merge(&named(&[&a, &b])).unwrap();
        assert_eq!(ab.to_json(), merge(&named(&[&b, &a])).unwrap().to_json());
        assert_eq!(ab.runs, Some(2));
        assert_eq!(ab.syscalls["read"].count, 5);
        assert_eq!(ab.syscalls["read"].runs, Some(2));
        assert_eq!(ab.syscalls["write"].runs, Some(1));
        assert_eq!(ab.files["/db"].access, [Access::Read, Access::Write].into());
        assert_eq!(ab.files["/db"].runs, Some(2));
        assert_eq!(ab.network.len(), 1);
        assert_eq!(ab.network[0].runs, Some(2));

        // Associative too: merging a merged trace counts its runs.
        let ab_c = merge(&named(&[&ab, &c])).unwrap();
        let a_bc = merge(&named(&[&a, &merge(&named(&[&b, &c])).unwrap()])).unwrap();
        assert_eq!(ab_c.to_json(), a_bc.to_json());
        assert_eq!(ab_c.runs, Some(3));
        assert_eq!(ab_c.syscalls["read"].runs, Some(3));
        assert!(matches!(ab_c.target, Target::Merged { ref targets } if targets.len() == 2));
        let parsed = Trace::from_json(&ab_c.to_json()).unwrap();
        assert_eq!(parsed, ab_c);
        insta::assert_snapshot!(ab.to_json());
    }

    #[test]
    fn different_architectures_are_refused() {
        let a = run("/a", &[("read", 1)], &[], 1);
        let mut b =
            Trace::new(a.target.clone(), Host { kernel: "6.1.0".into(), arch: Arch::Aarch64, kernel_lacks: vec![] });
        b.syscalls.insert("read".into(), SyscallUse { count: 1, ..Default::default() });
        let err = merge(&named(&[&a, &b])).unwrap_err();
        assert!(err.to_string().contains("t1.json is a trace of aarch64 but t0.json is of x86_64"), "{err}");
        assert_eq!(merge(&[]), Err(MergeError::Empty));
    }
}
