//! `dbps init`.

use std::path::Path;

use crate::cli::InitArgs;
use crate::exit::{Exit, UsageError};

/// Run the command.
pub fn run(_args: &InitArgs, _file: Option<&Path>) -> anyhow::Result<Exit> {
    Err(UsageError::new("not built yet").into())
}
