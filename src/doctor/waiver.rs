//! Waivers: documented, deliberate exceptions. They live under `doctor.waivers` in
//! `dbps.yaml`, or under `waivers` in `.dbps-doctor.yaml` for repositories without a
//! manifest. A waived finding is still reported, marked with its reason; it just no
//! longer fails the run. A waiver without a reason, or naming an unknown rule, is a
//! usage error: an exception must be explained.

use super::model::Loc;
use super::rules::{Finding, RULES, Waived};
use super::yaml::{self, Yaml};

/// The waiver file for repositories without a manifest.
pub const FILE_NAME: &str = ".dbps-doctor.yaml";

/// One waiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiver {
    /// Rule id (`DBPS004`) or name (`shared-server`).
    pub rule: String,
    /// Services that must all be among the finding's (empty: any).
    pub services: Vec<String>,
    /// Server, database or table the finding must be about (optional).
    pub datastore: Option<String>,
    /// Why the exception is deliberate.
    pub reason: String,
    /// Where it is written.
    pub loc: Loc,
}

/// Parse waivers from a YAML file; `nested` for `dbps.yaml` (under `doctor:`).
pub fn parse(text: &str, file: &str, nested: bool) -> Result<Vec<Waiver>, String> {
    let doc = yaml::parse(text).map_err(|e| format!("{file}: {e}"))?;
    let base = if nested {
        doc.get("doctor")
    } else {
        Some(&doc)
    };
    let Some(base) = base else {
        return Ok(Vec::new());
    };
    let Some(list) = base.get("waivers") else {
        return Ok(Vec::new());
    };
    let key = if nested { "doctor.waivers" } else { "waivers" };
    let items = list
        .as_seq()
        .ok_or_else(|| format!("{file}:{}: `{key}` must be a list", list.line))?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{file}:{}: `{key}[{i}]`", item.line);
        let rule = item.str_at("rule").ok_or_else(|| {
            format!(
                "{at} needs a `rule` (an id such as `DBPS004` or a name such as `shared-server`)"
            )
        })?;
        if !RULES
            .iter()
            .any(|r| r.id.eq_ignore_ascii_case(rule) || r.name == rule)
        {
            return Err(format!("{at}: unknown rule `{rule}`"));
        }
        let reason = item
            .str_at("reason")
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| {
                format!("{at} needs a `reason`: a waiver must say why the exception is deliberate")
            })?;
        let services = match item.get("services") {
            None => Vec::new(),
            Some(s) => match s.as_seq() {
                Some(seq) => seq
                    .iter()
                    .filter_map(Yaml::as_str)
                    .map(str::to_string)
                    .collect(),
                None => s.as_str().map(|x| vec![x.to_string()]).unwrap_or_default(),
            },
        };
        out.push(Waiver {
            rule: rule.to_string(),
            services,
            datastore: item.str_at("datastore").map(str::to_string),
            reason: reason.to_string(),
            loc: Loc::new(file, item.line),
        });
    }
    Ok(out)
}

fn matches(w: &Waiver, f: &Finding) -> bool {
    let rule = w.rule.eq_ignore_ascii_case(f.rule.id) || w.rule == f.rule.name;
    let services = w.services.iter().all(|s| f.services.contains(s));
    let ds = w.datastore.as_deref().is_none_or(|d| {
        [&f.target.server, &f.target.database, &f.target.table]
            .iter()
            .any(|t| t.as_deref() == Some(d))
    });
    rule && services && ds
}

/// Mark findings covered by a waiver.
pub fn apply(findings: &mut [Finding], waivers: &[Waiver]) {
    for f in findings {
        if let Some(w) = waivers.iter().find(|w| matches(w, f)) {
            f.waived = Some(Waived {
                reason: w.reason.clone(),
                loc: w.loc.clone(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_requires_reasons() {
        let text = "doctor:\n  waivers:\n    - rule: DBPS004\n      services: [orders, billing]\n      reason: one server until Q3\n";
        let w = parse(text, "dbps.yaml", true).unwrap();
        assert_eq!(w[0].services, ["orders", "billing"]);
        assert_eq!(w[0].loc.line, 3);
        let err = parse("waivers:\n  - rule: DBPS001\n", ".dbps-doctor.yaml", false).unwrap_err();
        assert!(err.contains("needs a `reason`"), "{err}");
        let err = parse(
            "waivers:\n  - rule: NOPE\n    reason: x\n",
            ".dbps-doctor.yaml",
            false,
        )
        .unwrap_err();
        assert!(err.contains("unknown rule `NOPE`"), "{err}");
        assert!(parse("project: x\n", "dbps.yaml", true).unwrap().is_empty());
    }
}
