//! PostgreSQL: the official `postgres` image's contract (`POSTGRES_*`), a login role
//! that owns its database and its `public` schema, CONNECT revoked from PUBLIC.

use super::{ContainerRecipe, DbContext, EngineSpec, EnvVar, ExecSpec, major_version};

/// The PostgreSQL engine.
pub struct Postgres;

impl EngineSpec for Postgres {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["postgresql", "pg"]
    }

    fn default_version(&self) -> &'static str {
        "16"
    }

    fn image_repository(&self) -> &'static str {
        "postgres"
    }

    fn port(&self) -> u16 {
        5432
    }

    fn data_dir(&self, version: &str) -> &'static str {
        // From 18 on, the official image keeps PGDATA in a versioned directory under
        // /var/lib/postgresql and declares that as its volume.
        match major_version(version) {
            Some(v) if v >= 18 => "/var/lib/postgresql",
            _ => "/var/lib/postgresql/data",
        }
    }

    fn template(&self) -> &'static str {
        "postgres"
    }

    fn supports_extensions(&self) -> bool {
        true
    }

    fn container(&self, ctx: &DbContext) -> ContainerRecipe {
        ContainerRecipe {
            env: vec![
                EnvVar::plain("POSTGRES_USER", ctx.admin_user),
                EnvVar::secret("POSTGRES_PASSWORD", ctx.admin_password),
                EnvVar::plain("POSTGRES_DB", "postgres"),
            ],
            cmd: None,
        }
    }

    fn bootstrap(&self, ctx: &DbContext) -> Option<ExecSpec> {
        // Identifiers are validated DNS-safe names with `-` mapped to `_`, so quoting
        // them with `"` is enough. The password reaches psql through its stdin.
        let db = ctx.database;
        let role = ctx.user;
        let mut sql = format!(
            "SELECT 'CREATE ROLE \"{role}\" LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}')\\gexec\n\
             ALTER ROLE \"{role}\" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD :'pw';\n\
             SELECT 'CREATE DATABASE \"{db}\" OWNER \"{role}\"' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{db}')\\gexec\n\
             ALTER DATABASE \"{db}\" OWNER TO \"{role}\";\n\
             REVOKE ALL ON DATABASE \"{db}\" FROM PUBLIC;\n\
             GRANT CONNECT, TEMPORARY ON DATABASE \"{db}\" TO \"{role}\";\n\
             REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;\n\
             \\connect \"{db}\"\n\
             ALTER SCHEMA public OWNER TO \"{role}\";\n\
             REVOKE ALL ON SCHEMA public FROM PUBLIC;\n"
        );
        for ext in ctx.extensions {
            sql.push_str(&format!("CREATE EXTENSION IF NOT EXISTS \"{ext}\";\n"));
        }
        // `\set pw` reads the password from the environment inside psql, so it never
        // appears in argv; the script itself travels through an environment variable.
        let script = "{ printf '\\\\set pw `printenv DBPS_PASSWORD`\\n'; printenv DBPS_SQL; } \
             | PGPASSWORD=\"$DBPS_ADMIN_PASSWORD\" psql -X -q -v ON_ERROR_STOP=1 \
             -h 127.0.0.1 -p 5432 -U \"$DBPS_ADMIN_USER\" -d postgres";
        Some(ExecSpec::shell(
            script,
            vec![
                EnvVar::plain("DBPS_ADMIN_USER", ctx.admin_user),
                EnvVar::secret("DBPS_ADMIN_PASSWORD", ctx.admin_password),
                EnvVar::secret("DBPS_PASSWORD", ctx.password),
                EnvVar::plain("DBPS_SQL", sql),
            ],
        ))
    }

    fn probe(&self, ctx: &DbContext) -> ExecSpec {
        ExecSpec::shell(
            "PGPASSWORD=\"$DBPS_PASSWORD\" PGCONNECT_TIMEOUT=3 psql -X -q -t -A -v ON_ERROR_STOP=1 \
             -h 127.0.0.1 -p 5432 -U \"$DBPS_USER\" -d \"$DBPS_DB\" -c 'SELECT 1'",
            vec![
                EnvVar::plain("DBPS_USER", ctx.user),
                EnvVar::plain("DBPS_DB", ctx.database),
                EnvVar::secret("DBPS_PASSWORD", ctx.password),
            ],
        )
    }

    fn wire_hello(&self) -> Option<&'static [u8]> {
        // An SSLRequest: a listening server answers `N` or `S` at once.
        Some(b"\x00\x00\x00\x08\x04\xd2\x16\x2f")
    }

    fn url(&self, ctx: &DbContext, host: &str, port: u16) -> String {
        format!(
            "postgres://{}@{host}:{port}/{}",
            ctx.userinfo(),
            super::url_encode(ctx.database)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(ext: &[String]) -> DbContext<'_> {
        DbContext {
            database: "order_api",
            user: "order_api",
            password: "pw",
            admin_user: "dbps_admin",
            admin_password: "apw",
            version: "15",
            extensions: ext,
        }
    }

    #[test]
    fn data_dir_moves_in_18() {
        assert_eq!(Postgres.data_dir("15"), "/var/lib/postgresql/data");
        assert_eq!(Postgres.data_dir("17.2"), "/var/lib/postgresql/data");
        assert_eq!(Postgres.data_dir("18"), "/var/lib/postgresql");
        assert_eq!(Postgres.data_dir("18-bookworm"), "/var/lib/postgresql");
    }

    #[test]
    fn bootstrap_is_least_privilege_and_idempotent() {
        let ext = vec!["vector".to_string()];
        let exec = Postgres.bootstrap(&ctx(&ext)).unwrap();
        let sql = &exec
            .env
            .iter()
            .find(|v| v.name == "DBPS_SQL")
            .unwrap()
            .value;
        assert!(sql.contains("NOSUPERUSER"));
        assert!(sql.contains("REVOKE ALL ON DATABASE \"order_api\" FROM PUBLIC"));
        assert!(sql.contains("ALTER SCHEMA public OWNER TO \"order_api\""));
        assert!(sql.contains("WHERE NOT EXISTS"));
        assert!(sql.contains("CREATE EXTENSION IF NOT EXISTS \"vector\""));
        assert!(
            sql.contains("PASSWORD :'pw'"),
            "the password is a psql variable"
        );
        assert!(
            !sql.contains("PASSWORD 'pw'"),
            "the password is not inlined"
        );
    }

    #[test]
    fn url_names_the_own_database() {
        assert_eq!(
            Postgres.url(&ctx(&[]), "127.0.0.1", 5433),
            "postgres://order_api:pw@127.0.0.1:5433/order_api"
        );
    }
}
