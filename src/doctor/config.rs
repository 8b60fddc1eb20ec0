//! Connections hidden in key/value configuration: environment maps, `.env` files, Spring
//! properties, appsettings, Kubernetes `env`.
//!
//! A value that parses as a connection string is a connection. Keys that name parts of
//! one (`DB_HOST`, `DB_NAME`, `DB_PASSWORD`; `spring.data.mongodb.host`; `PGUSER`) are
//! grouped by their common prefix into one connection, and a prefix's URL is completed
//! by its sibling keys (`spring.datasource.url` + `.username` + `.password`). Keys about
//! other things (`SMTP_HOST`, `APP_NAME`) are ignored: a part counts only when its key
//! names a database.

use std::collections::BTreeMap;

use super::connstr;
use super::model::{ConnSpec, Engine, Entry, is_placeholder};

/// A connection found in a configuration source, at the line of its first key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnFound {
    /// The connection.
    pub spec: ConnSpec,
    /// 1-based line.
    pub line: u32,
    /// The keys it was assembled from.
    pub keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Url,
    Host,
    Port,
    Database,
    User,
    Password,
    Schema,
}

/// Words that make a key name database configuration (`DB_HOST`, `spring.datasource.url`).
pub const DB_WORDS: &[&str] = &[
    "db",
    "database",
    "datasource",
    "postgres",
    "postgresql",
    "pg",
    "mysql",
    "mariadb",
    "mongo",
    "mongodb",
    "redis",
    "sql",
    "mssql",
    "sqlserver",
    "oracle",
    "cassandra",
    "jdbc",
    "r2dbc",
    "psql",
    "connectionstrings",
    "dbname",
    "rds",
    "aurora",
    "cockroach",
];

/// Split a key into lowercase words on `_ . - :` and camelCase boundaries.
pub fn words(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if matches!(c, '_' | '.' | '-' | ':' | '[' | ']' | '/') {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    // PGHOST, PGUSER, …: libpq's variables have no separator.
    if out.len() == 1
        && let Some(rest) = out[0].strip_prefix("pg")
        && matches!(
            rest,
            "host" | "port" | "database" | "user" | "password" | "hostaddr"
        )
    {
        let rest = if rest == "hostaddr" { "host" } else { rest };
        return vec!["pg".into(), rest.into()];
    }
    out
}

fn role_of(word: &str) -> Option<Role> {
    Some(match word {
        "url" | "uri" | "dsn" | "connectionstring" | "connstr" | "conn" | "connection" => Role::Url,
        "host" | "hostname" | "server" | "address" | "addr" | "endpoint" => Role::Host,
        "port" => Role::Port,
        "name" | "database" | "db" | "dbname" | "catalog" | "index" => Role::Database,
        "user" | "username" | "userid" | "uid" | "login" | "usr" => Role::User,
        "password" | "pass" | "passwd" | "pwd" => Role::Password,
        "schema" | "searchpath" => Role::Schema,
        _ => return None,
    })
}

/// Whether a key names database configuration at all.
pub fn is_db_key(words: &[String]) -> bool {
    words.iter().any(|w| DB_WORDS.contains(&w.as_str()))
}

/// The engine suggested by a key's words.
fn engine_of(words: &[String]) -> Engine {
    words
        .iter()
        .map(|w| Engine::from_word(w))
        .find(|e| *e != Engine::Unknown)
        .unwrap_or(Engine::Unknown)
}

#[derive(Default)]
struct Group {
    url: Option<(ConnSpec, u32)>,
    parts: ConnSpec,
    line: u32,
    keys: Vec<String>,
    engine: Engine,
    has_part: bool,
}

/// Extract every connection from a list of entries.
pub fn connections(entries: &[Entry]) -> Vec<ConnFound> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut loose = Vec::new();
    for entry in entries {
        let w = words(&entry.key);
        let Some(last) = w.last() else { continue };
        // `jdbc-url`, `connection-string`: the role is the last word, noise before it.
        let role = role_of(last).or_else(|| {
            (w.len() >= 2 && w[w.len() - 2] == "connection" && last == "string")
                .then_some(Role::Url)
        });
        let value = entry.value.as_deref().unwrap_or("");
        let parsed = (!value.is_empty())
            .then(|| connstr::parse(value))
            .flatten()
            .filter(|s| !s.is_empty());
        let mut prefix_words: Vec<String> = w[..w.len().saturating_sub(1)].to_vec();
        while matches!(
            prefix_words.last().map(String::as_str),
            Some("jdbc" | "r2dbc" | "connection" | "hikari")
        ) {
            prefix_words.pop();
        }
        let prefix = prefix_words.join(".");
        if let Some(spec) = parsed {
            let g = groups.entry(prefix.clone()).or_default();
            if g.url.is_none() && matches!(role, Some(Role::Url) | None) {
                g.url = Some((spec, entry.line));
                g.keys.push(entry.key.clone());
                if g.line == 0 {
                    g.line = entry.line;
                }
            } else {
                loose.push(ConnFound {
                    spec,
                    line: entry.line,
                    keys: vec![entry.key.clone()],
                });
            }
            continue;
        }
        let Some(role) = role else { continue };
        if role == Role::Url || !is_db_key(&w) {
            continue;
        }
        let g = groups.entry(prefix).or_default();
        if g.line == 0 {
            g.line = entry.line;
        }
        g.keys.push(entry.key.clone());
        if g.engine == Engine::Unknown {
            g.engine = engine_of(&w);
        }
        let literal = (!value.is_empty() && !is_placeholder(value)).then(|| value.to_string());
        let p = &mut g.parts;
        match role {
            Role::Host => {
                if let Some(v) = literal {
                    let (h, port) = match v.rsplit_once(':') {
                        Some((h, port)) if port.parse::<u16>().is_ok() => {
                            (h.to_string(), port.parse().ok())
                        }
                        _ => (v, None),
                    };
                    p.host = Some(h);
                    p.port = p.port.or(port);
                    g.has_part = true;
                }
            }
            Role::Port => {
                if let Some(port) = literal.and_then(|v| v.parse().ok()) {
                    p.port = Some(port);
                }
            }
            Role::Database => {
                if let Some(v) = literal {
                    p.database = Some(v);
                    g.has_part = true;
                }
            }
            Role::User => {
                if let Some(v) = literal {
                    p.user = Some(v);
                    g.has_part = true;
                }
            }
            Role::Password => {
                if let Some(v) = literal {
                    p.password = Some(v);
                    g.has_part = true;
                } else if let Some(r) = &entry.source_ref {
                    p.password_ref = Some(r.clone());
                    g.has_part = true;
                }
            }
            Role::Schema => {
                if let Some(v) = literal {
                    p.schema = Some(v.to_ascii_lowercase());
                }
            }
            Role::Url => {}
        }
    }
    let mut out = loose;
    for (_, g) in groups {
        let mut spec = match g.url {
            Some((spec, _)) => spec,
            None if g.has_part => ConnSpec::default(),
            None => continue,
        };
        let p = g.parts;
        spec.host = spec.host.or(p.host);
        spec.port = spec.port.or(p.port);
        spec.database = spec.database.or(p.database);
        spec.user = spec.user.or(p.user);
        spec.password = spec.password.or(p.password);
        spec.password_ref = spec.password_ref.or(p.password_ref);
        spec.schema = spec.schema.or(p.schema);
        if spec.engine == Engine::Unknown {
            spec.engine = g.engine;
        }
        if spec.engine == Engine::Unknown
            && let Some(port) = spec.port
        {
            spec.engine = Engine::from_port(port);
        }
        out.push(ConnFound {
            spec,
            line: g.line,
            keys: g.keys,
        });
    }
    out.sort_by_key(|c| c.line);
    out
}

/// Keys that hand over an administrator password (`MYSQL_ROOT_PASSWORD`, `SA_PASSWORD`).
pub fn admin_password_keys(entries: &[Entry]) -> Vec<&Entry> {
    entries
        .iter()
        .filter(|e| {
            let w = words(&e.key);
            let is_pw = w.last().is_some_and(|l| role_of(l) == Some(Role::Password));
            let admin = w
                .iter()
                .any(|x| x == "root" || x == "sa" || x == "superuser" || x == "admin");
            is_pw && admin && (is_db_key(&w) || w.first().is_some_and(|x| x == "sa"))
        })
        .collect()
}

/// Replace `${VAR}`, `${VAR:-default}`, `${VAR-default}` and `${VAR:default}` (Spring)
/// using `lookup`; unresolved references without a default are kept as written.
pub fn interpolate(value: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        let name_len = inner
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(inner.len());
        let (name, op) = inner.split_at(name_len);
        let default = if let Some(d) = op.strip_prefix(":-") {
            Some(d)
        } else if op.starts_with(":?") || op.starts_with('?') {
            None
        } else if let Some(d) = op.strip_prefix('-') {
            Some(d)
        } else {
            op.strip_prefix(':')
        };
        match lookup(name.trim()).or_else(|| default.map(str::to_string)) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[start..start + 2 + end + 1]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// The variables a value refers to (`${DB_URL}`, `${DB_URL:default}`).
pub fn referenced_vars(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let inner = &after[..end];
        let name = inner.split([':', '-']).next().unwrap_or(inner).trim();
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            out.push(name.to_string());
        }
        rest = &after[end + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(k: &str, v: &str) -> Entry {
        Entry::new(k, v, 1)
    }

    #[test]
    fn words_split() {
        assert_eq!(
            words("spring.datasource.jdbc-url"),
            ["spring", "datasource", "jdbc", "url"]
        );
        assert_eq!(
            words("ConnectionStrings:OrdersDb"),
            ["connection", "strings", "orders", "db"]
        );
        assert_eq!(words("PGHOST"), ["pg", "host"]);
        assert_eq!(words("DB_NAME"), ["db", "name"]);
    }

    #[test]
    fn grouped_parts() {
        let c = connections(&[
            e("DB_HOST", "orders-db"),
            e("DB_PORT", "5432"),
            e("DB_NAME", "orders"),
            e("DB_USER", "orders"),
            e("DB_PASSWORD", "pw"),
            e("SMTP_HOST", "mail"),
            e("APP_NAME", "orders"),
        ]);
        assert_eq!(c.len(), 1);
        let s = &c[0].spec;
        assert_eq!(
            (
                s.host.as_deref(),
                s.port,
                s.database.as_deref(),
                s.password.as_deref()
            ),
            (Some("orders-db"), Some(5432), Some("orders"), Some("pw"))
        );
        assert_eq!(s.engine, Engine::Postgres);
    }

    #[test]
    fn url_completed_by_siblings() {
        let c = connections(&[
            e("spring.datasource.url", "jdbc:postgresql://db:5432/shop"),
            e("spring.datasource.username", "app"),
            e("spring.datasource.password", "secret"),
        ]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].spec.user.as_deref(), Some("app"));
        assert_eq!(c[0].spec.password.as_deref(), Some("secret"));
    }

    #[test]
    fn placeholders_and_refs() {
        let mut pw = e("DB_PASSWORD", "");
        pw.value = None;
        pw.source_ref = Some("secret:default/db/password".into());
        let c = connections(&[e("DB_HOST", "db"), e("DB_USER", "${USER}"), pw]);
        assert_eq!(c[0].spec.user, None);
        assert_eq!(
            c[0].spec.password_ref.as_deref(),
            Some("secret:default/db/password")
        );
    }

    #[test]
    fn admin_keys() {
        let entries = [
            e("MYSQL_ROOT_PASSWORD", "x"),
            e("DB_PASSWORD", "y"),
            e("SA_PASSWORD", "z"),
        ];
        let keys: Vec<_> = admin_password_keys(&entries)
            .iter()
            .map(|e| e.key.clone())
            .collect();
        assert_eq!(keys, ["MYSQL_ROOT_PASSWORD", "SA_PASSWORD"]);
    }

    #[test]
    fn interpolation() {
        let look = |k: &str| (k == "A").then(|| "1".to_string());
        assert_eq!(interpolate("x${A}y${B:-2}z${C}", &look), "x1y2z${C}");
        assert_eq!(interpolate("${B:dflt}", &look), "dflt");
        assert_eq!(interpolate("${unterminated", &look), "${unterminated");
        assert_eq!(
            referenced_vars("${DB_URL:jdbc:x}/${USER}"),
            ["DB_URL", "USER"]
        );
    }
}
