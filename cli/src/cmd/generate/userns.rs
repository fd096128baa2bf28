//! `cinch generate userns`: a user-namespace remap for Docker, podman, OCI
//! runtimes and Kubernetes, from the host's subuid/subgid files.

use crate::exit;
use crate::input::read_trace;
use crate::input::{read_text, SMALL_LIMIT};
use crate::output::{print_notes, OutputDir};
use anyhow::{bail, Result};
use cinch_profiles::userns::{self, SubIdRange};
use clap::Args;
use std::path::{Path, PathBuf};

/// Generate a user-namespace remap: container root becomes an unprivileged host uid.
///
/// Picks the user's subordinate id range (the one it has, or a new 65,536-wide
/// range from 100,000 up that overlaps nothing in the given files) and writes,
/// into DIR: daemon.json (userns-remap), subuid and subgid (the lines to add),
/// podman-flags.txt (rootful podman; rootless needs none), oci-linux.json (namespaces and uid/gid
/// mappings) with oci-merge.jq (merges it into a config.json, keeping the other namespaces),
/// k8s-pod.yaml (hostUsers: false) and setup.sh (creates the user, adds the
/// lines, chowns the host directories the container writes).
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch generate userns --user mascot-worker -o userns/\n  \
    cinch generate userns --trace trace.json --volume /srv/mascot/results:/usr/local/mascotnode/results -o userns/\n  \
    sh userns/setup.sh && merge userns/daemon.json into /etc/docker/daemon.json, restart dockerd\n\n\
    Exit status: 0 written; 2 invalid user, unreadable or invalid subuid/subgid (file and line \
    named), no free range, or unwritable output.")]
pub struct UsernsArgs {
    /// The host user whose subordinate ids Docker maps the container onto
    #[arg(long, default_value = "mascot-worker")]
    user: String,

    /// The host's subuid file (a missing file counts as empty)
    #[arg(long, value_name = "FILE", default_value = "/etc/subuid")]
    subuid: PathBuf,

    /// The host's subgid file (a missing file counts as empty)
    #[arg(long, value_name = "FILE", default_value = "/etc/subgid")]
    subgid: PathBuf,

    /// A trace: host directories (--volume) it writes in get a chown in setup.sh
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,

    /// A host directory mounted into the container, as docker -v HOST:CONTAINER (repeatable)
    #[arg(long, value_name = "HOST:CONTAINER")]
    volume: Vec<String>,

    /// uid:gid the workload runs as inside the container
    #[arg(long, value_name = "UID:GID", default_value = "0:0")]
    container_user: String,

    /// Directory to write the files into (created if missing; each file is written atomically)
    #[arg(long, short = 'o', value_name = "DIR")]
    output: PathBuf,
}

pub fn run(args: UsernsArgs) -> Result<u8> {
    let subuid = read_subids(&args.subuid)?;
    let subgid = read_subids(&args.subgid)?;
    let plan = userns::plan(&args.user, &subuid, &subgid)?;
    let Some((container_uid, container_gid)) = userns::parse_ids(&args.container_user) else {
        bail!("--container-user {:?}: expected numeric UID:GID, e.g. 0:0 or 1000:1000", args.container_user);
    };
    let volumes = args.volume.iter().map(|v| parse_volume(v)).collect::<Result<Vec<_>>>()?;
    let trace = args.trace.as_deref().map(read_trace).transpose()?;
    let options = userns::Options { container_uid: container_uid.into(), container_gid: container_gid.into(), volumes };
    let artifacts = userns::render(&plan, &options, trace.as_ref());

    let mut output = OutputDir::new(&args.output)?;
    for (name, text) in &artifacts.files {
        output.add(name, text.as_bytes(), *name == "setup.sh")?;
    }
    output.commit()?;
    print_notes(&artifacts.notes);
    let uid0 = plan.uids[0].start;
    say!(
        "cinch: wrote {} (daemon.json, subuid, subgid, podman-flags.txt, oci-linux.json, oci-merge.jq, k8s-pod.yaml, setup.sh): \
         container uid 0 = host uid {uid0}{}",
        args.output.display(),
        if plan.add_subuid.is_some() || plan.add_subgid.is_some() { ", a new range" } else { "" }
    );
    Ok(exit::OK)
}

fn read_subids(path: &Path) -> Result<Vec<SubIdRange>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = read_text(path, SMALL_LIMIT)?;
    Ok(userns::parse_subids(&path.display().to_string(), &text)?)
}

fn parse_volume(text: &str) -> Result<(String, String)> {
    let mut parts = text.split(':');
    match (parts.next(), parts.next()) {
        (Some(host), Some(container)) if host.starts_with('/') && container.starts_with('/') => {
            Ok((host.to_string(), container.to_string()))
        }
        _ => bail!("--volume {text:?}: expected HOST:CONTAINER with absolute paths, as docker -v takes"),
    }
}
