//! `dbps down`.

use std::path::Path;

use crate::cli::DownArgs;
use crate::exit::{Exit, UsageError};

/// Run the command.
pub fn run(_args: &DownArgs, _file: Option<&Path>) -> anyhow::Result<Exit> {
    Err(UsageError::new("not built yet").into())
}
