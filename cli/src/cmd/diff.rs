//! `cinch diff`: what one seccomp profile allows that the other does not.

use crate::exit;
use crate::input::read_seccomp_profile;
use crate::output::{print_stdout, ReportFormat};
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

    /// text: for people; json: for scripts (schema in the README, `version` 1)
    #[arg(long, value_enum, default_value = "text")]
    format: ReportFormat,
}

pub fn run(args: DiffArgs) -> Result<u8> {
    let old = read_seccomp_profile(&args.old)?;
    let new = read_seccomp_profile(&args.new)?;
    let d = diff(&old, &new);
    if args.format == ReportFormat::Json {
        let treatments = |items: &BTreeMap<String, BTreeSet<Treatment>>| -> serde_json::Value {
            items
                .iter()
                .map(|(name, t)| (name.clone(), serde_json::json!(t.iter().map(|t| t.to_string()).collect::<Vec<_>>())))
                .collect()
        };
        let report = serde_json::json!({
            "version": 1,
            "same": d.is_empty(),
            "old": args.old.display().to_string(),
            "new": args.new.display().to_string(),
            "default_action": d.default_action.as_ref().map(|(a, b)| serde_json::json!({"old": a, "new": b})),
            "architectures": d.arches.as_ref().map(|(a, b)| serde_json::json!({"old": a, "new": b})),
            "added": treatments(&d.added),
            "removed": treatments(&d.removed),
        });
        print_stdout(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
        return Ok(if d.is_empty() { exit::OK } else { exit::FINDINGS });
    }
    if d.is_empty() {
        print_stdout(&format!(
            "same: {} and {} allow the same syscalls with the same rules\n",
            args.old.display(),
            args.new.display()
        ))?;
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
