//! `cinch apparmor install FILE`: load a profile into the kernel.

use crate::apparmor_parser;
use crate::exit;
use crate::input::{read_text, SMALL_LIMIT};
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::process::Command;

/// Work with AppArmor profiles on this host.
#[derive(Args, Debug)]
pub struct AppArmorArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Subcommand, Debug)]
enum Action {
    Install(InstallArgs),
}

/// Load (or replace) a profile with `apparmor_parser -r`, so that
/// `docker run --security-opt apparmor=NAME` can use it. On a kernel without
/// AppArmor the profile is compile-checked and the command fails, saying so.
#[derive(Args, Debug)]
#[command(after_help = "Example:\n  \
    cinch apparmor install mascot-worker.apparmor && docker run --security-opt apparmor=mascot-worker IMAGE\n\n\
    Exit status: 0 loaded; 2 not loaded: no AppArmor in this kernel, apparmor_parser missing, \
    the profile does not compile, or not permitted (loading needs root).")]
struct InstallArgs {
    /// Profile file (from `cinch generate apparmor`, or any AppArmor profile)
    #[arg(value_name = "FILE")]
    profile: PathBuf,
}

pub fn run(args: AppArmorArgs) -> Result<u8> {
    match args.action {
        Action::Install(args) => install(args),
    }
}

fn install(args: InstallArgs) -> Result<u8> {
    let file = &args.profile;
    let text = read_text(file, SMALL_LIMIT)?;
    let Some(parser) = apparmor_parser::find() else {
        bail!("apparmor_parser is not installed (Debian: apt install apparmor); {} was not loaded", file.display());
    };
    apparmor_parser::check(&text).with_context(|| format!("{} was not loaded", file.display()))?;
    if let Some(reason) = apparmor_parser::kernel_lacks_apparmor() {
        bail!(
            "{reason}: {} compiles but was not loaded, and containers on this host cannot use it \
             (docker run --security-opt apparmor=... fails); load it on a host with AppArmor enabled",
            file.display()
        );
    }
    let out = Command::new(&parser)
        .arg("-r")
        .arg(file)
        .output()
        .with_context(|| format!("cannot run {}", parser.display()))?;
    if !out.status.success() {
        bail!("apparmor_parser -r {} failed: {}", file.display(), apparmor_parser::parser_message(&out.stderr));
    }
    let name = profile_name(&text).unwrap_or("<profile name>");
    say!(
        "cinch: loaded {} (apparmor_parser -r); use it: docker run --security-opt apparmor={name} ...",
        file.display()
    );
    Ok(exit::OK)
}

/// The name of the first `profile NAME` in the text.
fn profile_name(text: &str) -> Option<&str> {
    text.lines()
        .map(str::trim_start)
        .find_map(|l| l.strip_prefix("profile "))
        .and_then(|rest| rest.split_whitespace().next())
        .map(|name| name.trim_matches('"'))
}
