//! `cinch cluster`: the Mascot cluster hardening bundle from a node list.

use crate::apparmor_parser;
use crate::exit;
use crate::input::{read_text, SMALL_LIMIT};
use crate::output::OutputDir;
use anyhow::{anyhow, bail, Context, Result};
use cinch_profiles::cluster;
use cinch_profiles::lint::parse::apparmor::Statement;
use cinch_profiles::seccomp;
use clap::Args;
use std::path::{Path, PathBuf};

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
    let text = read_text(&args.nodes, SMALL_LIMIT)?;
    let nodes = cluster::parse(&args.nodes.display().to_string(), &text)?;
    let seccomp = args.seccomp.as_deref().map(read_docker_seccomp).transpose()?;
    let apparmor = args.apparmor.as_deref().map(read_worker_apparmor).transpose()?;
    let bundles = cluster::render(&nodes, seccomp.is_some(), apparmor.is_some());
    let mut output = OutputDir::new(&args.output)?;
    for (host, files) in &bundles {
        for (name, body) in files {
            let script = ["setup.sh", "mascot-node-ctl", "mascot-node-docker"].contains(name);
            output.add(&format!("{host}/{name}"), body.as_bytes(), script)?;
        }
        if let Some(bytes) = &seccomp {
            output.add(&format!("{host}/seccomp.json"), bytes.clone(), false)?;
        }
        if let Some(bytes) = &apparmor {
            output.add(&format!("{host}/mascot-worker.apparmor"), bytes.clone(), false)?;
        }
    }
    output.commit()?;
    if seccomp.is_none() {
        say!("cinch: note: no --seccomp: the worker runs under Docker's default seccomp profile");
    }
    say!(
        "cinch: wrote {} bundle(s) into {}: apply each on its worker with `sh setup.sh` as root (see its README.md)",
        bundles.len(),
        args.output.display()
    );
    Ok(exit::OK)
}

/// The seccomp profile every worker installs for `docker run --security-opt
/// seccomp=`: it must be a valid profile in Docker's form. The bytes are
/// copied as given.
fn read_docker_seccomp(path: &Path) -> Result<Vec<u8>> {
    let text = read_text(path, SMALL_LIMIT)?;
    seccomp::load(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let docker_form = serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| v.get("defaultAction").is_some());
    if !docker_form {
        bail!(
            "{}: not in Docker's form (an object with defaultAction); convert it with cinch generate seccomp --format docker",
            path.display()
        );
    }
    Ok(text.into_bytes())
}

/// The AppArmor profile every worker loads and docker runs the worker under:
/// it must parse, declare `profile mascot-worker` (the name the worker's
/// docker run asks for), and compile where apparmor_parser is installed.
fn read_worker_apparmor(path: &Path) -> Result<Vec<u8>> {
    let text = read_text(path, SMALL_LIMIT)?;
    let statements = cinch_profiles::lint::parse::apparmor::parse(&text)
        .map_err(|(pos, why)| anyhow!("{}: line {}: {why}", path.display(), pos.line))?;
    let declares = statements.iter().any(|s| match s {
        Statement::Header { text, .. } => {
            let mut words = text.split_whitespace();
            words.next() == Some("profile") && words.next() == Some(cluster::APPARMOR_PROFILE)
        }
        _ => false,
    });
    if !declares {
        bail!(
            "{}: declares no `profile {}`, the profile the workers' docker run asks for",
            path.display(),
            cluster::APPARMOR_PROFILE
        );
    }
    apparmor_parser::check(&text).with_context(|| format!("{}: apparmor_parser refuses it", path.display()))?;
    Ok(text.into_bytes())
}
