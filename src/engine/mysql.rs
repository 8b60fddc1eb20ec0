//! MySQL and MariaDB (one protocol, two official images): the `MYSQL_*` / `MARIADB_*`
//! root-password contract, and a user granted only on its own database, with `_`
//! and `%` escaped in the grant so it cannot match other databases.

use super::{ContainerRecipe, DbContext, EngineSpec, EnvVar, ExecSpec};

/// One flavour of the MySQL protocol family.
pub struct MySqlFamily {
    name: &'static str,
    aliases: &'static [&'static str],
    repository: &'static str,
    default_version: &'static str,
    /// `MARIADB` or `MYSQL`: the prefix of the image's environment contract.
    env_prefix: &'static str,
    /// The client binary inside the image.
    client: &'static str,
}

/// MySQL, from the official `mysql` image.
pub static MYSQL: MySqlFamily = MySqlFamily {
    name: "mysql",
    aliases: &[],
    repository: "mysql",
    default_version: "8.4",
    env_prefix: "MYSQL",
    client: "mysql",
};

/// MariaDB, from the official `mariadb` image.
pub static MARIADB: MySqlFamily = MySqlFamily {
    name: "mariadb",
    aliases: &[],
    repository: "mariadb",
    default_version: "11.4",
    env_prefix: "MARIADB",
    client: "mariadb",
};

/// Escape a database name for use as a grant pattern (`_` and `%` are wildcards).
pub fn grant_pattern(database: &str) -> String {
    database
        .replace('\\', "\\\\")
        .replace('_', "\\_")
        .replace('%', "\\%")
}

impl EngineSpec for MySqlFamily {
    fn name(&self) -> &'static str {
        self.name
    }

    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }

    fn default_version(&self) -> &'static str {
        self.default_version
    }

    fn image_repository(&self) -> &'static str {
        self.repository
    }

    fn port(&self) -> u16 {
        3306
    }

    fn data_dir(&self, _version: &str) -> &'static str {
        "/var/lib/mysql"
    }

    fn template(&self) -> &'static str {
        "mysql"
    }

    fn container(&self, ctx: &DbContext) -> ContainerRecipe {
        ContainerRecipe {
            env: vec![EnvVar::secret(
                &format!("{}_ROOT_PASSWORD", self.env_prefix),
                ctx.admin_password,
            )],
            cmd: None,
        }
    }

    fn bootstrap(&self, ctx: &DbContext) -> Option<ExecSpec> {
        let db = ctx.database;
        let user = ctx.user;
        let pattern = grant_pattern(db);
        // The SQL travels in an environment variable and awk fills in the password from
        // the environment, so neither is ever in argv.
        // Names are validated identifiers (`[a-z][a-z0-9_]*`).
        let sql = format!(
            "CREATE DATABASE IF NOT EXISTS `{db}`;\n\
             CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED BY '@@PW@@';\n\
             ALTER USER '{user}'@'%' IDENTIFIED BY '@@PW@@';\n\
             REVOKE ALL PRIVILEGES, GRANT OPTION FROM '{user}'@'%';\n\
             GRANT ALL PRIVILEGES ON `{pattern}`.* TO '{user}'@'%';\n\
             FLUSH PRIVILEGES;\n"
        );
        let script = format!(
            "printenv DBPS_SQL | awk '{{ gsub(/@@PW@@/, ENVIRON[\"DBPS_PASSWORD\"]); print }}' \
             | MYSQL_PWD=\"$DBPS_ADMIN_PASSWORD\" {} --protocol=TCP -h 127.0.0.1 -P 3306 -u root",
            self.client
        );
        Some(ExecSpec::shell(
            &script,
            vec![
                EnvVar::secret("DBPS_ADMIN_PASSWORD", ctx.admin_password),
                EnvVar::secret("DBPS_PASSWORD", ctx.password),
                EnvVar::plain("DBPS_SQL", sql),
            ],
        ))
    }

    fn probe(&self, ctx: &DbContext) -> ExecSpec {
        ExecSpec::shell(
            &format!(
                "MYSQL_PWD=\"$DBPS_PASSWORD\" {} --protocol=TCP --connect-timeout=3 -h 127.0.0.1 -P 3306 \
                 -u \"$DBPS_USER\" -D \"$DBPS_DB\" -e 'SELECT 1'",
                self.client
            ),
            vec![
                EnvVar::plain("DBPS_USER", ctx.user),
                EnvVar::plain("DBPS_DB", ctx.database),
                EnvVar::secret("DBPS_PASSWORD", ctx.password),
            ],
        )
    }

    fn wire_hello(&self) -> Option<&'static [u8]> {
        // The server greets first.
        Some(b"")
    }

    fn url(&self, ctx: &DbContext, host: &str, port: u16) -> String {
        format!(
            "mysql://{}@{host}:{port}/{}",
            ctx.userinfo(),
            super::url_encode(ctx.database)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grant_patterns_escape_wildcards() {
        assert_eq!(grant_pattern("order_api"), "order\\_api");
        assert_eq!(grant_pattern("a%b"), "a\\%b");
        assert_eq!(grant_pattern("plain"), "plain");
    }

    #[test]
    fn bootstrap_grants_only_the_own_database() {
        let ctx = DbContext {
            database: "order_api",
            user: "order_api",
            password: "pw",
            admin_user: "root",
            admin_password: "apw",
            version: "10.11",
            extensions: &[],
        };
        let exec = MARIADB.bootstrap(&ctx).unwrap();
        let sql = &exec
            .env
            .iter()
            .find(|v| v.name == "DBPS_SQL")
            .unwrap()
            .value;
        assert!(sql.contains("GRANT ALL PRIVILEGES ON `order\\_api`.* TO 'order_api'@'%'"));
        assert!(!sql.contains("*.*"));
        assert!(exec.cmd[2].contains("mariadb "));
        assert!(MYSQL.bootstrap(&ctx).unwrap().cmd[2].contains("mysql "));
        assert_eq!(
            MARIADB.container(&ctx).env[0].name,
            "MARIADB_ROOT_PASSWORD".to_string()
        );
    }
}
