//! `cinch generate ARTIFACT`: one file per artifact kind.

pub mod apparmor;
pub mod seccomp;
pub mod userns;

use anyhow::Result;
use clap::{Args, Subcommand};

/// Generate a hardening artifact from a trace.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(subcommand)]
    artifact: Artifact,
}

#[derive(Subcommand, Debug)]
enum Artifact {
    Seccomp(seccomp::SeccompArgs),
    Apparmor(apparmor::AppArmorArgs),
    Userns(userns::UsernsArgs),
}

pub fn run(args: GenerateArgs) -> Result<u8> {
    match args.artifact {
        Artifact::Seccomp(args) => seccomp::run(args),
        Artifact::Apparmor(args) => apparmor::run(args),
        Artifact::Userns(args) => userns::run(args),
    }
}
