//! `dbps new service NAME --db ENGINE`: render a service, add it to the manifest.
//!
//! Order matters: under the project lock, the manifest is read afresh, and every
//! check and the whole rendering happen in memory first; then the service
//! directory is written atomically; then the manifest. If the manifest cannot be
//! written, the new directory is removed again. Both targets are checked after
//! resolving symbolic links ([`crate::fs::Inside`]): nothing outside the project
//! is ever written or replaced.

use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::cli::NewServiceArgs;
use crate::engine::Engine;
use crate::exit::{Exit, UsageError};
use crate::fs::Inside;
use crate::manifest::edit::{self, NewService};
use crate::manifest::{self, Manifest};
use crate::scaffold::{self, ServiceTemplate};

/// Generate the service and register it.
pub fn run(args: &NewServiceArgs, file: Option<&Path>) -> anyhow::Result<Exit> {
    if !manifest::is_dns_name(&args.name) {
        return Err(UsageError::new(format!(
            "service name `{}` is not DNS-safe\n  = help: use lowercase letters, digits and `-`, starting with a letter, at most {} characters",
            args.name,
            manifest::MAX_NAME
        ))
        .into());
    }
    let engine = Engine::parse(&args.engine).ok_or_else(|| {
        let names = Engine::names();
        let hint = match manifest::diagnostic::did_you_mean(&args.engine, &names) {
            Some(s) => format!("did you mean `{s}`? supported: {}", names.join(", ")),
            None => format!("supported engines: {}", names.join(", ")),
        };
        UsageError::new(format!(
            "unknown engine `{}`\n  = help: {hint}",
            args.engine
        ))
    })?;
    let project = super::load_project(file)?;
    // Everything from reading the manifest to writing it back happens under the
    // project lock, so concurrent runs never lose an entry or orphan a directory.
    let _lock = (!args.dry_run)
        .then(|| crate::state::lock(&project.root))
        .transpose()?;
    let display = manifest::display_path(&project.manifest_path);
    let source = manifest::read_source(&project.manifest_path)?;
    let current = Manifest::parse(&source, &display)?;
    if current.service(&args.name).is_some() {
        return Err(
            UsageError::new(format!("service `{}` is already in `{display}`", args.name)).into(),
        );
    }
    let rel_path = args
        .path
        .clone()
        .unwrap_or_else(|| PathBuf::from("services").join(&args.name));
    let edited = edit::add_service(
        &source,
        &NewService {
            name: &args.name,
            path: &rel_path,
            engine: engine.name(),
        },
    )
    .map_err(|e| UsageError::new(e.to_string()))?;
    // Re-validate the edited manifest: this checks the name (DNS-safe), the path
    // (inside the project, not another service's) and everything else, located.
    let updated = Manifest::parse(&edited, &display).context(format!(
        "adding service `{}` would make the manifest invalid",
        args.name
    ))?;
    let service = updated
        .service(&args.name)
        .context("the edited manifest lost the new service")?;
    let files = scaffold::render(&ServiceTemplate {
        name: &args.name,
        engine,
    })?;
    // Both targets are checked after resolving links: the service directory (which
    // `--force` replaces) and the manifest must lie inside the project, and neither
    // may itself be a link.
    let inside = Inside::new(&project.root)
        .with_context(|| format!("resolving `{}`", project.root.display()))?;
    let dest = inside.dir(&service.path)?;
    let manifest_file = project
        .manifest_path
        .file_name()
        .map_or_else(|| PathBuf::from(manifest::FILE_NAME), PathBuf::from);
    let manifest_target = inside.file(&manifest_file)?;
    if args.dry_run {
        println!(
            "would create service `{}` ({}) in {}:",
            args.name,
            engine,
            service.path.display()
        );
        for f in &files {
            println!("  {}", service.path.join(&f.path).display());
        }
        println!("would add `{}` to {display}", args.name);
        return Ok(Exit::Success);
    }
    scaffold::write_atomically(&dest, &files, args.force)
        .map_err(|e| match e {
            scaffold::WriteError::Exists(_) => anyhow::Error::new(UsageError::new(e.to_string())),
            other => anyhow::Error::new(other),
        })
        .with_context(|| format!("creating service `{}`", args.name))?;
    if let Err(err) = crate::fs::atomic_write(&manifest_target, edited.as_bytes(), None) {
        if !args.force {
            let _ = std::fs::remove_dir_all(&dest);
        }
        return Err(err).with_context(|| format!("updating `{display}`"));
    }
    println!(
        "created service `{}` ({}) in {} ({} files) and added it to {display}",
        args.name,
        engine,
        service.path.display(),
        files.len()
    );
    println!(
        "next: dbps up, then cd {} && cargo run",
        service.path.display()
    );
    Ok(Exit::Success)
}
