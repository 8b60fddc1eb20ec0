//! `dbps up`: provision each service's private database and write its `.env`.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, anyhow};

use crate::cli::UpArgs;
use crate::docker::Docker;
use crate::exit::Exit;
use crate::provision::{ApplyContext, CredentialSource, Desired, Images, Options, apply, plan_up};
use crate::secrets::{ensure_gitignored, render_env, write_env};

/// Services provisioned at once: enough to overlap every slow start-up of a typical
/// project, few enough not to stampede the daemon.
const PARALLELISM: usize = 8;

/// Check every path `up` may write (`.dbps/`, credentials, each `.env`,
/// `.gitignore`) before the first side effect: inside the project once links are
/// resolved, never a link, never a FIFO or a device.
fn check_writable(
    project: &super::Project,
    selected: &crate::manifest::Manifest,
) -> anyhow::Result<()> {
    crate::state::check_writable(&project.root)?;
    let names: Vec<&str> = selected.services.iter().map(|s| s.name.as_str()).collect();
    crate::secrets::Store::new(&project.root).check_writable(&names)?;
    let all: Vec<(&str, &Path)> = project
        .manifest
        .services
        .iter()
        .map(|s| (s.name.as_str(), s.path.as_path()))
        .collect();
    crate::secrets::check_env_targets(&project.root, &all)?;
    Ok(())
}

/// Bring the named services (all when none) to the manifest's state.
pub fn run(args: &UpArgs, file: Option<&Path>) -> anyhow::Result<Exit> {
    let project = super::load_project(file)?;
    if args.dry_run {
        let plan = super::plan::compute(&project, &args.services)?;
        super::plan::print(&plan, args.json)?;
        return Ok(Exit::Success);
    }
    let selected = super::select(&project.manifest, &args.services)?;
    check_writable(&project, &selected)?;
    // Reach Docker before writing anything: a missing daemon leaves no trace.
    let rt = super::runtime()?;
    let docker = rt.block_on(Docker::connect())?;
    let _lock = crate::state::lock(&project.root)?;
    let desired = Desired::load(
        &project.root,
        &selected,
        &Images::from_env(),
        CredentialSource::Create,
    )?;
    ensure_gitignored(&project.root).context("updating `.gitignore`")?;
    let names = desired.names();
    let observed = rt.block_on(docker.observe(&desired.project))?;
    let plan = plan_up(&desired, &observed, args.services.is_empty());
    let reporter = crate::ui::reporter(&names);
    let cx = ApplyContext {
        docker: &docker,
        desired: &desired,
        observed: &observed,
        verified: &crate::state::verified(&project.root),
        reporter: reporter.as_ref(),
        options: Options {
            timeout: Duration::from_secs(args.timeout),
            parallelism: PARALLELISM,
        },
    };
    let results = rt.block_on(apply(&plan, &cx));
    reporter.finish();

    let mut failures = Vec::new();
    let mut lines = Vec::new();
    for (service, result) in results {
        match result {
            Ok(Some(outcome)) => {
                let Some(d) = desired.service(&service) else {
                    continue;
                };
                let url = d.url("127.0.0.1", outcome.host_port);
                let env_path = d.path.join(".env");
                write_env(
                    &project.root,
                    &env_path,
                    &render_env(&service, d.url_var(), &url),
                )
                .with_context(|| format!("writing `{}`", env_path.display()))?;
                crate::state::mark_verified(
                    &project.root,
                    &service,
                    &crate::state::ready_mark(&outcome.container_id, &d.credentials),
                )?;
                lines.push((
                    names
                        .iter()
                        .position(|n| *n == service)
                        .unwrap_or(usize::MAX),
                    format!(
                        "{service:<w$}  {:<8}  127.0.0.1:{:<5}  {}",
                        d.engine.name(),
                        outcome.host_port,
                        d.path.join(".env").display(),
                        w = names.iter().map(String::len).max().unwrap_or(0)
                    ),
                ));
            }
            Ok(None) => {}
            Err(e) => failures.push((service, e)),
        }
    }
    lines.sort();
    for (_, line) in &lines {
        println!("{line}");
    }
    if failures.is_empty() {
        return Ok(Exit::Success);
    }
    failures.sort_by(|a, b| a.0.cmp(&b.0));
    let count = failures.len();
    let detail = failures
        .into_iter()
        .map(|(service, e)| {
            let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
            format!("`{service}`: {}", chain.join(": "))
        })
        .collect::<Vec<_>>()
        .join("\n");
    Err(anyhow!(
        "{count} of {} service{} failed to come up\n{detail}",
        names.len(),
        if names.len() == 1 { "" } else { "s" }
    ))
}
