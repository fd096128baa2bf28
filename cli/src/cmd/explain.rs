//! `cinch explain`: what a lint rule checks, why it matters, an example.

use crate::exit;
use crate::output::print_stdout;
use anyhow::{anyhow, Result};
use cinch_profiles::lint::rules;
use clap::Args;

/// Explain a lint rule, or list them all.
#[derive(Args, Debug)]
#[command(after_help = "Examples:\n  cinch explain\n  cinch explain SEC001\n\n\
    Exit status: 0 printed; 2 no such rule.")]
pub struct ExplainArgs {
    /// A rule ID (SEC001, AA005, RUN010...); without one, every rule is listed
    id: Option<String>,
}

pub fn run(args: ExplainArgs) -> Result<u8> {
    match args.id {
        None => {
            let mut out = String::new();
            for rule in rules::all() {
                out.push_str(&format!(
                    "{:<8} {:<8} {:<11} {:<29} {}\n",
                    rule.id,
                    rule.severity,
                    rule.group.as_str(),
                    rule.name,
                    rule.summary
                ));
            }
            print_stdout(&out)?;
        }
        Some(id) => {
            let rule = rules::find(&id).ok_or_else(|| anyhow!("no rule {id:?}; `cinch explain` lists them"))?;
            print_stdout(&format!(
                "{} {} ({}, {})\n\n{}.\n\n{}\n",
                rule.id,
                rule.name,
                rule.group.as_str(),
                rule.severity,
                rule.summary,
                rule.doc
            ))?;
        }
    }
    Ok(exit::OK)
}
