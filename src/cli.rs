//! Command-line definitions (clap derive types) and nothing else: no logic lives here.
//!
//! Doc comments on these types are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER_HELP: &str = "\
Examples:
  dbps init --project shop
  dbps new service users --db postgres
  dbps up
  dbps env users
  dbps doctor --path ../legacy-repo --format sarif

Exit codes: 0 success, 1 failure or failing findings, 2 usage error or invalid input.";

/// Database-per-Service, easy to follow and hard to break.
///
/// Scaffold services that each own a private database, provision one isolated
/// database container per service, and audit repositories for shared databases.
#[derive(Debug, Parser)]
#[command(name = "dbps", version, about, long_about, after_help = AFTER_HELP)]
pub struct Cli {
    /// Path to the manifest (default: the nearest `dbps.yaml` in this or a parent directory).
    #[arg(short = 'f', long = "file", global = true, value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// When to use colour.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    #[command(subcommand)]
    pub command: Command,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented starter `dbps.yaml` in the current directory.
    #[command(after_help = "Example:\n  dbps init --project shop")]
    Init(InitArgs),
    /// Create something new in the project.
    #[command(subcommand)]
    New(NewCommand),
    /// Provision one private database container per service and write each service's `.env`.
    #[command(
        after_help = "Examples:\n  dbps up\n  dbps up orders --dry-run\n  DBPS_IMAGE_POSTGRES=dbps-test/postgres:15 dbps up"
    )]
    Up(UpArgs),
    /// Stop and remove the project's containers and networks (volumes are kept unless `--volumes`).
    #[command(
        after_help = "Examples:\n  dbps down\n  dbps down orders\n  dbps down --volumes --yes"
    )]
    Down(DownArgs),
    /// Show each service's database: container, state, health, port and drift.
    #[command(visible_alias = "ps", after_help = "Example:\n  dbps status --json")]
    Status(StatusArgs),
    /// Show what `dbps up` would change, without changing anything.
    #[command(after_help = "Example:\n  dbps plan --json")]
    Plan(PlanArgs),
    /// Print a service's own environment variables (its `DATABASE_URL`) for shell use.
    #[command(after_help = "Example:\n  eval \"$(dbps env users)\"")]
    Env(EnvArgs),
    /// Audit a dbps project or any repository for services sharing databases.
    #[command(
        after_help = "Examples:\n  dbps doctor\n  dbps doctor --path ../legacy --format json\n  dbps doctor --deny warnings"
    )]
    Doctor(DoctorArgs),
    /// Print a shell completion script.
    #[command(after_help = "Example:\n  dbps completions bash > /etc/bash_completion.d/dbps")]
    Completions(CompletionsArgs),
}

/// Arguments of `dbps init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Project name (default: the current directory's name).
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
}

/// `dbps new …`
#[derive(Debug, Subcommand)]
pub enum NewCommand {
    /// Generate a Rust service that owns one database, and add it to the manifest.
    #[command(
        after_help = "Examples:\n  dbps new service users --db postgres\n  dbps new service cache --db redis --path apps/cache\n  dbps new service orders --db mysql --dry-run"
    )]
    Service(NewServiceArgs),
}

/// Arguments of `dbps new service`.
#[derive(Debug, Args)]
pub struct NewServiceArgs {
    /// Service name: lowercase letters, digits and `-` (DNS-safe).
    pub name: String,
    /// The database engine this service owns: postgres, mysql, mariadb, redis or mongodb.
    #[arg(long = "db", value_name = "ENGINE")]
    pub engine: String,
    /// Directory for the service, relative to the project root (default: `services/NAME`).
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// Replace an existing directory.
    #[arg(long)]
    pub force: bool,
    /// Print the files that would be written and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Arguments of `dbps up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Only these services (default: all).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// With `--dry-run`, print the plan as JSON.
    #[arg(long, requires = "dry_run")]
    pub json: bool,
    /// Seconds each database may take to accept its first query.
    #[arg(long, default_value_t = 120, value_name = "SECS")]
    pub timeout: u64,
}

/// Arguments of `dbps down`.
#[derive(Debug, Args)]
pub struct DownArgs {
    /// Only these services (default: all of the project's, including orphans).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Also delete the data volumes (asks for confirmation unless `--yes`).
    #[arg(long)]
    pub volumes: bool,
    /// Do not ask for confirmation.
    #[arg(short, long)]
    pub yes: bool,
}

/// Arguments of `dbps status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `dbps plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Only these services (default: all).
    #[arg(value_name = "SERVICE")]
    pub services: Vec<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `dbps env`.
#[derive(Debug, Args)]
pub struct EnvArgs {
    /// The service whose variables to print.
    pub service: String,
}

/// Output formats of `dbps doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    /// Human-readable, grouped by finding.
    Text,
    /// The documented JSON schema.
    Json,
    /// SARIF 2.1.0 for code-scanning tools.
    Sarif,
}

/// What `--deny` can turn into a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DenyLevel {
    /// Fail on warnings as well as errors.
    Warnings,
}

/// Arguments of `dbps doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Audit this directory instead of the dbps project (works without a `dbps.yaml`).
    #[arg(long, value_name = "DIR")]
    pub path: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DoctorFormat::Text)]
    pub format: DoctorFormat,
    /// Also fail (exit 1) on warnings.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub deny: Option<DenyLevel>,
    /// Skip the runtime checks against the Docker daemon.
    #[arg(long)]
    pub no_docker: bool,
}

/// Arguments of `dbps completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
