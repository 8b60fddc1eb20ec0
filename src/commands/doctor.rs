//! `dbps doctor`: check the arguments, find what to audit (a dbps project, or any
//! directory with `--path`), load waivers, optionally ask Docker for the project's real
//! published ports, run [`crate::doctor::audit`], print the chosen format, and turn the
//! findings into an exit code.
//!
//! Under `--path` the audited tree is untrusted: its `dbps.yaml` and
//! `.dbps-doctor.yaml` are read only when they are regular files inside it, at most
//! [`safe::MAX_FILE`] bytes, without blocking; otherwise the run stops with exit 2 and
//! a message that quotes nothing of them.

use std::path::{Path, PathBuf};

use crate::cli::{DenyLevel, DoctorArgs, DoctorFormat};
use crate::doctor::walk::safe;
use crate::doctor::{self, ManifestInfo, ManifestService, Waiver, model, report, waiver};
use crate::exit::{Exit, UsageError};
use crate::manifest::{self, Manifest};

/// Run the audit and print the report.
pub fn run(args: &DoctorArgs, file: Option<&Path>) -> anyhow::Result<Exit> {
    let mut manifest_text = None;
    let (root, manifest_path, manifest) = match &args.path {
        Some(dir) => {
            if !dir.is_dir() {
                return Err(UsageError::new(format!(
                    "`{}` is not a directory (given to `--path`)",
                    dir.display()
                ))
                .into());
            }
            let root = dir
                .canonicalize()
                .map_err(|e| UsageError::new(format!("cannot resolve `{}`: {e}", dir.display())))?;
            // A manifest in the audited directory adds its services; an invalid one is
            // the user's input error, as in project mode.
            let (found, text) = match file {
                Some(path) => (Some(path.to_path_buf()), Some(read_input(path)?)),
                None => match tree_file(&root, manifest::FILE_NAME)? {
                    Some(text) => (Some(root.join(manifest::FILE_NAME)), Some(text)),
                    None => (None, None),
                },
            };
            match (found, text) {
                (Some(path), Some(text)) => {
                    let m = Manifest::parse(&text, &manifest::display_path(&path))?;
                    manifest_text = Some(text);
                    (root, Some(path), Some(m))
                }
                _ => (root, None, None),
            }
        }
        None => {
            let project = super::load_project(file)?;
            (
                project.root,
                Some(project.manifest_path),
                Some(project.manifest),
            )
        }
    };
    let mut waivers: Vec<Waiver> = Vec::new();
    let mut info = None;
    if let (Some(path), Some(m)) = (&manifest_path, &manifest) {
        let text = match manifest_text.take() {
            Some(text) => text,
            None => read_input(path)?,
        };
        let rel = rel_to(&root, path);
        waivers.extend(waiver::parse(&text, &rel, true).map_err(UsageError::new)?);
        let ports = if args.no_docker {
            Default::default()
        } else {
            runtime_ports(&m.project)
        };
        info = Some(manifest_info(m, &text, &rel, &ports));
    }
    if let Some(text) = tree_file(&root, waiver::FILE_NAME)? {
        waivers.extend(waiver::parse(&text, waiver::FILE_NAME, false).map_err(UsageError::new)?);
    }
    let report = doctor::audit(&doctor::Options {
        root: root.clone(),
        manifest: info,
        waivers,
        threads: 0,
    });
    let deny = args.deny == Some(DenyLevel::Warnings);
    let out = match args.format {
        DoctorFormat::Text => report::text::render(&report, crate::ui::color_stdout()),
        DoctorFormat::Json => report::json::render(&report, deny),
        DoctorFormat::Sarif => report::sarif::render(&report, &root),
    };
    print!("{out}");
    Ok(if report.fails(deny) {
        Exit::Failure
    } else {
        Exit::Success
    })
}

/// Read a manifest or waiver file the user named; one that cannot be read (not a
/// regular file, too large, not UTF-8) is the user's input error, exit 2 like an
/// invalid one.
fn read_input(path: &Path) -> Result<String, UsageError> {
    let bytes = safe::read_capped(path)
        .map_err(|e| UsageError::new(format!("`{}`: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|e| UsageError::new(format!("cannot read `{}`: {e}", path.display())))
}

/// The text of `name` at the audited root, `None` when there is none. One that is not
/// a regular file inside the tree (a link out of it, a FIFO), too large or not UTF-8 is
/// invalid input (exit 2), reported without a word of its content.
fn tree_file(root: &Path, name: &str) -> Result<Option<String>, UsageError> {
    let shown = root.join(name);
    let bytes = safe::read_inside(root, name)
        .map_err(|e| UsageError::new(format!("`{}`: {e}", shown.display())))?;
    bytes
        .map(String::from_utf8)
        .transpose()
        .map_err(|e| UsageError::new(format!("cannot read `{}`: {e}", shown.display())))
}

fn rel_to(root: &Path, path: &Path) -> String {
    let abs = path.canonicalize().unwrap_or_else(|_| PathBuf::from(path));
    doctor::walk::rel_path(root, &abs)
}

/// The manifest's services as the doctor sees them, with the line of each.
fn manifest_info(
    m: &Manifest,
    text: &str,
    rel: &str,
    runtime_ports: &std::collections::HashMap<String, u16>,
) -> ManifestInfo {
    let line_of = |name: &str| -> u32 {
        let needle = format!("{name}:");
        text.lines()
            .position(|l| {
                let t = l.trim_start();
                l.len() > t.len() && t.starts_with(&needle)
            })
            .map_or(1, |i| u32::try_from(i + 1).unwrap_or(1))
    };
    ManifestInfo {
        file: rel.to_string(),
        project: m.project.clone(),
        services: m
            .services
            .iter()
            .map(|s| ManifestService {
                name: s.name.clone(),
                path: s
                    .path
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .filter(|c| c != ".")
                    .collect::<Vec<_>>()
                    .join("/"),
                engine: model::Engine::from_word(s.database.engine.name()),
                port: s
                    .database
                    .port
                    .or_else(|| runtime_ports.get(&s.name).copied()),
                database: s.database.name.clone(),
                line: line_of(&s.name),
            })
            .collect(),
    }
}

/// Host ports of the project's running database containers, found by their labels.
/// Runtime evidence is optional: without a reachable daemon this is empty.
fn runtime_ports(project: &str) -> std::collections::HashMap<String, u16> {
    let Ok(rt) = super::runtime() else {
        return Default::default();
    };
    rt.block_on(async {
        let Ok(docker) = crate::docker::Docker::connect().await else {
            return Default::default();
        };
        match docker.observe(project).await {
            Ok(observed) => observed
                .containers
                .into_iter()
                .filter_map(|c| Some((c.service, c.host_port?)))
                .collect(),
            Err(_) => Default::default(),
        }
    })
}
