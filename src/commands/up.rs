//! `dbps up`.

use std::path::Path;

use crate::cli::UpArgs;
use crate::exit::{Exit, UsageError};

/// Run the command.
pub fn run(_args: &UpArgs, _file: Option<&Path>) -> anyhow::Result<Exit> {
    Err(UsageError::new("not built yet").into())
}
