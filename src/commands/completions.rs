//! `dbps completions SHELL`: print a completion script.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::exit::Exit;

/// Print the completion script for the chosen shell to stdout.
pub fn run(args: &CompletionsArgs) -> anyhow::Result<Exit> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "dbps", &mut std::io::stdout());
    Ok(Exit::Success)
}
