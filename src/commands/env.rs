//! `dbps env`.

use std::path::Path;

use crate::cli::EnvArgs;
use crate::exit::{Exit, UsageError};

/// Run the command.
pub fn run(_args: &EnvArgs, _file: Option<&Path>) -> anyhow::Result<Exit> {
    Err(UsageError::new("not built yet").into())
}
