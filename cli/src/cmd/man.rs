//! `cinch man`: manual pages in roff, generated from the clap definitions:
//! cinch(1) on stdout, or one page per subcommand into a directory.

use crate::exit;
use crate::output::{print_bytes, OutputDir};
use anyhow::Result;
use clap::Args;
use std::path::PathBuf;

/// Write cinch's manual pages.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch man | man -l -\n  \
    cinch man -o /usr/local/share/man/man1")]
pub struct ManArgs {
    /// Directory for cinch.1 and a cinch-SUBCOMMAND.1 page each (default: cinch.1 on stdout)
    #[arg(long, short = 'o', value_name = "DIR")]
    output: Option<PathBuf>,
}

pub fn run(args: ManArgs, command: clap::Command) -> Result<u8> {
    let page = |command: &clap::Command| -> Result<Vec<u8>> {
        let mut out = Vec::new();
        clap_mangen::Man::new(command.clone()).render(&mut out)?;
        Ok(out)
    };
    let Some(dir) = &args.output else {
        print_bytes(&page(&command)?)?;
        return Ok(exit::OK);
    };
    let mut output = OutputDir::new(dir)?;
    output.add("cinch.1", page(&command)?, false)?;
    for sub in command.get_subcommands() {
        let name = format!("cinch-{}", sub.get_name());
        output.add(&format!("{name}.1"), page(&sub.clone().name(name.clone()))?, false)?;
    }
    output.commit()?;
    say!("cinch: wrote the manual pages into {}", dir.display());
    Ok(exit::OK)
}
