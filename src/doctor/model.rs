//! The vocabulary shared by readers, the graph and the rules: locations, engines,
//! connection targets, table names, and the raw evidence a reader emits.
//!
//! Plain data only; nothing here reads files or decides what is a violation.

use std::fmt;

/// A place in the audited tree: a `/`-separated path relative to the root, and a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    /// Path relative to the audited root, `/`-separated.
    pub file: String,
    /// 1-based line (0 when the whole file is meant).
    pub line: u32,
}

impl Loc {
    /// A location.
    pub fn new(file: &str, line: u32) -> Self {
        Self {
            file: file.to_string(),
            line,
        }
    }
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}", self.file, self.line)
        }
    }
}

/// A database engine as far as `doctor` needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Engine {
    /// PostgreSQL and wire-compatible servers.
    Postgres,
    /// MySQL.
    Mysql,
    /// MariaDB.
    Mariadb,
    /// Microsoft SQL Server.
    Sqlserver,
    /// Oracle Database.
    Oracle,
    /// MongoDB.
    Mongodb,
    /// Redis and compatible servers.
    Redis,
    /// Cassandra and compatible servers.
    Cassandra,
    /// Not known (yet).
    #[default]
    Unknown,
}

impl Engine {
    /// Lowercase display name.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "postgres",
            Engine::Mysql => "mysql",
            Engine::Mariadb => "mariadb",
            Engine::Sqlserver => "sqlserver",
            Engine::Oracle => "oracle",
            Engine::Mongodb => "mongodb",
            Engine::Redis => "redis",
            Engine::Cassandra => "cassandra",
            Engine::Unknown => "unknown",
        }
    }

    /// The port a server listens on by default.
    pub fn default_port(self) -> Option<u16> {
        Some(match self {
            Engine::Postgres => 5432,
            Engine::Mysql | Engine::Mariadb => 3306,
            Engine::Sqlserver => 1433,
            Engine::Oracle => 1521,
            Engine::Mongodb => 27017,
            Engine::Redis => 6379,
            Engine::Cassandra => 9042,
            Engine::Unknown => return None,
        })
    }

    /// Guess the engine from a well-known port.
    pub fn from_port(port: u16) -> Engine {
        match port {
            5432 | 26257 => Engine::Postgres,
            3306 => Engine::Mysql,
            1433 => Engine::Sqlserver,
            1521 => Engine::Oracle,
            27017 => Engine::Mongodb,
            6379 => Engine::Redis,
            9042 => Engine::Cassandra,
            _ => Engine::Unknown,
        }
    }

    /// The engine named by a word (URL scheme, variable prefix, image name).
    pub fn from_word(word: &str) -> Engine {
        match word.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" | "psql" | "postgis" | "timescaledb"
            | "cockroachdb" | "cockroach" | "npgsql" | "r2dbc:postgresql" => Engine::Postgres,
            "mysql" | "percona" | "mysqlx" => Engine::Mysql,
            "mariadb" => Engine::Mariadb,
            "sqlserver" | "mssql" | "azure-sql-edge" => Engine::Sqlserver,
            "oracle" | "oracle-xe" | "oracle-free" => Engine::Oracle,
            "mongo" | "mongodb" | "mongodb+srv" => Engine::Mongodb,
            "redis" | "rediss" | "valkey" | "keydb" => Engine::Redis,
            "cassandra" | "scylla" | "scylladb" => Engine::Cassandra,
            _ => Engine::Unknown,
        }
    }

    /// Whether `user` is this engine's built-in administrator.
    pub fn is_admin_user(self, user: &str) -> bool {
        let user = user.to_ascii_lowercase();
        let generic = matches!(
            user.as_str(),
            "admin" | "administrator" | "superuser" | "rdsadmin" | "azure_superuser"
        );
        generic
            || match self {
                Engine::Postgres => user == "postgres",
                Engine::Mysql | Engine::Mariadb => user == "root",
                Engine::Sqlserver => user == "sa",
                Engine::Oracle => user == "sys" || user == "system",
                Engine::Mongodb => user == "root",
                Engine::Unknown => matches!(user.as_str(), "postgres" | "root" | "sa"),
                Engine::Redis | Engine::Cassandra => {
                    user == "cassandra" && self == Engine::Cassandra
                }
            }
    }

    /// Whether a logical database name is implied when none is given (Redis: index 0).
    pub fn default_database(self) -> Option<&'static str> {
        match self {
            Engine::Redis => Some("0"),
            _ => None,
        }
    }
}

/// A connection target as written in one place, before hosts are resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnSpec {
    /// Engine, from the scheme, variable names or port.
    pub engine: Engine,
    /// Host name or address.
    pub host: Option<String>,
    /// Port.
    pub port: Option<u16>,
    /// Logical database (name, Redis index, Oracle service).
    pub database: Option<String>,
    /// Schema within the database, when stated.
    pub schema: Option<String>,
    /// User name.
    pub user: Option<String>,
    /// Password, only when it is a literal value (never a placeholder).
    pub password: Option<String>,
    /// Where the password comes from when it is not literal (a secret reference).
    pub password_ref: Option<String>,
}

impl ConnSpec {
    /// Whether it names anything at all.
    pub fn is_empty(&self) -> bool {
        self.host.is_none()
            && self.database.is_none()
            && self.user.is_none()
            && self.password.is_none()
            && self.password_ref.is_none()
    }
}

/// A table or collection name, optionally qualified by schema (or MySQL database).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableName {
    /// Schema or database qualifier, lowercase.
    pub qualifier: Option<String>,
    /// Table name, lowercase unless it was quoted.
    pub name: String,
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.qualifier {
            Some(q) => write!(f, "{q}.{}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// A key/value pair from a configuration source (env file, compose environment, Spring
/// properties, appsettings), with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The key as written.
    pub key: String,
    /// The value; `None` when it only names a variable without a value (`- DB_URL`).
    pub value: Option<String>,
    /// 1-based line.
    pub line: u32,
    /// Where a value that is not literal comes from (`secret:ns/name/key`).
    pub source_ref: Option<String>,
}

impl Entry {
    /// A literal entry.
    pub fn new(key: &str, value: &str, line: u32) -> Self {
        Self {
            key: key.to_string(),
            value: Some(value.to_string()),
            line,
            source_ref: None,
        }
    }
}

/// What a source file says, before it is known which service it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fact {
    /// A connection (URL, JDBC, ADO.NET string, or grouped host/name/user variables).
    Conn(ConnSpec),
    /// DDL creating a table: the service that runs it owns the table.
    TableCreate(TableName),
    /// A statement reading or writing a table.
    TableUse(TableName),
    /// An environment variable read by code.
    EnvRead(String),
    /// A string naming an env file by path (resolved, relative to the root).
    EnvFileRef(String),
}

/// One fact at one line of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The fact.
    pub fact: Fact,
    /// 1-based line.
    pub line: u32,
}

/// Placeholder markers: values carrying them are not credentials.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    v.contains("${")
        || v.contains("$(")
        || v.contains("{{")
        || v.contains("%(")
        || v.contains("#{")
        || v.starts_with('$')
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('[') && v.ends_with(']'))
        || v.chars()
            .all(|c| c == '*' || c == 'x' || c == 'X' || c == '.')
        || lower.starts_with("%env(")
        || lower == "replace_me"
        || lower == "replaceme"
        || lower == "todo"
        || lower == "your_password"
        || lower == "yourpassword"
        || lower.starts_with("<your")
        || is_placeholder_word(v)
        || has_format_placeholder(v)
}

/// Whether a value holds a format-string slot that code fills in at run time:
/// printf (`%s`, `%d`, `%v`, `%[1]s`) or braces (`{}`, `{0}`, `{host}`, `{db.name}`).
/// `fmt.Sprintf("postgres://%s:%s@%s/%s", …)` names no host, database or password.
fn has_format_placeholder(v: &str) -> bool {
    let b = v.as_bytes();
    let printf = b.iter().enumerate().any(|(i, &c)| {
        if c != b'%' {
            return false;
        }
        let mut j = i + 1;
        if b.get(j) == Some(&b'[') {
            while b.get(j).is_some_and(|&x| x != b']') {
                j += 1;
            }
            j += 1;
        }
        while b
            .get(j)
            .is_some_and(|&x| x.is_ascii_digit() || matches!(x, b'-' | b'+' | b'#' | b' ' | b'.'))
        {
            j += 1;
        }
        b.get(j).is_some_and(|x| b"sdvqixf".contains(x))
            && !b.get(j + 1).is_some_and(u8::is_ascii_alphanumeric)
    });
    let braces = v.match_indices('{').any(|(i, _)| {
        v[i + 1..].find('}').is_some_and(|end| {
            v[i + 1..i + 1 + end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '!'))
        })
    });
    printf || braces
}

/// Upper-case role words used as stand-ins in templates (`postgres://USER:PASSWORD@…/DATABASE`).
fn is_placeholder_word(v: &str) -> bool {
    v.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        && matches!(
            v,
            "USER"
                | "USERNAME"
                | "PASSWORD"
                | "PASS"
                | "PWD"
                | "DATABASE"
                | "DB"
                | "DBNAME"
                | "DB_NAME"
                | "HOST"
                | "HOSTNAME"
                | "PORT"
                | "NAME"
                | "SECRET"
                | "TOKEN"
                | "DB_USER"
                | "DB_PASSWORD"
                | "DB_HOST"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for p in [
            "${DB_PASSWORD}",
            "<password>",
            "{{ .Values.pw }}",
            "****",
            "$PGPASS",
            "",
            "PASSWORD",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for v in ["secret", "postgres", "pw", "s3cr3t!"] {
            assert!(!is_placeholder(v), "{v}");
        }
    }

    #[test]
    fn format_string_slots_are_placeholders() {
        // Regression: `fmt.Sprintf("postgres://%s:%s@%s/%s")` in two Go services and
        // `f"postgresql://{user}:{pw}@{host}/{db}"` in two Python services were DBPS001
        // errors on database `%s` / `{db}`.
        for p in [
            "%s",
            "%d",
            "%v",
            "%[2]s",
            "%-5s",
            "{}",
            "{0}",
            "{host}",
            "{db.name}",
            "{host}:{port}",
        ] {
            assert!(is_placeholder(p), "{p}");
        }
        for v in ["100%sure", "p%40ss", "a{b c}", "{", "pw}"] {
            assert!(!is_placeholder(v), "{v}");
        }
    }

    #[test]
    fn admin_users() {
        assert!(Engine::Postgres.is_admin_user("postgres"));
        assert!(Engine::Mysql.is_admin_user("ROOT"));
        assert!(!Engine::Postgres.is_admin_user("orders"));
        assert!(Engine::Sqlserver.is_admin_user("sa"));
    }
}
