//! `cinch cluster`: the Mascot cluster hardening bundle from a node list.

use crate::exit;
use crate::output::PendingOutput;
use anyhow::{Context, Result};
use cinch_profiles::cluster;
use clap::Args;
use std::path::PathBuf;

// The help text is clap's, not HTML: `<worker>` is literal.
#[allow(rustdoc::invalid_html_tags)]
/// Write the hardening bundle of every worker of a Mascot cluster.
///
/// From nodes.toml (the master: hostname, ip, optional vpn_ip, its ssh public
/// key; the workers: hostname, ip, optional vpn_interface and vpn_ip), writes
/// DIR/<worker>/: authorized_keys (the master's key restricted with from=,
/// restrict and a forced command), mascot-node-ctl (that command),
/// mascot-node-docker and sudoers (the hardened docker run, as root, nothing
/// else), nftables.conf (TCP 5001 only from the master, only on the VPN
/// interface when given), setup.sh (the non-root account and its node
/// directory, installs everything) and README.md.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch cluster --nodes nodes.toml --seccomp recipe/seccomp.json --apparmor recipe/mascot-worker.apparmor -o bundle/\n  \
    scp -r bundle/node1 root@node1: && ssh root@node1 sh node1/setup.sh\n\n\
    Exit status: 0 written; 2 invalid nodes.toml (file and line named), unreadable profile or unwritable output.")]
pub struct ClusterArgs {
    /// The node list (see fixtures/cluster/nodes.toml)
    #[arg(long, value_name = "FILE")]
    nodes: PathBuf,

    /// The worker's seccomp profile (e.g. from cinch recipe), installed on every worker
    #[arg(long, value_name = "FILE")]
    seccomp: Option<PathBuf>,

    /// The worker's AppArmor profile, installed and loaded where the kernel has AppArmor
    #[arg(long, value_name = "FILE")]
    apparmor: Option<PathBuf>,

    /// Directory to write one subdirectory per worker into
    #[arg(long, short = 'o', value_name = "DIR")]
    output: PathBuf,
}

pub fn run(args: ClusterArgs) -> Result<u8> {
    let text = std::fs::read_to_string(&args.nodes).with_context(|| format!("cannot read {}", args.nodes.display()))?;
    let nodes = cluster::parse(&args.nodes.display().to_string(), &text)?;
    let read = |p: &Option<PathBuf>| -> Result<Option<Vec<u8>>> {
        p.as_ref().map(|p| std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))).transpose()
    };
    let (seccomp, apparmor) = (read(&args.seccomp)?, read(&args.apparmor)?);
    let bundles = cluster::render(&nodes, seccomp.is_some(), apparmor.is_some());
    let mut pending = Vec::new();
    for (host, files) in &bundles {
        let dir = args.output.join(host);
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        for (name, body) in files {
            pending.push((PendingOutput::reserve(&dir.join(name))?, body.as_bytes().to_vec(), dir.join(name)));
        }
        if let Some(bytes) = &seccomp {
            pending.push((PendingOutput::reserve(&dir.join("seccomp.json"))?, bytes.clone(), dir.join("seccomp.json")));
        }
        if let Some(bytes) = &apparmor {
            let path = dir.join("mascot-worker.apparmor");
            pending.push((PendingOutput::reserve(&path)?, bytes.clone(), path));
        }
    }
    for (output, body, path) in pending {
        let script = ["setup.sh", "mascot-node-ctl", "mascot-node-docker"]
            .iter()
            .any(|s| path.file_name().is_some_and(|n| n == *s));
        if script {
            output.commit_executable(&body)?
        } else {
            output.commit(&body)?
        }
    }
    if seccomp.is_none() {
        eprintln!("cinch: note: no --seccomp: the worker runs under Docker's default seccomp profile");
    }
    eprintln!(
        "cinch: wrote {} bundle(s) into {}: apply each on its worker with `sh setup.sh` as root (see its README.md)",
        bundles.len(),
        args.output.display()
    );
    Ok(exit::OK)
}
