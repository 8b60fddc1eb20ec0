//! .NET `appsettings*.json`: `ConnectionStrings` and any other database keys, flattened
//! with `:` the way `IConfiguration` sees them, with lines. Comments (which .NET allows)
//! are masked first; the environment in `appsettings.{Env}.json` is the variant.

use crate::doctor::lexer::{Lang, lex};
use crate::doctor::model::Entry;
use crate::doctor::yaml;

/// Whether a file name is .NET app settings.
pub fn is_appsettings_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("appsettings") && lower.ends_with(".json")
}

/// The environment named by `appsettings.{Env}.json`.
pub fn environment(name: &str) -> Option<String> {
    let parts: Vec<&str> = name.split('.').collect();
    (parts.len() == 3).then(|| parts[1].to_string())
}

/// Parse JSON (with comments) into flattened entries with lines.
pub fn parse_json(text: &str) -> Result<Vec<Entry>, String> {
    // JSON with comments masked is valid flow YAML, which keeps line numbers.
    let masked = lex(text, Lang::JavaScript).masked.replace('\t', " ");
    match yaml::parse(&masked) {
        Ok(doc) => {
            let mut out = Vec::new();
            yaml::flatten(&doc, "", ":", &mut out);
            Ok(out)
        }
        Err(_) => {
            let value: serde_json::Value =
                serde_json::from_str(&masked).map_err(|e| e.to_string())?;
            let mut out = Vec::new();
            flatten_json(&value, "", &mut out);
            for e in &mut out {
                let needle = format!("\"{}\"", e.value.as_deref().unwrap_or(""));
                e.line = text.find(&needle).map_or(1, |pos| {
                    u32::try_from(text[..pos].matches('\n').count() + 1).unwrap_or(1)
                });
            }
            Ok(out)
        }
    }
}

fn flatten_json(v: &serde_json::Value, prefix: &str, out: &mut Vec<Entry>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let full = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}:{k}")
                };
                flatten_json(v, &full, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten_json(v, &format!("{prefix}:{i}"), out);
            }
        }
        serde_json::Value::String(s) => out.push(Entry::new(prefix, s, 0)),
        serde_json::Value::Number(n) => out.push(Entry::new(prefix, &n.to_string(), 0)),
        serde_json::Value::Bool(b) => out.push(Entry::new(prefix, &b.to_string(), 0)),
        serde_json::Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appsettings() {
        let text = "{\n  // local dev\n  \"ConnectionStrings\": {\n    \"Billing\": \"Host=pg;Database=billing;Username=billing;Password=pw\"\n  },\n  \"Logging\": {\"LogLevel\": {\"Default\": \"Information\"}}\n}\n";
        let e = parse_json(text).unwrap();
        assert_eq!(e[0].key, "ConnectionStrings:Billing");
        assert_eq!(e[0].line, 4);
        assert_eq!(
            environment("appsettings.Development.json").as_deref(),
            Some("Development")
        );
        assert_eq!(environment("appsettings.json"), None);
        assert!(parse_json("{ not json").is_err());
    }
}
