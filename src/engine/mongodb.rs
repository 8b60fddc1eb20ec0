//! MongoDB: the official `mongo` image's `MONGO_INITDB_ROOT_*` contract for the
//! administrator, and a service user with `readWrite` on its own database only.

use super::{ContainerRecipe, DbContext, EngineSpec, EnvVar, ExecSpec};

/// The MongoDB engine.
pub struct MongoDb;

impl EngineSpec for MongoDb {
    fn name(&self) -> &'static str {
        "mongodb"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["mongo"]
    }

    fn default_version(&self) -> &'static str {
        "7"
    }

    fn image_repository(&self) -> &'static str {
        "mongo"
    }

    fn port(&self) -> u16 {
        27017
    }

    fn data_dir(&self, _version: &str) -> &'static str {
        "/data/db"
    }

    fn template(&self) -> &'static str {
        "mongodb"
    }

    fn container(&self, ctx: &DbContext) -> ContainerRecipe {
        ContainerRecipe {
            env: vec![
                EnvVar::plain("MONGO_INITDB_ROOT_USERNAME", ctx.admin_user),
                EnvVar::secret("MONGO_INITDB_ROOT_PASSWORD", ctx.admin_password),
            ],
            cmd: None,
        }
    }

    fn bootstrap(&self, ctx: &DbContext) -> Option<ExecSpec> {
        // mongosh reads the passwords from its own environment (`process.env`), and
        // the admin connection string is built inside the script, out of argv.
        let script = "const e = process.env; \
             const c = connect('mongodb://' + encodeURIComponent(e.DBPS_ADMIN_USER) + ':' + \
             encodeURIComponent(e.DBPS_ADMIN_PASSWORD) + '@127.0.0.1:27017/admin'); \
             const d = c.getSiblingDB(e.DBPS_DB); \
             const roles = [{ role: 'readWrite', db: e.DBPS_DB }]; \
             if (d.getUser(e.DBPS_USER)) { d.updateUser(e.DBPS_USER, { pwd: e.DBPS_PASSWORD, roles }); } \
             else { d.createUser({ user: e.DBPS_USER, pwd: e.DBPS_PASSWORD, roles }); }";
        Some(ExecSpec {
            cmd: vec![
                "mongosh".into(),
                "--quiet".into(),
                "--nodb".into(),
                "--eval".into(),
                script.into(),
            ],
            env: vec![
                EnvVar::plain("DBPS_ADMIN_USER", ctx.admin_user),
                EnvVar::secret("DBPS_ADMIN_PASSWORD", ctx.admin_password),
                EnvVar::plain("DBPS_USER", ctx.user),
                EnvVar::plain("DBPS_DB", ctx.database),
                EnvVar::secret("DBPS_PASSWORD", ctx.password),
            ],
        })
    }

    fn probe(&self, ctx: &DbContext) -> ExecSpec {
        let script = "const e = process.env; \
             const c = connect('mongodb://' + encodeURIComponent(e.DBPS_USER) + ':' + \
             encodeURIComponent(e.DBPS_PASSWORD) + '@127.0.0.1:27017/' + e.DBPS_DB + '?authSource=' + e.DBPS_DB); \
             if (c.runCommand({ ping: 1 }).ok !== 1) { quit(1); }";
        ExecSpec {
            cmd: vec![
                "mongosh".into(),
                "--quiet".into(),
                "--nodb".into(),
                "--eval".into(),
                script.into(),
            ],
            env: vec![
                EnvVar::plain("DBPS_USER", ctx.user),
                EnvVar::plain("DBPS_DB", ctx.database),
                EnvVar::secret("DBPS_PASSWORD", ctx.password),
            ],
        }
    }

    fn url(&self, ctx: &DbContext, host: &str, port: u16) -> String {
        let db = super::url_encode(ctx.database);
        format!(
            "mongodb://{}@{host}:{port}/{db}?authSource={db}",
            ctx.userinfo()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_user_gets_read_write_on_its_own_database_only() {
        let ctx = DbContext {
            database: "catalog",
            user: "catalog",
            password: "pw",
            admin_user: "dbps_admin",
            admin_password: "apw",
            version: "7",
            extensions: &[],
        };
        let exec = MongoDb.bootstrap(&ctx).unwrap();
        assert!(exec.cmd[4].contains("role: 'readWrite', db: e.DBPS_DB"));
        assert_eq!(
            MongoDb.url(&ctx, "127.0.0.1", 27018),
            "mongodb://catalog:pw@127.0.0.1:27018/catalog?authSource=catalog"
        );
    }
}
