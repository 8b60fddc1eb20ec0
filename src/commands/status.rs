//! `dbps status` (`ps`): one row per service: engine, container, state, health,
//! host port and drift against the manifest.

use std::path::Path;

use anyhow::Context;

use crate::cli::StatusArgs;
use crate::docker::Docker;
use crate::exit::Exit;
use crate::provision::{CredentialSource, Desired, Images, StatusRow, status};

/// Print the project's status.
pub fn run(args: &StatusArgs, file: Option<&Path>) -> anyhow::Result<Exit> {
    let project = super::load_project(file)?;
    let desired = Desired::load(
        &project.root,
        &project.manifest,
        &Images::from_env(),
        CredentialSource::Stored,
    )?;
    let rows = super::runtime()?.block_on(async {
        let docker = Docker::connect().await?;
        anyhow::Ok(status(&docker, &desired).await?)
    })?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).context("encoding status")?
        );
        return Ok(Exit::Success);
    }
    print_table(&rows);
    Ok(Exit::Success)
}

/// The rows as an aligned table.
fn print_table(rows: &[StatusRow]) {
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
                r.health.to_string(),
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
}
