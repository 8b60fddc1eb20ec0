//! `dbps new`.

use std::path::Path;

use crate::cli::NewServiceArgs;
use crate::exit::{Exit, UsageError};

/// Run the command.
pub fn run(_args: &NewServiceArgs, _file: Option<&Path>) -> anyhow::Result<Exit> {
    Err(UsageError::new("not built yet").into())
}
