//! `dbps doctor`: audits a dbps project or any repository for shared-database violations.
//!
//! A one-way pipeline:
//! [`walk`] (parallel, gitignore-aware, each file read once) → [`readers`] (one per input
//! kind: compose, Kubernetes, env files, Spring, appsettings, source code and SQL) →
//! [`graph`] (ownership: which service each piece of evidence belongs to; resolution:
//! which server, database and table each connection reaches) → [`rules`] (one file per
//! rule, each a pure function of the graph) → [`waiver`] → [`report`] (text, JSON,
//! SARIF; rendering only). Runtime checks against Docker are added by the command layer
//! as extra datastores before the rules run. Nothing here prints or exits.

pub mod config;
pub mod connstr;
pub mod graph;
pub mod lexer;
pub mod model;
pub mod readers;
pub mod report;
pub mod rules;
pub mod sql;
pub mod waiver;
pub mod walk;
pub mod yaml;

use std::path::PathBuf;
use std::time::Instant;

pub use graph::{ManifestInfo, ManifestService};
pub use report::Report;
pub use waiver::Waiver;

/// What to audit.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Directory to walk.
    pub root: PathBuf,
    /// The dbps manifest's services, in project mode.
    pub manifest: Option<ManifestInfo>,
    /// Waivers to apply.
    pub waivers: Vec<Waiver>,
    /// Walker threads (0: one per core).
    pub threads: usize,
}

/// Run the audit.
pub fn audit(opts: &Options) -> Report {
    let started = Instant::now();
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get().min(12))
    } else {
        opts.threads
    };
    let walked = walk::walk(&opts.root, threads);
    let g = graph::build(&opts.root, &walked.files, opts.manifest.as_ref());
    let mut notes = walked.notes;
    notes.extend(g.notes.iter().cloned());
    notes.sort();
    let mut findings = rules::run_all(&g);
    findings.extend(rules::unaudited_file::check(&notes));
    rules::sort(&mut findings);
    waiver::apply(&mut findings, &opts.waivers);
    Report {
        findings,
        notes,
        services: g
            .services
            .iter()
            .map(|s| report::ServiceSummary {
                name: s.name.clone(),
                origins: s.origins.iter().map(|o| o.to_string()).collect(),
                dirs: s.dirs.iter().cloned().collect(),
            })
            .collect(),
        datastores: g
            .datastores
            .iter()
            .filter(|d| d.declared)
            .map(|d| d.id.clone())
            .collect(),
        files_read: walked.files_read,
        test_files: walked.test_files,
        skipped: walked.skipped,
        elapsed_ms: started.elapsed().as_millis(),
    }
}
