//! `dbps status`.

use std::path::Path;

use crate::cli::StatusArgs;
use crate::exit::{Exit, UsageError};

/// Run the command.
pub fn run(_args: &StatusArgs, _file: Option<&Path>) -> anyhow::Result<Exit> {
    Err(UsageError::new("not built yet").into())
}
