//! User-namespace remapping: container root becomes an unprivileged host id.
//!
//! [`parse_subids`] reads `/etc/subuid`/`/etc/subgid` (through [`crate::subid`],
//! errors name the file and line); [`plan`] picks the user's range: the one
//! it already has, or a new 65,536-wide range that starts at 100,000 or above
//! (never 0, never inside system or login ids) and overlaps no range in
//! either file; [`render`] writes every form users need: daemon.json's
//! `userns-remap`, the lines to add, podman flags, OCI `linux` mappings,
//! Kubernetes `hostUsers: false`, and a setup script that creates the user,
//! adds the lines and chowns the host directories the container writes.

use crate::note::{Note, Remedy};
use crate::shell;
pub use crate::subid::SubIdRange;
use crate::subid::{self, MAX_ID};
use crate::{path, Trace};
use serde_json::json;
use std::ops::Range;

/// Width of a new range: a whole 16-bit id space, as useradd and Docker use.
pub const WIDTH: u64 = 65_536;
/// New ranges start here or above (login.defs' SUB_UID_MIN): above system
/// ids (< 1,000) and the login users' ids (up to 60,000).
pub const FIRST_START: u64 = 100_000;
/// Docker reads only the first five ranges of a user.
pub const DOCKER_RANGES: usize = 5;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UsernsError {
    #[error("{file}: line {line}: {message}")]
    BadLine { file: String, line: usize, message: String },
    #[error("invalid user name {0:?}: use lowercase letters, digits, '_' and '-', starting with a letter or '_' (at most 32)")]
    BadUser(String),
    #[error("no free range of {WIDTH} ids from {FIRST_START} up: the subuid/subgid files fill the id space")]
    NoRoom,
}

/// Reads a subuid/subgid file ([`crate::subid`]); `file` names it in errors.
/// A range of no ids is refused too: Docker cannot map with it.
pub fn parse_subids(file: &str, text: &str) -> Result<Vec<SubIdRange>, UsernsError> {
    let bad = |line: usize, message: String| UsernsError::BadLine { file: file.to_string(), line, message };
    let ranges = subid::parse(text).map_err(|e| bad(e.line, e.message))?;
    if let Some(empty) = ranges.iter().find(|r| r.count == 0) {
        return Err(bad(empty.line, format!("{}:{}:0 is not a usable range", empty.owner, empty.start)));
    }
    Ok(ranges)
}

/// `UID:GID`, both numeric (a FROM-scratch image has no passwd to look names up in).
pub fn parse_ids(text: &str) -> Option<(u32, u32)> {
    text.split_once(':').and_then(|(u, g)| Some((u.parse().ok()?, g.parse().ok()?)))
}

/// A user name useradd and Docker accept.
pub fn check_user(user: &str) -> Result<(), UsernsError> {
    let ok = user.len() <= 32
        && user.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && user.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(UsernsError::BadUser(user.to_string()))
    }
}

/// The ranges the user gets, and the lines to add for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub user: String,
    /// The user's ranges as Docker uses them (at most the first five).
    pub uids: Vec<SubIdRange>,
    pub gids: Vec<SubIdRange>,
    /// `name:start:count` to append, when the user had no range.
    pub add_subuid: Option<String>,
    pub add_subgid: Option<String>,
    pub notes: Vec<Note>,
}

impl Plan {
    /// The host uid of container uid `id` (None when unmapped).
    pub fn host_uid(&self, id: u64) -> Option<u64> {
        host_id(&self.uids, id)
    }
    pub fn host_gid(&self, id: u64) -> Option<u64> {
        host_id(&self.gids, id)
    }
}

/// Container ids map onto the ranges in order, as Docker maps them.
fn host_id(ranges: &[SubIdRange], mut id: u64) -> Option<u64> {
    for range in ranges {
        if id < range.count {
            return Some(range.start + id);
        }
        id -= range.count;
    }
    None
}

pub fn plan(user: &str, subuid: &[SubIdRange], subgid: &[SubIdRange]) -> Result<Plan, UsernsError> {
    check_user(user)?;
    let mut notes = Vec::new();
    let own = |ranges: &[SubIdRange]| -> Vec<SubIdRange> {
        ranges.iter().filter(|r| r.owner == user).take(DOCKER_RANGES).cloned().collect()
    };
    let (mut uids, mut gids) = (own(subuid), own(subgid));
    for (kind, ranges, all) in [("subuid", &uids, subuid), ("subgid", &gids, subgid)] {
        if ranges.is_empty() {
            continue;
        }
        let total: u64 = ranges.iter().map(|r| r.count).sum();
        notes.push(
            format!("{user} already has {total} {kind} ids from {}; they are used as they are", ranges[0].start).into(),
        );
        if total < WIDTH {
            notes.push(format!("{kind}: only {total} ids: container ids from {total} up will not map").into());
        }
        if all.iter().filter(|r| r.owner == user).count() > DOCKER_RANGES {
            notes.push(format!("{kind}: Docker reads only the first {DOCKER_RANGES} ranges of {user}").into());
        }
    }
    let (mut add_subuid, mut add_subgid) = (None, None);
    if uids.is_empty() || gids.is_empty() {
        // One start free in both files, so that uid and gid numbers agree.
        let taken: Vec<Range<u64>> = subuid.iter().chain(subgid).map(SubIdRange::ids).collect();
        let start = free_start(&taken)?;
        let new = |line| SubIdRange { owner: user.to_string(), start, count: WIDTH, line };
        if uids.is_empty() {
            uids = vec![new(0)];
            add_subuid = Some(format!("{user}:{start}:{WIDTH}"));
        }
        if gids.is_empty() {
            gids = vec![new(0)];
            add_subgid = Some(format!("{user}:{start}:{WIDTH}"));
        }
    }
    Ok(Plan { user: user.to_string(), uids, gids, add_subuid, add_subgid, notes })
}

/// The lowest start ≥ FIRST_START where a whole range overlaps nothing
/// taken (as useradd picks: right after the ranges in the way).
fn free_start(taken: &[Range<u64>]) -> Result<u64, UsernsError> {
    let mut start = FIRST_START;
    loop {
        if start + WIDTH > MAX_ID {
            return Err(UsernsError::NoRoom);
        }
        let candidate = start..start + WIDTH;
        match taken.iter().filter(|t| t.start < candidate.end && candidate.start < t.end).map(|t| t.end).max() {
            None => return Ok(start),
            Some(end) => start = end.max(FIRST_START),
        }
    }
}

/// What the artifacts need beyond the plan.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// uid:gid the workload runs as inside the container (0:0 by default).
    pub container_uid: u64,
    pub container_gid: u64,
    /// Host directories mounted into the container, as `docker -v HOST:CONTAINER`.
    pub volumes: Vec<(String, String)>,
}

/// Every artifact, by file name, with notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifacts {
    pub files: Vec<(&'static str, String)>,
    pub notes: Vec<Note>,
}

/// Merges oci-linux.json into a config.json and keeps its other namespaces
/// (a shallow `.linux += ...` would replace the list and drop pid, net, ipc,
/// uts and mount).
const OCI_MERGE: &str = "\
# Merges oci-linux.json into an OCI config.json, keeping its other namespaces:
#   jq --slurpfile userns oci-linux.json -f oci-merge.jq config.json > config.json.new && mv config.json.new config.json
.linux.namespaces = ((.linux.namespaces // []) | map(select(.type != \"user\"))) + $userns[0].namespaces
| .linux.uidMappings = $userns[0].uidMappings
| .linux.gidMappings = $userns[0].gidMappings
";

pub fn render(plan: &Plan, options: &Options, trace: Option<&Trace>) -> Artifacts {
    let mut notes = plan.notes.clone();
    let user = &plan.user;
    let (uid0, gid0) = (plan.uids[0].start, plan.gids[0].start);
    let (uwidth, gwidth) = (plan.uids[0].count, plan.gids[0].count);
    let daemon = serde_json::to_string_pretty(&json!({ "userns-remap": user })).unwrap() + "\n";
    // Line 1 is the flags (scripts read it with `head -1`); the rest says which podman they are for.
    let podman = format!(
        "--uidmap 0:{uid0}:{uwidth} --gidmap 0:{gid0}:{gwidth}\n\
         # For rootful podman (run as root): container ids 0.. onto {user}'s ranges, as Docker's userns-remap.\n\
         # The same by name: --subuidname {user} --subgidname {user} (podman reads /etc/subuid and /etc/subgid).\n\
         # Rootless podman already runs in the invoking user's own /etc/subuid range, and --uidmap there is\n\
         # relative to that namespace: give it none of these (--userns=keep-id keeps your uid inside).\n"
    );
    let mapping = |ranges: &[SubIdRange]| {
        let mut container = 0;
        ranges
            .iter()
            .map(|r| {
                let m = json!({ "containerID": container, "hostID": r.start, "size": r.count });
                container += r.count;
                m
            })
            .collect::<Vec<_>>()
    };
    let oci = serde_json::to_string_pretty(&json!({
        "namespaces": [{ "type": "user" }],
        "uidMappings": mapping(&plan.uids),
        "gidMappings": mapping(&plan.gids),
    }))
    .unwrap()
        + "\n";
    let k8s = "# Kubernetes runs the pod in a user namespace with ids the kubelet picks\n\
               # (Kubernetes 1.30+ with the UserNamespacesSupport feature; on by default in 1.33).\n\
               # Add to the pod's spec:\n\
               spec:\n  hostUsers: false\n"
        .to_string();
    let host_uid = plan.host_uid(options.container_uid);
    let host_gid = plan.host_gid(options.container_gid);
    let mut setup = vec![
        "#!/bin/sh".to_string(),
        format!("# User-namespace remapping for Docker, generated by cinch: container uid 0 is host uid {uid0}."),
        "# Run as root, then merge daemon.json into /etc/docker/daemon.json and restart dockerd.".into(),
        "set -eu".into(),
        format!("user={}", shell::quote(user)),
        "# Docker maps container ids onto the subordinate ranges of this user.".into(),
        "getent passwd \"$user\" >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin \"$user\""
            .into(),
    ];
    for (file, line) in [("/etc/subuid", &plan.add_subuid), ("/etc/subgid", &plan.add_subgid)] {
        if let Some(line) = line {
            let quoted = shell::quote(line);
            setup.push(format!("grep -qxF {quoted} {file} 2>/dev/null || echo {quoted} >> {file}"));
        }
    }
    match (host_uid, host_gid) {
        (Some(u), Some(g)) => {
            let writes = trace.map(Trace::written_dirs).unwrap_or_default();
            for (host, container) in &options.volumes {
                let container_path = path::decode(container).unwrap_or_else(|_| container.as_bytes().to_vec());
                let written =
                    writes.iter().any(|w| path::is_under(w, &container_path) || path::is_under(&container_path, w));
                if written {
                    setup.push(format!(
                        "# {} is {} in the container, which the workload writes: owned by container uid {} = host uid {u}.",
                        sanitize(host),
                        sanitize(container),
                        options.container_uid
                    ));
                    setup.push(format!("chown -R {u}:{g} -- {}", shell::quote(host)));
                } else if trace.is_some() {
                    notes.push(
                        format!(
                            "{}: the trace shows no write under {}; mount it read-only (-v {}:{}:ro)",
                            sanitize(host),
                            sanitize(container),
                            sanitize(host),
                            sanitize(container)
                        )
                        .into(),
                    );
                }
            }
            if options.volumes.is_empty() && !writes.is_empty() {
                let dirs = writes.iter().map(|w| path::encode(w)).collect::<Vec<_>>().join(", ");
                notes.push(Note::with_remedy(
                    format!("the container writes in {dirs}; a host directory among these needs its chown"),
                    Remedy::NameHostVolumes,
                ));
            }
        }
        _ => notes.push(
            format!(
                "container uid {}:{} is outside the mapped ranges; host directories cannot be given to it",
                options.container_uid, options.container_gid
            )
            .into(),
        ),
    }
    setup.push(String::new());
    let files = vec![
        ("daemon.json", daemon),
        ("subuid", plan.add_subuid.as_ref().map_or(String::new(), |l| format!("{l}\n"))),
        ("subgid", plan.add_subgid.as_ref().map_or(String::new(), |l| format!("{l}\n"))),
        ("podman-flags.txt", podman),
        ("oci-linux.json", oci),
        ("oci-merge.jq", OCI_MERGE.to_string()),
        ("k8s-pod.yaml", k8s),
        ("setup.sh", setup.join("\n")),
    ];
    Artifacts { files, notes }
}

/// A user-given path for a comment or note: one line, no control bytes.
fn sanitize(text: &str) -> String {
    path::encode(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(text: &str) -> Vec<SubIdRange> {
        parse_subids("subuid", text).unwrap()
    }

    #[test]
    fn bad_lines_are_named() {
        let err = parse_subids("/etc/subuid", "a:100000:65536\nb:x:1\n").unwrap_err();
        assert_eq!(err.to_string(), "/etc/subuid: line 2: start \"x\" is not an id");
        let err = parse_subids("/etc/subuid", "a:1\n").unwrap_err();
        assert!(err.to_string().starts_with("/etc/subuid: line 1: expected owner:start:count"));
        let err = parse_subids("f", "a:4294967000:65536\n").unwrap_err();
        assert!(err.to_string().contains("runs past the last id"));
        let err = parse_subids("f", "a:100000:0\n").unwrap_err();
        assert!(err.to_string().contains("not a usable range"));
    }

    #[test]
    fn a_new_range_never_overlaps_and_never_starts_low() {
        let p = plan("mascot-worker", &[], &[]).unwrap();
        assert_eq!(p.add_subuid.as_deref(), Some("mascot-worker:100000:65536"));
        assert_eq!(p.host_uid(0), Some(100_000));
        assert_eq!(p.host_uid(1000), Some(101_000));
        assert_eq!(p.host_uid(65_536), None);
        // Debian's first login user and Docker's dockremap take the usual ranges.
        let uids = ranges("alice:100000:65536\ndockremap:165536:65536\n");
        let gids = ranges("alice:100000:65536\nbob:231072:70000\n");
        let p = plan("mascot-worker", &uids, &gids).unwrap();
        let start = p.uids[0].start;
        assert_eq!(start, 301_072, "right after bob's range");
        for r in uids.iter().chain(&gids) {
            assert!(r.ids().end <= start || start + WIDTH <= r.start, "{r:?} overlaps {start}");
        }
        assert_eq!(p.add_subgid.as_deref(), Some("mascot-worker:301072:65536"));
        // A range at 0 (a mistake) does not pull the new one down.
        let p = plan("w", &ranges("x:0:200000\n"), &[]).unwrap();
        assert_eq!(p.uids[0].start, 200_000);
    }

    #[test]
    fn an_existing_range_is_reused() {
        let uids = ranges("mascot-worker:300000:65536\n");
        let p = plan("mascot-worker", &uids, &[]).unwrap();
        assert_eq!(p.add_subuid, None);
        assert_eq!(p.host_uid(5), Some(300_005));
        assert!(p.add_subgid.is_some());
        let small = ranges("w:300000:1000\nw:400000:1000\n");
        let p = plan("w", &small, &small).unwrap();
        assert_eq!(p.host_uid(1500), Some(400_500));
        assert!(p.notes.iter().any(|n| n.text.contains("only 2000 ids")));
    }

    #[test]
    fn users_are_checked() {
        assert!(plan("Mascot", &[], &[]).is_err());
        assert!(plan("a;rm", &[], &[]).is_err());
        assert!(plan("_svc-1", &[], &[]).is_ok());
    }
}

#[cfg(test)]
mod golden {
    use super::*;

    /// Every artifact for the worker: its trace writes results/, which is a
    /// host volume here, with an odd host path to show the quoting.
    #[test]
    fn worker_artifacts() {
        let trace = Trace::from_json(include_str!("../../fixtures/traces/worker-files.json")).unwrap();
        let subuid = parse_subids("subuid", "alice:100000:65536\n").unwrap();
        let plan = plan("mascot-worker", &subuid, &subuid).unwrap();
        let options = Options {
            container_uid: 0,
            container_gid: 0,
            volumes: vec![
                ("/srv/mascot/results it's".into(), "/usr/local/mascotnode/results".into()),
                ("/srv/mascot/sequence".into(), "/usr/local/mascotnode/sequence".into()),
            ],
        };
        let artifacts = render(&plan, &options, Some(&trace));
        let text: String = artifacts.files.iter().map(|(name, body)| format!("==> {name} <==\n{body}\n")).collect();
        insta::assert_snapshot!("worker_userns_artifacts", text);
        insta::assert_debug_snapshot!("worker_userns_notes", artifacts.notes);
    }
}
