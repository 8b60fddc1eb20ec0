//! `dbps plan`.

use std::path::Path;

use crate::cli::PlanArgs;
use crate::exit::{Exit, UsageError};

/// Run the command.
pub fn run(_args: &PlanArgs, _file: Option<&Path>) -> anyhow::Result<Exit> {
    Err(UsageError::new("not built yet").into())
}
