//! `dbps doctor`: audit a project or repository for shared databases.

use std::path::Path;

use crate::cli::DoctorArgs;
use crate::exit::{Exit, UsageError};

/// Run the audit and print the report.
pub fn run(_args: &DoctorArgs, _file: Option<&Path>) -> anyhow::Result<Exit> {
    Err(UsageError::new("`dbps doctor` is being built").into())
}
