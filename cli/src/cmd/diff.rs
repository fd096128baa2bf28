//! `cinch diff`: what one seccomp profile allows that the other does not.

use crate::exit;
use crate::input::read_seccomp_profile;
use crate::output::print_stdout;
use anyhow::Result;
use cinch_profiles::seccomp::diff::{diff, Treatment};
use clap::Args;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::path::PathBuf;

/// Compare two seccomp profiles: syscalls and argument rules only one of
/// them has. Exit 1 when they differ, so CI catches a profile that grows.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch diff reviewed/seccomp.json new/seccomp.json\n\n\
    Exit status: 0 same; 1 they differ; 2 a file cannot be read or is not a profile.")]
pub struct DiffArgs {
    /// The reference profile (Docker JSON, OCI config.json or linux.seccomp object)
    old: PathBuf,
    /// The profile to compare with it
    new: PathBuf,
}

pub fn run(args: DiffArgs) -> Result<u8> {
    let old = read_seccomp_profile(&args.old)?;
    let new = read_seccomp_profile(&args.new)?;
    let d = diff(&old, &new);
    if d.is_empty() {
        println!("same: {} and {} allow the same syscalls with the same rules", args.old.display(), args.new.display());
        return Ok(exit::OK);
    }
    let mut out = String::new();
    let (a, b) = (args.old.display(), args.new.display());
    if let Some((x, y)) = &d.default_action {
        let _ = writeln!(out, "default action: {x} in {a}, {y} in {b}");
    }
    if let Some((x, y)) = &d.arches {
        let _ = writeln!(out, "architectures: [{}] in {a}, [{}] in {b}", x.join(", "), y.join(", "));
    }
    section(&mut out, &format!("only in {b} (the new profile allows or does more):"), "+", &d.added);
    section(&mut out, &format!("only in {a}:"), "-", &d.removed);
    print_stdout(&out)?;
    Ok(exit::FINDINGS)
}

fn section(out: &mut String, title: &str, sign: &str, items: &BTreeMap<String, BTreeSet<Treatment>>) {
    if items.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}");
    for (name, treatments) in items {
        for treatment in treatments {
            let _ = writeln!(out, "  {sign} {name}: {treatment}");
        }
    }
}
