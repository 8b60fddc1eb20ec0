//! `dbps down`: remove the project's containers and networks; volumes only when asked.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow};

use crate::cli::DownArgs;
use crate::docker::Docker;
use crate::exit::{Exit, UsageError};
use crate::provision::{Action, ApplyContext, Desired, Options, apply, plan_down};

/// Tear down the named services (all of the project's, orphans included, when none).
pub fn run(args: &DownArgs, file: Option<&Path>) -> anyhow::Result<Exit> {
    let project = super::load_project(file)?;
    let rt = super::runtime()?;
    let docker = rt.block_on(Docker::connect())?;
    let _lock = crate::state::lock(&project.root)?;
    let observed = rt.block_on(docker.observe(&project.manifest.project))?;
    for name in &args.services {
        let known = project.manifest.service(name).is_some()
            || observed.containers.iter().any(|c| &c.service == name);
        if !known {
            return Err(UsageError::new(format!(
                "no service `{name}` in the manifest or in Docker"
            ))
            .into());
        }
    }
    let plan = plan_down(&observed, &args.services, args.volumes);
    if plan.is_empty() {
        println!("nothing to remove");
        return Ok(Exit::Success);
    }
    let doomed: Vec<&str> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::RemoveVolume { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    if !doomed.is_empty() && !args.yes && !confirm(&doomed)? {
        println!("aborted; nothing was removed");
        return Ok(Exit::Failure);
    }
    let mut services: Vec<String> = Vec::new();
    for a in &plan.actions {
        if !services.iter().any(|s| s == a.service()) {
            services.push(a.service().to_string());
        }
    }
    let reporter = crate::ui::reporter(&services);
    let cx = ApplyContext {
        docker: &docker,
        desired: &Desired::empty(&project.manifest.project),
        observed: &observed,
        verified: &Default::default(),
        reporter: reporter.as_ref(),
        options: Options {
            timeout: Duration::from_secs(60),
            parallelism: 8,
        },
    };
    let results = rt.block_on(apply(&plan, &cx));
    reporter.finish();
    let mut failed = Vec::new();
    for (service, result) in results {
        match result {
            Ok(_) => crate::state::clear_verified(&project.root, &service),
            Err(e) => failed.push(format!("`{service}`: {e:#}")),
        }
    }
    for a in &plan.actions {
        println!("{a}");
    }
    if failed.is_empty() {
        Ok(Exit::Success)
    } else {
        Err(anyhow!(
            "could not remove everything:\n{}",
            failed.join("\n")
        ))
    }
}

/// Ask before deleting data; refuse outright when nobody can answer.
fn confirm(volumes: &[&str]) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(UsageError::new(format!(
            "refusing to delete {} volume(s) without confirmation: stdin is not a terminal\n  = help: pass `--yes` to delete the data of: {}",
            volumes.len(),
            volumes.join(", ")
        ))
        .into());
    }
    eprint!(
        "This deletes all data in {}. Type `yes` to continue: ",
        volumes.join(", ")
    );
    std::io::stderr().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .context("reading the answer")?;
    Ok(answer.trim() == "yes")
}
