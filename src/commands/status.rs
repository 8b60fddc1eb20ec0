//! `dbps status` (`ps`): one row per service: engine, container, state, health,
//! host port and drift against the manifest.

use std::path::Path;

use anyhow::Context;
use futures_util::future::join_all;
use serde::Serialize;

use crate::cli::StatusArgs;
use crate::docker::{ContainerState, Docker};
use crate::exit::Exit;
use crate::provision::container::spec_hash;
use crate::provision::{CredentialSource, Desired, Images};

/// One row of the status table.
#[derive(Debug, Serialize)]
struct Row {
    service: String,
    engine: String,
    container: Option<String>,
    state: String,
    health: String,
    host_port: Option<u16>,
    drift: Vec<&'static str>,
}

/// Print the project's status.
pub fn run(args: &StatusArgs, file: Option<&Path>) -> anyhow::Result<Exit> {
    let project = super::load_project(file)?;
    let desired = Desired::load(
        &project.root,
        &project.manifest,
        &Images::from_env(),
        CredentialSource::Stored,
    )?;
    let rt = super::runtime()?;
    let rows = rt.block_on(async {
        let docker = Docker::connect().await?;
        let observed = docker.observe(&project.manifest.project).await?;
        let mut rows = Vec::new();
        let mut probes = Vec::new();
        for d in &desired.services {
            let c = observed
                .containers
                .iter()
                .find(|c| c.service == d.name && c.name == d.container);
            let mut drift = Vec::new();
            match c {
                None => drift.push("missing"),
                Some(c) => {
                    if c.state != ContainerState::Running {
                        drift.push("stopped");
                    }
                    if c.spec_hash.as_deref() != Some(spec_hash(d).as_str()) {
                        drift.push("spec changed");
                    }
                }
            }
            if !observed.networks.iter().any(|n| n.name == d.network.name) {
                drift.push("network missing");
            }
            if !observed.volumes.iter().any(|v| v.name == d.volume.name) {
                drift.push("volume missing");
            }
            let running = c.filter(|c| c.state == ContainerState::Running);
            probes.push(running.map(|c| (c.id.clone(), &d.probe)));
            rows.push(Row {
                service: d.name.clone(),
                engine: d.engine.name().to_string(),
                container: c.map(|c| c.name.clone()),
                state: c.map_or_else(|| "absent".to_string(), |c| c.state.to_string()),
                health: "-".into(),
                host_port: c.and_then(|c| c.host_port),
                drift,
            });
        }
        // Health is a real query with the service's own credentials, all at once.
        let results = join_all(probes.iter().map(|p| {
            let docker = docker.clone();
            async move {
                match p {
                    Some((id, exec)) => {
                        Some(docker.exec(id, exec).await.map(|o| o.exit_code == Some(0)))
                    }
                    None => None,
                }
            }
        }))
        .await;
        for (row, result) in rows.iter_mut().zip(results) {
            row.health = match result {
                Some(Ok(true)) => "ready".into(),
                Some(Ok(false)) => "failing".into(),
                Some(Err(_)) => "unknown".into(),
                None => "-".into(),
            };
        }
        let known = |s: &str| desired.contains(s);
        for c in observed.containers.iter().filter(|c| !known(&c.service)) {
            rows.push(Row {
                service: c.service.clone(),
                engine: c.engine.clone(),
                container: Some(c.name.clone()),
                state: c.state.to_string(),
                health: "-".into(),
                host_port: c.host_port,
                drift: vec!["orphan"],
            });
        }
        for v in observed.volumes.iter().filter(|v| !known(&v.service)) {
            if !rows.iter().any(|r| r.service == v.service) {
                rows.push(Row {
                    service: v.service.clone(),
                    engine: "-".into(),
                    container: None,
                    state: "volume only".into(),
                    health: "-".into(),
                    host_port: None,
                    drift: vec!["orphan"],
                });
            }
        }
        anyhow::Ok(rows)
    })?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).context("encoding status")?
        );
        return Ok(Exit::Success);
    }
    let headers = [
        "SERVICE",
        "ENGINE",
        "CONTAINER",
        "STATE",
        "HEALTH",
        "PORT",
        "DRIFT",
    ];
    let table: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.service.clone(),
                r.engine.clone(),
                r.container.clone().unwrap_or_else(|| "-".into()),
                r.state.clone(),
                r.health.clone(),
                r.host_port
                    .map_or_else(|| "-".into(), |p| format!("127.0.0.1:{p}")),
                if r.drift.is_empty() {
                    "-".into()
                } else {
                    r.drift.join(", ")
                },
            ]
        })
        .collect();
    let mut widths = headers.map(str::len);
    for row in &table {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(&headers.map(String::from)));
    for row in &table {
        println!("{}", line(row));
    }
    Ok(Exit::Success)
}
