//! `cinch generate apparmor`: trace (or bane TOML) → AppArmor profile, or
//! trace → bane TOML.

use crate::apparmor_parser;
use crate::exit;
use crate::input::read_trace;
use crate::input::{read_text, SMALL_LIMIT};
use crate::output::{print_notes, PendingOutput};
use anyhow::{anyhow, Context, Result};
use cinch_profiles::apparmor::{self, bane};
use clap::Args;
use std::path::PathBuf;

/// Generate an AppArmor profile from a trace, or from bane's TOML.
///
/// From a trace: an allowlist of the files (least permissions seen), sockets
/// and capabilities the workload used, plus the runtime's signals and the
/// protective denies of Docker's docker-default. Every path is quoted and
/// escaped, so a hostile file name stays one rule that matches only itself.
/// The profile is compiled with apparmor_parser before it is written, when
/// the parser is installed.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch generate apparmor --trace trace.json --name mascot-worker -o mascot-worker.apparmor\n  \
    cinch apparmor install mascot-worker.apparmor\n  \
    docker run --security-opt apparmor=mascot-worker IMAGE\n  \
    cinch generate apparmor --bane sample.toml -o docker-nginx-sample.apparmor\n  \
    cinch generate apparmor --trace trace.json --name mascot-worker --emit-bane -o mascot-worker.toml\n\n\
    Exit status: 0 written; 2 unreadable or invalid input (file and line named), a profile \
    apparmor_parser refuses, or unwritable output.")]
pub struct AppArmorArgs {
    /// Trace file written by `cinch trace`
    #[arg(long, value_name = "FILE", required_unless_present = "bane", conflicts_with = "bane")]
    trace: Option<PathBuf>,

    // The help text is clap's, not HTML: `<Name>` is literal.
    #[allow(rustdoc::invalid_html_tags)]
    /// A bane TOML configuration instead of a trace (the profile is named docker-<Name>)
    #[arg(long, value_name = "FILE")]
    bane: Option<PathBuf>,

    /// File to write (atomically)
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,

    /// Profile name, for --security-opt apparmor=NAME (default: the traced container's name)
    #[arg(long, conflicts_with = "bane")]
    name: Option<String>,

    /// Write a bane TOML configuration from the trace instead of a profile
    #[arg(long, requires = "trace")]
    emit_bane: bool,

    /// Allow DIR/* for a directory once the workload created this many files
    /// in it; 0 never generalises
    #[arg(long, value_name = "N", default_value_t = 3)]
    glob_min: usize,

    /// Write the profile in complain mode (flags=(complain), no deny rules):
    /// AppArmor logs what it would deny and lets it happen, for staging
    #[arg(long, conflicts_with = "emit_bane")]
    complain: bool,
}

pub fn run(args: AppArmorArgs) -> Result<u8> {
    let output = PendingOutput::reserve(&args.output)?;
    let (text, notes, is_profile) = match (&args.trace, &args.bane) {
        (_, Some(bane_file)) => {
            let text = read_text(bane_file, SMALL_LIMIT)?;
            let config = bane::parse(&bane_file.display().to_string(), &text)?;
            (staged(bane::to_profile(&config), args.complain).render(), Vec::new(), true)
        }
        (Some(trace_file), None) => {
            let trace = read_trace(trace_file)?;
            let name = args.name.clone().unwrap_or_else(|| trace.default_profile_name());
            if args.emit_bane {
                let (text, notes) = bane::from_trace(&trace, &name, args.glob_min);
                (text, notes, false)
            } else {
                let options = apparmor::Options { name, glob_min: args.glob_min };
                let generated =
                    apparmor::generate(&trace, &options).map_err(|e| anyhow!("cannot generate the profile: {e}"))?;
                (staged(generated.profile, args.complain).render(), generated.notes, true)
            }
        }
        (None, None) => unreachable!("clap requires --trace or --bane"),
    };
    print_notes(&notes);
    let checked = if is_profile {
        apparmor_parser::check(&text).with_context(|| format!("{} was not written", output.shown(&args.output)))?
    } else {
        false
    };
    let shown = output.shown(&args.output);
    output.commit(text.as_bytes())?;
    if is_profile && !checked {
        say!("cinch: note: apparmor_parser is not installed (Debian: apt install apparmor); the profile was not compile-checked");
    }
    say!("cinch: wrote {shown}{}", if checked { " (compiles with apparmor_parser)" } else { "" });
    Ok(exit::OK)
}

/// The profile as asked: enforcing, or in complain mode.
fn staged(profile: apparmor::Profile, complain: bool) -> apparmor::Profile {
    if complain {
        profile.into_complain()
    } else {
        profile
    }
}
