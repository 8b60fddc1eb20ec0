//! The audit's result and its three renderings: [`text`] for people, [`json`] (a
//! documented, versioned schema) for scripts, [`sarif`] (2.1.0) for code-scanning UIs.
//! Formats only render; they never decide anything.

pub mod json;
pub mod sarif;
pub mod text;

use super::rules::{Finding, Severity};
use super::walk::Note;
use super::walk::skip::{Reason, Skipped};

/// A service as the report lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSummary {
    /// Name.
    pub name: String,
    /// Where it was found.
    pub origins: Vec<String>,
    /// Source directories.
    pub dirs: Vec<String>,
}

/// The result of an audit.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Findings, worst first.
    pub findings: Vec<Finding>,
    /// Inputs that could not be used.
    pub notes: Vec<Note>,
    /// Services found.
    pub services: Vec<ServiceSummary>,
    /// Declared datastores found.
    pub datastores: Vec<String>,
    /// Files read.
    pub files_read: usize,
    /// Test, fixture and documentation files left out of the evidence.
    pub test_files: usize,
    /// Vendored, generated and minified code left out, with the reason.
    pub skipped: Vec<Skipped>,
    /// Wall time of the audit.
    pub elapsed_ms: u128,
}

/// Counts for the summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Unwaived errors.
    pub errors: usize,
    /// Unwaived warnings.
    pub warnings: usize,
    /// Unwaived infos.
    pub infos: usize,
    /// Waived findings.
    pub waived: usize,
}

impl Report {
    /// Count findings by severity.
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for f in &self.findings {
            if f.waived.is_some() {
                c.waived += 1;
                continue;
            }
            match f.rule.severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Info => c.infos += 1,
            }
        }
        c
    }

    /// How many directories and files were left out for `reason`.
    pub fn skipped(&self, reason: Reason) -> usize {
        self.skipped.iter().filter(|s| s.reason == reason).count()
    }

    /// Whether the run fails: any unwaived error, or warning with `deny_warnings`.
    pub fn fails(&self, deny_warnings: bool) -> bool {
        self.findings.iter().any(|f| f.fails(deny_warnings))
    }
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
