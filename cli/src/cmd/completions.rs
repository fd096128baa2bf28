//! `cinch completions SHELL`: shell completions, generated from the clap
//! definitions (so they never drift from the options).

use crate::exit;
use crate::output::print_bytes;
use anyhow::Result;
use clap::Args;

/// Print shell completions for cinch.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  \
    cinch completions bash > /etc/bash_completion.d/cinch\n  \
    cinch completions zsh > \"${fpath[1]}/_cinch\"\n  \
    cinch completions fish > ~/.config/fish/completions/cinch.fish")]
pub struct CompletionsArgs {
    /// The shell
    shell: clap_complete::Shell,
}

pub fn run(args: CompletionsArgs, mut command: clap::Command) -> Result<u8> {
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut command, "cinch", &mut out);
    print_bytes(&out)?;
    Ok(exit::OK)
}
