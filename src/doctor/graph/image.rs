//! What an image is: a database server (and which engine), a database tool (admin UI,
//! migration runner, exporter) that owns nothing, or an application; and which
//! directories' Dockerfiles build a database or a tool image rather than a service.
//!
//! Decided by the image's repository name only. To recognise another database image,
//! add its repository's last segment to [`image_engine`]; another tool, to `TOOL_WORDS`.

use std::collections::{BTreeMap, BTreeSet};

use super::names::parent_dir;
use crate::doctor::model::{Engine, Entry};
use crate::doctor::readers::Parsed;
use crate::doctor::walk::FileOut;

/// Repository part of an image reference, without registry and tag: `bitnami/postgresql`.
pub fn image_repo(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or(image);
    let mut parts: Vec<&str> = no_digest.split('/').collect();
    if parts.len() > 1
        && (parts[0].contains('.') || parts[0].contains(':') || parts[0] == "localhost")
    {
        parts.remove(0);
    }
    let joined = parts.join("/");
    let no_tag = match joined.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => r.to_string(),
        _ => joined,
    };
    no_tag.to_ascii_lowercase()
}

/// Last path segment of an image repository: `shop/orders:1.2` → `orders`.
pub(super) fn image_base(image: &str) -> String {
    let repo = image_repo(image);
    repo.rsplit('/').next().unwrap_or(&repo).to_string()
}

const TOOL_WORDS: &[&str] = &[
    "adminer",
    "pgadmin",
    "pgadmin4",
    "phpmyadmin",
    "flyway",
    "liquibase",
    "migrate",
    "mongo-express",
    "redis-commander",
    "redisinsight",
    "pgweb",
    "cloudbeaver",
    "dbeaver",
    "exporter",
    "postgres-exporter",
    "mysqld-exporter",
    "redis-exporter",
    "redis_exporter",
    "pgbouncer",
    "pgpool",
    "dbmate",
    "atlas",
];

/// Whether an image is a database tool (admin UI, migration runner, exporter), which owns nothing.
pub fn is_tool_image(image: &str) -> bool {
    let repo = image_repo(image);
    repo.split(['/', '-', '_']).any(|w| TOOL_WORDS.contains(&w))
        || TOOL_WORDS.iter().any(|t| repo.ends_with(t))
}

/// The engine of a database image, if it is one.
pub fn image_engine(image: &str) -> Engine {
    if is_tool_image(image) {
        return Engine::Unknown;
    }
    let repo = image_repo(image);
    let base = repo.rsplit('/').next().unwrap_or(&repo);
    match base {
        "postgres" | "postgresql" | "postgis" | "timescaledb" | "timescaledb-ha" | "cockroach"
        | "yugabyte" => Engine::Postgres,
        "mysql" | "percona-server" | "percona" | "mysql-server" => Engine::Mysql,
        "mariadb" => Engine::Mariadb,
        "mongo" | "mongodb" | "mongodb-community-server" => Engine::Mongodb,
        "redis" | "redis-stack" | "redis-stack-server" | "valkey" | "keydb" | "dragonfly" => {
            Engine::Redis
        }
        "cassandra" | "scylla" => Engine::Cassandra,
        "oracle-xe" | "oracle-free" | "enterprise" | "free" if repo.contains("oracle") => {
            Engine::Oracle
        }
        _ if repo.starts_with("mssql/") || repo.contains("azure-sql-edge") => Engine::Sqlserver,
        _ => Engine::Unknown,
    }
}

/// What a container or workload runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// A database server of this engine.
    Datastore(Engine),
    /// A database tool (admin UI, migration runner, exporter): owns nothing.
    Tool,
    /// An application: some service's.
    App,
}

/// Directories whose Dockerfiles build something other than a service.
#[derive(Debug, Default)]
pub(super) struct ImageDirs {
    /// A directory whose Dockerfiles only customise a database image (`FROM postgres:16`
    /// plus init scripts) holds a datastore: its engine and the images' `ENV`.
    pub db: BTreeMap<String, (Engine, Vec<Entry>)>,
    /// A directory that only packages a migration tool (`FROM flyway/flyway`) is part of
    /// the service it migrates (`orders-migrations`), or of none.
    pub tool: BTreeSet<String>,
}

impl ImageDirs {
    /// Classify every Dockerfile's directory; one application Dockerfile makes it a service's.
    pub fn classify(files: &[FileOut]) -> Self {
        let mut dirs = Self::default();
        let mut app: BTreeSet<&str> = BTreeSet::new();
        for f in files {
            let Parsed::Dockerfile(base, env) = &f.parsed else {
                continue;
            };
            let dir = parent_dir(&f.rel);
            match base.as_deref().map_or(Engine::Unknown, image_engine) {
                Engine::Unknown if base.as_deref().is_some_and(is_tool_image) => {
                    dirs.tool.insert(dir.to_string());
                }
                Engine::Unknown => {
                    app.insert(dir);
                }
                engine => {
                    let e = dirs
                        .db
                        .entry(dir.to_string())
                        .or_insert((engine, Vec::new()));
                    e.1.extend(env.iter().cloned());
                }
            }
        }
        dirs.db.retain(|d, _| !app.contains(d.as_str()));
        let db = &dirs.db;
        dirs.tool
            .retain(|d| !app.contains(d.as_str()) && !db.contains_key(d));
        dirs
    }

    /// Whether a directory builds a database or a tool image, so is no service root.
    pub fn is_not_service(&self, dir: &str) -> bool {
        self.db.contains_key(dir) || self.tool.contains(dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::graph::test_file as file;

    #[test]
    fn names_and_images() {
        assert_eq!(
            image_repo("docker.io/bitnami/postgresql:16"),
            "bitnami/postgresql"
        );
        assert_eq!(image_repo("localhost:5000/shop/orders:1.0"), "shop/orders");
        assert_eq!(image_repo("postgres@sha256:abc"), "postgres");
        assert_eq!(image_base("shop/orders:1.2"), "orders");
        assert_eq!(image_engine("postgres:16-alpine"), Engine::Postgres);
        assert_eq!(
            image_engine("mcr.microsoft.com/mssql/server:2022-latest"),
            Engine::Sqlserver
        );
        assert_eq!(image_engine("redis:7"), Engine::Redis);
        assert_eq!(image_engine("dpage/pgadmin4"), Engine::Unknown);
        assert_eq!(image_engine("flyway/flyway:10"), Engine::Unknown);
        assert_eq!(
            image_engine("prometheuscommunity/postgres-exporter"),
            Engine::Unknown
        );
        assert!(is_tool_image("adminer"));
        assert!(!is_tool_image("shop/orders"));
    }

    #[test]
    fn dockerfile_directories_are_classified_by_their_base_image() {
        let docker = |rel: &str, base: &str, env: &[(&str, &str)]| {
            let env = env.iter().map(|(k, v)| Entry::new(k, v, 2)).collect();
            file(rel, Parsed::Dockerfile(Some(base.into()), env))
        };
        let files = vec![
            docker("db/Dockerfile", "postgres:16", &[("POSTGRES_DB", "shop")]),
            docker(
                "db/Dockerfile.seed",
                "postgres:16",
                &[("POSTGRES_USER", "u")],
            ),
            docker("orders-migrations/Dockerfile", "flyway/flyway:10", &[]),
            // A directory with an application Dockerfile is a service's, whatever else it holds.
            docker("orders/Dockerfile", "node:20", &[]),
            docker("orders/Dockerfile.db", "postgres:16", &[]),
            docker("orders/Dockerfile.migrate", "flyway/flyway:10", &[]),
        ];
        let dirs = ImageDirs::classify(&files);
        assert_eq!(dirs.db.keys().collect::<Vec<_>>(), ["db"]);
        let (engine, env) = &dirs.db["db"];
        assert_eq!(*engine, Engine::Postgres);
        assert_eq!(env.len(), 2);
        assert_eq!(dirs.tool.iter().collect::<Vec<_>>(), ["orders-migrations"]);
        assert!(dirs.is_not_service("db"));
        assert!(dirs.is_not_service("orders-migrations"));
        assert!(!dirs.is_not_service("orders"));
    }
}
