//! `dbps plan`: what `up` would change, changing nothing.

use std::path::Path;

use anyhow::Context;

use crate::cli::PlanArgs;
use crate::docker::Docker;
use crate::exit::Exit;
use crate::provision::{CredentialSource, Desired, Images, Plan, plan_up};

/// Print the plan for the named services (all when empty).
pub fn run(args: &PlanArgs, file: Option<&Path>) -> anyhow::Result<Exit> {
    let project = super::load_project(file)?;
    let plan = compute(&project, &args.services)?;
    print(&plan, args.json)?;
    Ok(Exit::Success)
}

/// The plan `up` would apply now.
pub(crate) fn compute(project: &super::Project, services: &[String]) -> anyhow::Result<Plan> {
    let selected = super::select(&project.manifest, services)?;
    let desired = Desired::load(
        &project.root,
        &selected,
        &Images::from_env(),
        CredentialSource::Stored,
    )?;
    let observed = super::runtime()?.block_on(async {
        let docker = Docker::connect().await?;
        docker.observe(&desired.project).await
    })?;
    Ok(plan_up(&desired, &observed, services.is_empty()))
}

/// Print a plan as text or JSON.
pub(crate) fn print(plan: &Plan, json: bool) -> anyhow::Result<()> {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(plan).context("encoding the plan")?
        );
    } else {
        print!("{plan}");
    }
    Ok(())
}
