//! JSON output, schema version 1 (documented in `docs/doctor.md`; JSON Schema in
//! `doctor-report.schema.json` beside this file). Fields are only ever added.

use serde_json::{Value, json};

use super::Report;
use crate::doctor::rules::Finding;
use crate::doctor::walk::skip::Reason;

/// The JSON Schema of this output.
pub const SCHEMA: &str = include_str!("doctor-report.schema.json");

/// One finding as JSON.
pub fn finding(f: &Finding) -> Value {
    json!({
        "rule": f.rule.id,
        "name": f.rule.name,
        "severity": f.rule.severity.name(),
        "message": f.message,
        "services": f.services,
        "datastore": {
            "server": f.target.server,
            "engine": f.target.engine,
            "database": f.target.database,
            "table": f.target.table,
        },
        "variants": f.variants,
        "evidence": f.evidence.iter().map(|e| json!({
            "file": e.loc.file,
            "line": e.loc.line,
            "service": e.service,
            "note": e.note,
        })).collect::<Vec<_>>(),
        "hint": f.rule.hint,
        "waived": f.waived.as_ref().map(|w| json!({
            "reason": w.reason,
            "file": w.loc.file,
            "line": w.loc.line,
        })),
    })
}

/// Render the report.
pub fn render(report: &Report, deny_warnings: bool) -> String {
    let c = report.counts();
    let doc = json!({
        "version": 1,
        "tool": { "name": "dbps", "version": env!("CARGO_PKG_VERSION") },
        "summary": {
            "errors": c.errors,
            "warnings": c.warnings,
            "infos": c.infos,
            "waived": c.waived,
            "notes": report.notes.len(),
            "services": report.services.len(),
            "files_read": report.files_read,
            "test_files_skipped": report.test_files,
            "skipped": {
                "vendored": report.skipped(Reason::Vendored),
                "generated": report.skipped(Reason::Generated),
                "minified": report.skipped(Reason::Minified),
            },
            "failed": report.fails(deny_warnings),
        },
        "findings": report.findings.iter().map(finding).collect::<Vec<_>>(),
        "notes": report.notes.iter().map(|n| json!({ "file": n.file, "message": n.message, "unaudited": n.unaudited })).collect::<Vec<_>>(),
        "skipped": report.skipped.iter().map(|s| json!({ "path": s.path, "reason": s.reason.name() })).collect::<Vec<_>>(),
        "services": report.services.iter().map(|s| json!({
            "name": s.name,
            "origins": s.origins,
            "dirs": s.dirs,
        })).collect::<Vec<_>>(),
        "datastores": report.datastores,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}
