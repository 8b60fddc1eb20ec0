//! Human output: one block per finding (worst first), evidence as `file:line`, the
//! variants it holds in, the hint, then notes and a summary line. Colour only when asked.

use std::fmt::Write as _;

use super::{Report, plural};
use crate::doctor::rules::Severity;
use crate::doctor::walk::skip::Reason;
use crate::ui::{Style, paint};

/// Render the report.
pub fn render(report: &Report, color: bool) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let style = match f.rule.severity {
            Severity::Error => Style::Error,
            Severity::Warning => Style::Warning,
            Severity::Info => Style::Note,
        };
        let head = format!("{}[{}]", f.rule.severity, f.rule.id);
        let waived = if f.waived.is_some() { " (waived)" } else { "" };
        let _ = writeln!(
            out,
            "{} {}: {}{}",
            paint(&head, style, color && f.waived.is_none()),
            f.rule.name,
            paint(&f.message, Style::Bold, color),
            waived
        );
        for e in &f.evidence {
            let _ = writeln!(
                out,
                "  {} {}  {}",
                paint("-->", Style::Dim, color),
                e.loc,
                e.text()
            );
        }
        if !f.variants.is_empty() {
            let _ = writeln!(out, "   = holds in: {}", f.variants.join(", "));
        }
        if let Some(w) = &f.waived {
            let _ = writeln!(out, "   = waived at {}: {}", w.loc, w.reason);
        }
        let _ = writeln!(
            out,
            "   = {} {}",
            paint("hint:", Style::Note, color),
            f.rule.hint
        );
        out.push('\n');
    }
    for n in &report.notes {
        let _ = writeln!(
            out,
            "{} {}: {}",
            paint("note:", Style::Note, color),
            n.file,
            n.message
        );
    }
    if !report.notes.is_empty() {
        out.push('\n');
    }
    if let Some(line) = left_out(report) {
        let _ = writeln!(out, "{line}");
    }
    let c = report.counts();
    let summary = if report.findings.is_empty() {
        paint("no shared databases found", Style::Good, color)
    } else {
        let mut s = format!(
            "{}, {}, {}",
            plural(c.errors, "error"),
            plural(c.warnings, "warning"),
            plural(c.infos, "info")
        );
        if c.waived > 0 {
            let _ = write!(s, " ({} waived)", c.waived);
        }
        s
    };
    let skipped = if report.test_files > 0 {
        format!(
            " ({} of tests, fixtures or docs not used)",
            plural(report.test_files, "file")
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "doctor: {summary}; {}, {}, {} read{skipped} in {} ms",
        plural(report.services.len(), "service"),
        plural(report.notes.len(), "note"),
        plural(report.files_read, "file"),
        report.elapsed_ms
    );
    out
}

/// `left out: 2 vendored (node_modules/, public/vendor/), 1 minified (app.min.js)`:
/// what was not read on purpose, a few paths each.
fn left_out(report: &Report) -> Option<String> {
    let parts: Vec<String> = [Reason::Vendored, Reason::Generated, Reason::Minified]
        .into_iter()
        .filter_map(|reason| {
            let paths: Vec<&str> = report
                .skipped
                .iter()
                .filter(|s| s.reason == reason)
                .map(|s| s.path.as_str())
                .collect();
            let more = if paths.len() > 3 { ", …" } else { "" };
            (!paths.is_empty()).then(|| {
                let shown = paths.iter().take(3).copied().collect::<Vec<_>>().join(", ");
                format!("{} {reason} ({shown}{more})", paths.len())
            })
        })
        .collect();
    (!parts.is_empty()).then(|| format!("left out: {}", parts.join(", ")))
}
