//! Source code (Rust, Go, Java, Kotlin, Scala, C#, Python, JavaScript/TypeScript), SQL
//! files and free-form configuration text: connection strings, environment-variable
//! reads, SQL statements (tables created and used), Mongo collections, and paths to
//! other directories' `.env` files.
//!
//! Comments are masked first ([`crate::doctor::lexer`]), so commented-out code is never
//! evidence. A cheap byte-level prefilter skips files that cannot contain anything.

use std::sync::LazyLock;

use regex::Regex;

use crate::doctor::connstr;
use crate::doctor::lexer::{Lang, lex, line_of, newlines};
use crate::doctor::model::{Fact, Found, TableName};
use crate::doctor::sql;

static PREFILTER: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
    regex::bytes::Regex::new(
        r"(?i-u)://|jdbc:|getenv|env::var|process\.env|environ|getenvironmentvariable|getconnectionstring|configuration\[|@value|database=|initial catalog=|select|insert|update|delete|create|alter|truncate|merge|collection|@table|@document|\.env\b",
    )
    .unwrap_or_else(|_| unreachable!("static regex"))
});

static URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i-u:\b(?:jdbc:[a-z0-9]+(?::[a-z0-9]+)*:(?:@|//)|r2dbc:(?:pool:)?[a-z]+://|(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|sqlserver|mssql|cockroachdb)(?:\+[a-z0-9]+)?://))[^\s\x22'`<>\\]*",
    )
    .unwrap_or_else(|_| unreachable!("static regex"))
});

static ENV_READ: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?-u)(?:\b(?:std::)?env::var(?:_os)?|\bdotenvy?::var|\bos\.(?:Getenv|LookupEnv)|\bSystem\.getenv|\bGetEnvironmentVariable|\bos\.getenv|\bos\.environ\.get|\benviron\.get|\bgetenv|\benv)\s*\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"#,
        r#"|\bos\.environ\s*\[\s*["']([A-Za-z_][A-Za-z0-9_]*)["']"#,
        r#"|\bprocess\.env\.([A-Za-z_][A-Za-z0-9_]*)"#,
        r#"|\bprocess\.env\s*\[\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]"#,
        r#"|\b[A-Za-z_]*[Cc]onfiguration\s*\[\s*"([A-Za-z_][A-Za-z0-9_:]*)""#,
        r#"|\bGetConnectionString\s*\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#,
        r#"|@Value\s*\(\s*"\$\{([A-Za-z_][A-Za-z0-9_.\-]*)"#,
    ))
    .unwrap_or_else(|_| unreachable!("static regex"))
});

static COLLECTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?:\.(?:collection|getCollection|GetCollection(?:<[^>()]*>)?)\s*\(\s*["']([A-Za-z_][\w.\-]*)["']|@Document\s*\(\s*(?:collection\s*=\s*)?"([A-Za-z_][\w.\-]*)"|@Table\s*\(\s*name\s*=\s*"([A-Za-z_][\w.]*)")"#,
    )
    .unwrap_or_else(|_| unreachable!("static regex"))
});

/// The language family of a source file, by extension.
pub fn lang_for(ext: &str) -> Option<Lang> {
    Some(match ext {
        "rs" => Lang::Rust,
        "go" => Lang::Go,
        "java" | "kt" | "kts" | "scala" | "groovy" => Lang::Java,
        "cs" => Lang::CSharp,
        "js" | "mjs" | "cjs" | "ts" | "tsx" | "jsx" | "mts" | "cts" => Lang::JavaScript,
        "py" => Lang::Python,
        "sql" => Lang::Sql,
        _ => return None,
    })
}

/// Scan one file. `dir` is the file's directory relative to the root (for `.env` paths).
pub fn scan(text: &str, lang: Lang, dir: &str) -> Vec<Found> {
    if !PREFILTER.is_match(text.as_bytes()) {
        return Vec::new();
    }
    let lexed = lex(text, lang);
    let masked = &lexed.masked;
    let nl = newlines(text);
    let mut out = Vec::new();
    let mut push = |fact: Fact, offset: usize| {
        out.push(Found {
            fact,
            line: line_of(&nl, offset),
        });
    };
    if lang == Lang::Sql {
        for t in sql::tables(masked) {
            let fact = if t.create {
                Fact::TableCreate(t.table)
            } else {
                Fact::TableUse(t.table)
            };
            push(fact, t.offset);
        }
        return out;
    }
    for m in URL.find_iter(masked) {
        if let Some(spec) = connstr::parse(m.as_str()) {
            push(Fact::Conn(spec), m.start());
        }
    }
    for caps in ENV_READ.captures_iter(masked) {
        let Some(m) = caps.iter().skip(1).flatten().next() else {
            continue;
        };
        let name = m.as_str();
        let name = if caps.get(6).is_some() {
            format!("ConnectionStrings:{name}")
        } else {
            name.to_string()
        };
        push(Fact::EnvRead(name), m.start());
    }
    for caps in COLLECTION.captures_iter(masked) {
        let Some(m) = caps.iter().skip(1).flatten().next() else {
            continue;
        };
        push(Fact::TableUse(table_name(m.as_str())), m.start());
    }
    if matches!(lang, Lang::Hash | Lang::Xml | Lang::Plain) {
        return out;
    }
    for &(start, end) in &lexed.strings {
        let Some(s) = masked.get(start..end) else {
            continue;
        };
        let lower_has =
            |needle: &str| s.len() >= needle.len() && s.to_ascii_lowercase().contains(needle);
        if sql::looks_like_sql(s) {
            for t in sql::tables(s) {
                let fact = if t.create {
                    Fact::TableCreate(t.table)
                } else {
                    Fact::TableUse(t.table)
                };
                push(fact, start + t.offset);
            }
        } else if (lower_has("database=") || lower_has("initial catalog="))
            && let Some(spec) = connstr::parse_ado(s)
        {
            push(Fact::Conn(spec), start);
        } else if s.contains(".env")
            && s.contains('/')
            && s.len() < 256
            && let Some(path) = env_path(dir, s)
        {
            push(Fact::EnvFileRef(path), start);
        }
    }
    out
}

fn table_name(text: &str) -> TableName {
    match text.rsplit_once('.') {
        Some((q, n)) => TableName {
            qualifier: Some(q.to_ascii_lowercase()),
            name: n.to_ascii_lowercase(),
        },
        None => TableName {
            qualifier: None,
            name: text.to_ascii_lowercase(),
        },
    }
}

/// Resolve a string such as `../orders/.env` against `dir`; `None` unless it names an env file.
pub fn env_path(dir: &str, s: &str) -> Option<String> {
    let file = s.rsplit('/').next()?;
    if !(file == ".env" || file.starts_with(".env.") || file.ends_with(".env")) {
        return None;
    }
    if s.contains(char::is_whitespace) || s.starts_with('/') {
        return None;
    }
    normalize(dir, s)
}

/// Join `rel` onto `dir` and resolve `.`/`..`; `None` if it escapes the root.
pub fn normalize(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(text: &str, lang: Lang) -> Vec<String> {
        scan(text, lang, "svc/src")
            .into_iter()
            .map(|f| match f.fact {
                Fact::Conn(c) => format!(
                    "{}:conn {}/{}",
                    f.line,
                    c.host.unwrap_or_default(),
                    c.database.unwrap_or_default()
                ),
                Fact::EnvRead(n) => format!("{}:env {n}", f.line),
                Fact::TableCreate(t) => format!("{}:create {t}", f.line),
                Fact::TableUse(t) => format!("{}:use {t}", f.line),
                Fact::EnvFileRef(p) => format!("{}:envfile {p}", f.line),
            })
            .collect()
    }

    #[test]
    fn go_source() {
        let src = "package main\n// db := \"postgres://old@legacy/orders\"\nvar url = os.Getenv(\"DATABASE_URL\")\nconst q = `SELECT id FROM orders WHERE id = $1`\n";
        assert_eq!(facts(src, Lang::Go), ["3:env DATABASE_URL", "4:use orders"]);
    }

    #[test]
    fn python_source() {
        let src = "import os\nfrom app import x\nURL = os.environ['BILLING_DB_URL']\n# SELECT * FROM ghost\ncur.execute(\"INSERT INTO invoices (id) VALUES (%s)\")\nmongo.db.collection('carts')\n";
        assert_eq!(
            facts(src, Lang::Python),
            ["3:env BILLING_DB_URL", "6:use carts", "5:use invoices"]
        );
    }

    #[test]
    fn js_and_csharp() {
        let src = "const u = 'mongodb://cat:pw@mongo:27017/catalog';\nrequire('dotenv').config({ path: '../../orders/.env' });\nconst x = process.env.REDIS_URL;\n";
        assert_eq!(
            facts(src, Lang::JavaScript),
            [
                "1:conn mongo/catalog",
                "3:env REDIS_URL",
                "2:envfile orders/.env"
            ]
        );
        let cs = "var cs = \"Host=pg;Database=billing;Username=b;Password=p\";\nvar c = builder.Configuration.GetConnectionString(\"Billing\");\n";
        assert_eq!(
            facts(cs, Lang::CSharp),
            ["2:env ConnectionStrings:Billing", "1:conn pg/billing"]
        );
    }

    #[test]
    fn sql_files() {
        let src =
            "-- CREATE TABLE ghost (id int);\nCREATE TABLE orders (\n  id serial PRIMARY KEY\n);\n";
        assert_eq!(facts(src, Lang::Sql), ["2:create orders"]);
    }

    #[test]
    fn paths() {
        assert_eq!(normalize("a/b", "../c/.env").as_deref(), Some("a/c/.env"));
        assert_eq!(normalize("a", "../../x"), None);
        assert_eq!(env_path("a", "config.json"), None);
    }
}
