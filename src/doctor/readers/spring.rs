//! Spring Boot configuration: `application*.yml|yaml|properties` and `bootstrap*`.
//!
//! Each file (and each YAML document with `spring.config.activate.on-profile` or
//! `spring.profiles`) becomes a flat list of `a.b.c` entries tagged with its profile,
//! which is the deployment variant its connections hold in.

use crate::doctor::model::Entry;
use crate::doctor::readers::envfile;
use crate::doctor::yaml;

/// One profile's entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpringDoc {
    /// Profile, `None` for the default configuration.
    pub profile: Option<String>,
    /// Flattened entries.
    pub entries: Vec<Entry>,
}

/// Whether a file name is Spring configuration.
pub fn is_spring_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.starts_with("application") || lower.starts_with("bootstrap"))
        && (lower.ends_with(".yml") || lower.ends_with(".yaml") || lower.ends_with(".properties"))
}

fn file_profile(name: &str) -> Option<String> {
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let (_, profile) = stem.split_once('-')?;
    (!profile.is_empty()).then(|| profile.to_string())
}

/// Parse a Spring configuration file.
pub fn parse(name: &str, text: &str) -> Result<Vec<SpringDoc>, String> {
    let base = file_profile(name);
    if name.to_ascii_lowercase().ends_with(".properties") {
        return Ok(vec![SpringDoc {
            profile: base,
            entries: envfile::parse_ini(text),
        }]);
    }
    let mut out = Vec::new();
    for doc in yaml::parse_documents(text)? {
        let mut entries = Vec::new();
        yaml::flatten(&doc, "", ".", &mut entries);
        let doc_profile = entries
            .iter()
            .find(|e| e.key == "spring.config.activate.on-profile" || e.key == "spring.profiles")
            .and_then(|e| e.value.clone());
        out.push(SpringDoc {
            profile: doc_profile.or_else(|| base.clone()),
            entries,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles() {
        assert!(is_spring_name("application-docker.yml"));
        assert!(!is_spring_name("app.yml"));
        let docs = parse(
            "application.yml",
            "spring:\n  datasource:\n    url: jdbc:postgresql://db/orders\n---\nspring:\n  config:\n    activate:\n      on-profile: k8s\n  datasource:\n    url: jdbc:postgresql://pg/orders\n",
        )
        .unwrap();
        assert_eq!(docs[0].profile, None);
        assert_eq!(docs[0].entries[0].key, "spring.datasource.url");
        assert_eq!(docs[0].entries[0].line, 3);
        assert_eq!(docs[1].profile.as_deref(), Some("k8s"));
        let p = parse(
            "application-prod.properties",
            "spring.datasource.url=jdbc:mysql://m/x\n",
        )
        .unwrap();
        assert_eq!(p[0].profile.as_deref(), Some("prod"));
    }
}
