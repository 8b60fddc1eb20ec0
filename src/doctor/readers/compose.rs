//! docker-compose files: services with their image, build context, `environment`,
//! `env_file`, `links`, `depends_on`, `secrets`, published `ports` and names, plus the
//! top-level `secrets`.
//!
//! This reader only transcribes one file; merging override files, interpolating
//! `${VAR}` and resolving `env_file` paths happen when files are joined in
//! [`crate::doctor::graph`].

use crate::doctor::model::Entry;
use crate::doctor::yaml::{self, Value, Yaml};

/// One compose file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComposeFile {
    /// Services in file order.
    pub services: Vec<ComposeService>,
    /// Top-level secrets.
    pub secrets: Vec<ComposeSecret>,
}

/// A published port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Port {
    /// The mapping in short syntax as written (`127.0.0.1:${PG_PORT:-5432}:5432`), kept so
    /// that it can be parsed again once `${VAR}` is interpolated.
    pub spec: String,
    /// Host interface, if any (`127.0.0.1`); still `${…}` when it names an unset variable.
    pub host_ip: Option<String>,
    /// Host port.
    pub host_port: Option<u16>,
    /// Container port.
    pub container_port: Option<u16>,
    /// 1-based line.
    pub line: u32,
}

/// A top-level secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeSecret {
    /// Name.
    pub name: String,
    /// `file:`, relative to the compose file.
    pub file: Option<String>,
    /// 1-based line.
    pub line: u32,
}

/// A compose service as written in one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComposeService {
    /// Service name.
    pub name: String,
    /// Line of its key.
    pub line: u32,
    /// `image:`.
    pub image: Option<String>,
    /// `build:` context, relative to the compose file.
    pub build: Option<String>,
    /// `environment:` entries (values not yet interpolated).
    pub environment: Vec<Entry>,
    /// `env_file:` paths with their lines.
    pub env_files: Vec<(String, u32)>,
    /// `links:` as (target service, alias, line).
    pub links: Vec<(String, String, u32)>,
    /// `depends_on:` targets.
    pub depends_on: Vec<(String, u32)>,
    /// `secrets:` used.
    pub secrets: Vec<(String, u32)>,
    /// `ports:`.
    pub ports: Vec<Port>,
    /// Other names it answers to: `container_name`, `hostname`, network aliases.
    pub aliases: Vec<String>,
    /// `profiles:`.
    pub profiles: Vec<String>,
    /// `extends:` as (file, service); no file means this project.
    pub extends: Option<(Option<String>, String)>,
}

/// Whether a file name is a compose file.
pub fn is_compose_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let stem = lower
        .strip_suffix(".yml")
        .or_else(|| lower.strip_suffix(".yaml"));
    stem.is_some_and(|s| {
        s == "compose"
            || s == "docker-compose"
            || s.starts_with("docker-compose.")
            || s.starts_with("compose.")
            || s.starts_with("docker-compose-")
    })
}

fn scalar_list(node: &Yaml) -> Vec<(String, u32)> {
    match &node.value {
        Value::Scalar(s) => vec![(s.clone(), node.line)],
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| match &i.value {
                Value::Scalar(s) => Some((s.clone(), i.line)),
                // env_file long form, secrets long form
                Value::Map(_) => i
                    .str_at("path")
                    .or_else(|| i.str_at("source"))
                    .map(|s| (s.to_string(), i.line)),
                _ => None,
            })
            .collect(),
        Value::Map(entries) => entries
            .iter()
            .filter_map(|(k, _)| k.as_str().map(|s| (s.to_string(), k.line)))
            .collect(),
        Value::Null => Vec::new(),
    }
}

/// Split on `:` outside `${…}`, whose `:-default` must not cut a mapping in pieces.
fn split_colons(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '$' if chars.peek().is_some_and(|&(_, n)| n == '{') => {
                depth += 1;
                chars.next();
            }
            '}' if depth > 0 => depth -= 1,
            ':' if depth == 0 => {
                out.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&text[start..]);
    out
}

/// Parse a short-syntax port mapping: `[IP:][HOST:]CONTAINER[/PROTO]`, IPv6 in brackets.
/// Call it again on the interpolated text: a part still holding `${…}` is unknown.
pub fn parse_port(spec: &str, line: u32) -> Port {
    let text = spec.trim();
    let text = match text.rsplit_once('/') {
        Some((t, proto)) if !proto.contains('}') => t,
        _ => text,
    };
    let (ip, rest): (Option<&str>, Vec<&str>) = if let Some(r) = text.strip_prefix('[') {
        match r.split_once("]:") {
            Some((ip, rest)) => (Some(ip), split_colons(rest)),
            None => (None, split_colons(text)),
        }
    } else {
        let mut parts = split_colons(text);
        if parts.len() >= 3 {
            // `IP:HOST:CONTAINER`; an unbracketed IPv6 address keeps its colons.
            let tail = parts.split_off(parts.len() - 2);
            let ip_len = parts.iter().map(|p| p.len() + 1).sum::<usize>() - 1;
            (Some(&text[..ip_len]), tail)
        } else {
            (None, parts)
        }
    };
    let first_port = |s: &str| {
        s.split('-')
            .next()
            .and_then(|p| p.trim().parse::<u16>().ok())
    };
    let (host_port, container_port) = match rest.as_slice() {
        [h, c] => (first_port(h), first_port(c)),
        [c] => (None, first_port(c)),
        _ => (None, None),
    };
    Port {
        spec: spec.to_string(),
        host_ip: ip.filter(|s| !s.is_empty()).map(str::to_string),
        host_port,
        container_port,
        line,
    }
}

/// The long syntax (`target`, `published`, `host_ip`) written as the short one.
fn long_port_spec(p: &Yaml) -> String {
    let mut spec = String::new();
    if let Some(ip) = p.str_at("host_ip") {
        if ip.contains(':') && !ip.starts_with('[') {
            spec = format!("[{ip}]:");
        } else {
            spec = format!("{ip}:");
        }
    }
    if let Some(published) = p.str_at("published") {
        spec.push_str(published);
        spec.push(':');
    } else if !spec.is_empty() {
        spec.push(':');
    }
    spec.push_str(p.str_at("target").unwrap_or(""));
    spec
}

fn environment(node: &Yaml) -> Vec<Entry> {
    match &node.value {
        Value::Map(entries) => entries
            .iter()
            .filter_map(|(k, v)| {
                let key = k.as_str()?;
                Some(Entry {
                    key: key.to_string(),
                    value: v.as_str().map(str::to_string),
                    line: k.line,
                    source_ref: None,
                })
            })
            .collect(),
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| {
                let s = i.as_str()?;
                Some(match s.split_once('=') {
                    Some((k, v)) => Entry::new(k.trim(), v, i.line),
                    None => Entry {
                        key: s.trim().to_string(),
                        value: None,
                        line: i.line,
                        source_ref: None,
                    },
                })
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Parse a compose file.
pub fn parse(text: &str) -> Result<ComposeFile, String> {
    let doc = yaml::parse(text)?;
    let mut file = ComposeFile::default();
    if let Some(secrets) = doc.get("secrets").and_then(Yaml::as_map) {
        for (k, v) in secrets {
            if let Some(name) = k.as_str() {
                file.secrets.push(ComposeSecret {
                    name: name.to_string(),
                    file: v.str_at("file").map(str::to_string),
                    line: k.line,
                });
            }
        }
    }
    let Some(services) = doc.get("services").and_then(Yaml::as_map) else {
        return Ok(file);
    };
    for (k, v) in services {
        let Some(name) = k.as_str() else { continue };
        let mut svc = ComposeService {
            name: name.to_string(),
            line: k.line,
            image: v.str_at("image").map(str::to_string),
            ..ComposeService::default()
        };
        svc.build = match v.get("build") {
            Some(b) => b
                .as_str()
                .or_else(|| b.str_at("context"))
                .map(str::to_string),
            None => None,
        };
        if let Some(env) = v.get("environment") {
            svc.environment = environment(env);
        }
        if let Some(ef) = v.get("env_file") {
            svc.env_files = scalar_list(ef);
        }
        if let Some(links) = v.get("links") {
            for (l, line) in scalar_list(links) {
                let (target, alias) = l.split_once(':').unwrap_or((&l, &l));
                svc.links
                    .push((target.to_string(), alias.to_string(), line));
            }
        }
        if let Some(d) = v.get("depends_on") {
            svc.depends_on = scalar_list(d);
        }
        if let Some(s) = v.get("secrets") {
            svc.secrets = scalar_list(s);
        }
        if let Some(ports) = v.get("ports").and_then(Yaml::as_seq) {
            for p in ports {
                match &p.value {
                    Value::Scalar(s) => svc.ports.push(parse_port(s, p.line)),
                    Value::Map(_) => svc.ports.push(parse_port(&long_port_spec(p), p.line)),
                    _ => {}
                }
            }
        }
        for key in ["container_name", "hostname"] {
            if let Some(a) = v.str_at(key) {
                svc.aliases.push(a.to_string());
            }
        }
        if let Some(nets) = v.get("networks").and_then(Yaml::as_map) {
            for (_, net) in nets {
                if let Some(aliases) = net.get("aliases") {
                    svc.aliases
                        .extend(scalar_list(aliases).into_iter().map(|(a, _)| a));
                }
            }
        }
        svc.extends = match v.get("extends") {
            Some(e) => match e.as_str() {
                Some(base) => Some((None, base.to_string())),
                None => e
                    .str_at("service")
                    .map(|base| (e.str_at("file").map(str::to_string), base.to_string())),
            },
            None => None,
        };
        if let Some(p) = v.get("profiles") {
            svc.profiles = scalar_list(p).into_iter().map(|(p, _)| p).collect();
        }
        file.services.push(svc);
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(is_compose_name("docker-compose.yml"));
        assert!(is_compose_name("docker-compose.override.yaml"));
        assert!(is_compose_name("compose.yaml"));
        assert!(!is_compose_name("application.yml"));
    }

    #[test]
    fn services() {
        let text = "\
services:
  orders:
    build: ./orders
    environment:
      - DATABASE_URL=postgres://o:pw@db/orders
      - DEBUG
    env_file: [./orders/.env]
    depends_on:
      db:
        condition: service_healthy
  db:
    image: postgres:16
    ports:
      - \"5432:5432\"
      - \"127.0.0.1:6543:5432\"
      - target: 5432
        published: 7000
    networks:
      backend:
        aliases: [database]
secrets:
  db_pw:
    file: ./secrets/db_pw.txt
";
        let f = parse(text).unwrap();
        let o = &f.services[0];
        assert_eq!(o.build.as_deref(), Some("./orders"));
        assert_eq!(o.environment[0].line, 5);
        assert_eq!(o.environment[1].value, None);
        assert_eq!(o.env_files, [("./orders/.env".to_string(), 7)]);
        assert_eq!(o.depends_on[0].0, "db");
        let db = &f.services[1];
        assert_eq!(db.ports[0].host_ip, None);
        assert_eq!(db.ports[0].host_port, Some(5432));
        assert_eq!(db.ports[1].host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(db.ports[2].host_port, Some(7000));
        assert_eq!(db.aliases, ["database"]);
        assert_eq!(f.secrets[0].file.as_deref(), Some("./secrets/db_pw.txt"));
    }

    #[test]
    fn extends_short_and_long_form() {
        let f = parse(
            "services:\n  a:\n    extends: base\n  b:\n    extends:\n      file: ../common.yml\n      service: with-db\n",
        )
        .unwrap();
        assert_eq!(f.services[0].extends, Some((None, "base".to_string())));
        assert_eq!(
            f.services[1].extends,
            Some((Some("../common.yml".to_string()), "with-db".to_string()))
        );
    }

    #[test]
    fn port_mappings_with_interpolation_defaults() {
        // Regression: `127.0.0.1:${PG_PORT:-5432}:5432` was split at the `:` of `:-` and
        // read as published on all interfaces; `${PG_PORT:-5432}:5432` as bound to the
        // interface `${PG_PORT`.
        let p = |s: &str| {
            let p = parse_port(s, 1);
            (p.host_ip, p.host_port, p.container_port)
        };
        let ip = |s: &str| Some(s.to_string());
        assert_eq!(p("5432:5432"), (None, Some(5432), Some(5432)));
        assert_eq!(p("5432"), (None, None, Some(5432)));
        assert_eq!(
            p("127.0.0.1:6543:5432/tcp"),
            (ip("127.0.0.1"), Some(6543), Some(5432))
        );
        assert_eq!(p("[::1]:5432:5432"), (ip("::1"), Some(5432), Some(5432)));
        assert_eq!(p("::1:5432:5432"), (ip("::1"), Some(5432), Some(5432)));
        assert_eq!(
            p("127.0.0.1:${PG_PORT:-5432}:5432"),
            (ip("127.0.0.1"), None, Some(5432))
        );
        assert_eq!(p("${PG_PORT:-5432}:5432"), (None, None, Some(5432)));
        assert_eq!(
            p("${BIND:-127.0.0.1}:${PORT:-6379}:6379"),
            (ip("${BIND:-127.0.0.1}"), None, Some(6379))
        );
        assert_eq!(p("5432-5433:5432-5433"), (None, Some(5432), Some(5432)));
        let long = parse(
            "services:\n  db:\n    ports:\n      - target: 5432\n        published: \"${P:-7000}\"\n        host_ip: 127.0.0.1\n",
        )
        .unwrap();
        assert_eq!(long.services[0].ports[0].spec, "127.0.0.1:${P:-7000}:5432");
    }
}
