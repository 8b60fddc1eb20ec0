//! One thin file per subcommand: check inputs, call the modules, print.
//!
//! Nothing below `commands` may import from here.

mod completions;
mod doctor;
mod down;
mod env;
mod init;
mod new;
mod plan;
mod status;
mod up;

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::{Cli, Command, NewCommand};
use crate::exit::Exit;
use crate::manifest::{self, Manifest};

/// Run one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    let file = cli.file;
    match cli.command {
        Command::Init(args) => init::run(&args, file.as_deref()),
        Command::New(NewCommand::Service(args)) => new::run(&args, file.as_deref()),
        Command::Up(args) => up::run(&args, file.as_deref()),
        Command::Down(args) => down::run(&args, file.as_deref()),
        Command::Status(args) => status::run(&args, file.as_deref()),
        Command::Plan(args) => plan::run(&args, file.as_deref()),
        Command::Env(args) => env::run(&args, file.as_deref()),
        Command::Doctor(args) => doctor::run(&args, file.as_deref()),
        Command::Completions(args) => completions::run(&args),
    }
}

/// A loaded, validated manifest and the project directory that holds it.
pub(crate) struct Project {
    pub manifest: Manifest,
    pub manifest_path: PathBuf,
    pub root: PathBuf,
}

/// Find (or take from `-f`) and load the manifest.
pub(crate) fn load_project(file: Option<&Path>) -> anyhow::Result<Project> {
    let manifest_path = match file {
        Some(path) => path.to_path_buf(),
        None => {
            let cwd = std::env::current_dir().context("reading the current directory")?;
            manifest::find(&cwd)?
        }
    };
    let manifest = Manifest::load(&manifest_path)?;
    let root = manifest_path
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let root = root
        .canonicalize()
        .with_context(|| format!("resolving `{}`", root.display()))?;
    Ok(Project {
        manifest,
        manifest_path,
        root,
    })
}

/// A single-threaded async runtime: provisioning is I/O-bound, and this starts fast.
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Check that every named service is in the manifest, and return the manifest
/// restricted to them (all services when none are named).
pub(crate) fn select(manifest: &Manifest, names: &[String]) -> anyhow::Result<Manifest> {
    for name in names {
        if manifest.service(name).is_none() {
            let known: Vec<&str> = manifest.services.iter().map(|s| s.name.as_str()).collect();
            let hint = match manifest::diagnostic::did_you_mean(name, &known) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("services in the manifest: {}", known.join(", ")),
            };
            return Err(crate::exit::UsageError::new(format!(
                "no service `{name}` in the manifest\n  = help: {hint}"
            ))
            .into());
        }
    }
    let mut selected = manifest.clone();
    if !names.is_empty() {
        selected.services.retain(|s| names.contains(&s.name));
    }
    Ok(selected)
}
