//! SARIF 2.1.0 output: one run, every rule described in `tool.driver.rules`, each
//! finding a result whose first evidence is the primary location and the rest related
//! locations; waived findings carry an external suppression with the reason; notes are
//! tool execution notifications. Paths are relative to `%SRCROOT%`, the audited root.

use std::path::Path;

use serde_json::{Value, json};

use super::Report;
use crate::doctor::model::Loc;
use crate::doctor::rules::{Finding, RULES, Severity};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A path as a URI reference (RFC 3986): unreserved characters, `/` and the
/// sub-delimiters stay, everything else (spaces, `%`, `#`, `?`, `[`, non-ASCII bytes)
/// is percent-encoded, so `docs/café/.env` and `a b/#1.yml` are valid `uri`s.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for &b in path.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(loc: &Loc, message: Option<&str>, id: Option<usize>) -> Value {
    let mut physical = json!({
        "artifactLocation": { "uri": uri(&loc.file), "uriBaseId": "%SRCROOT%" },
    });
    if loc.line > 0
        && let Some(obj) = physical.as_object_mut()
    {
        obj.insert("region".into(), json!({ "startLine": loc.line }));
    }
    let mut l = json!({ "physicalLocation": physical });
    if let Some(obj) = l.as_object_mut() {
        if let Some(m) = message {
            obj.insert("message".into(), json!({ "text": m }));
        }
        if let Some(id) = id {
            obj.insert("id".into(), json!(id));
        }
    }
    l
}

/// FNV-1a, for stable fingerprints without another dependency.
fn fingerprint(f: &Finding) -> String {
    let key = format!("{}|{}|{:?}", f.rule.id, f.services.join(","), f.target);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn result(f: &Finding) -> Value {
    let rule_index = RULES.iter().position(|r| r.id == f.rule.id).unwrap_or(0);
    let mut locations = Vec::new();
    let mut related = Vec::new();
    for (i, e) in f.evidence.iter().enumerate() {
        let text = e.text();
        if i == 0 {
            locations.push(location(&e.loc, Some(&text), None));
        } else {
            related.push(location(&e.loc, Some(&text), Some(i)));
        }
    }
    let mut r = json!({
        "ruleId": f.rule.id,
        "ruleIndex": rule_index,
        "level": level(f.rule.severity),
        "message": { "text": format!("{} ({})", f.message, f.rule.hint) },
        "locations": locations,
        "partialFingerprints": { "dbpsFinding/v1": fingerprint(f) },
        "properties": {
            "services": f.services,
            "variants": f.variants,
            "datastore": {
                "server": f.target.server,
                "engine": f.target.engine,
                "database": f.target.database,
                "table": f.target.table,
            },
        },
    });
    if let Some(obj) = r.as_object_mut() {
        if !related.is_empty() {
            obj.insert("relatedLocations".into(), json!(related));
        }
        if let Some(w) = &f.waived {
            obj.insert(
                "suppressions".into(),
                json!([{ "kind": "external", "justification": format!("{} ({})", w.reason, w.loc) }]),
            );
        }
    }
    r
}

/// Render the report; `root` becomes `%SRCROOT%`.
pub fn render(report: &Report, root: &Path) -> String {
    let root_uri = {
        let s = root.to_string_lossy().replace('\\', "/");
        let s = if s.ends_with('/') { s } else { format!("{s}/") };
        if s.starts_with('/') {
            format!("file://{}", uri(&s))
        } else {
            format!("file:///{}", uri(&s))
        }
    };
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": format!("{}. Fix: {}.", r.summary, r.hint) },
                "help": { "text": r.hint },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "tags": ["database-per-service", "microservices"] },
            })
        })
        .collect();
    let notifications: Vec<Value> = report
        .notes
        .iter()
        .map(|n| {
            json!({
                "level": "warning",
                "message": { "text": format!("{}: {}", n.file, n.message) },
                "locations": [location(&Loc::new(&n.file, 0), None, None)],
            })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "dbps-doctor",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "originalUriBaseIds": { "%SRCROOT%": { "uri": root_uri } },
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": report.findings.iter().map(result).collect::<Vec<_>>(),
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".into());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_rfc_3986() {
        // Regression: non-ASCII and `[`/`]` in paths were written raw, which is not a
        // valid SARIF `uri`.
        assert_eq!(uri("orders/.env"), "orders/.env");
        assert_eq!(uri("a b/#1?.yml"), "a%20b/%231%3F.yml");
        assert_eq!(uri("docs/café/[x].env"), "docs/caf%C3%A9/%5Bx%5D.env");
        assert_eq!(uri("100%.sql"), "100%25.sql");
    }
}
