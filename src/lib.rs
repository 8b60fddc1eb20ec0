//! `dbps`: Database-per-Service made easy to follow and hard to break.
//!
//! Data flows one way. [`cli`] parses arguments; a file in [`commands`] checks them
//! and loads the [`manifest`] (parse → validate → domain types) before any side
//! effect. `new service` renders [`scaffold`] templates in memory and writes them
//! atomically. `up`/`down`/`plan`/`status` turn the manifest into one desired state
//! ([`provision::Desired`], the value every backend reads), read the observed state
//! through [`docker`] (the only module that talks to the Docker Engine, and which
//! knows nothing of provisioning), diff the two with the pure [`provision::plan`],
//! and apply the actions; each database engine's facts (image, environment
//! contract, bootstrap, readiness probe, URL) live in one module under [`engine`];
//! [`labels`] mark what dbps owns. Credentials are
//! generated and stored by [`secrets`]. [`doctor`] audits any repository for shared
//! databases. Output goes through [`ui`], so logic never touches the terminal.

pub mod cli;
pub mod commands;
pub mod docker;
pub mod doctor;
pub mod engine;
pub mod exit;
pub mod fs;
pub mod labels;
pub mod manifest;
pub mod provision;
pub mod scaffold;
pub mod secrets;
pub mod state;
pub mod ui;

use std::process::ExitCode;

use clap::Parser;

/// Parse arguments, run the command, print any error once, and return the exit code.
pub fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version to stdout with code 0 and usage errors with code 2.
            let _ = err.print();
            return ExitCode::from(err.exit_code().clamp(0, 255) as u8);
        }
    };
    ui::init_color(cli.color);
    match commands::run(cli) {
        Ok(exit) => exit.into(),
        Err(err) => {
            ui::print_error(&err);
            exit::code_for(&err).into()
        }
    }
}

/// Result type of the command layer.
pub type Result<T, E = anyhow::Error> = std::result::Result<T, E>;
