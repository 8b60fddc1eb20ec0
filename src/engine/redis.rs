//! Redis: one ACL user for the service, one for dbps, and the `default` user
//! disabled. Users are declared on the server's command line with SHA-256 password
//! hashes (`#<hex>`), so no plaintext secret is stored in the container at all.

use sha2::{Digest, Sha256};

use super::{ContainerRecipe, DbContext, EngineSpec, EnvVar, ExecSpec};

/// The Redis engine.
pub struct Redis;

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl EngineSpec for Redis {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn default_version(&self) -> &'static str {
        "7"
    }

    fn image_repository(&self) -> &'static str {
        "redis"
    }

    fn port(&self) -> u16 {
        6379
    }

    fn data_dir(&self, _version: &str) -> &'static str {
        "/data"
    }

    fn template(&self) -> &'static str {
        "redis"
    }

    fn container(&self, ctx: &DbContext) -> ContainerRecipe {
        let user_rule = |name: &str, password: &str, perms: &str| {
            format!("{name} on #{} {perms}", sha256_hex(password))
        };
        let mut cmd = vec![
            "redis-server".to_string(),
            "--appendonly".into(),
            "yes".into(),
            "--protected-mode".into(),
            "no".into(),
            "--user".into(),
            "default off".into(),
            "--user".into(),
        ];
        // The service may use every data command but no administration
        // (CONFIG, ACL, SHUTDOWN, DEBUG…) and nothing dangerous.
        cmd.push(user_rule(
            ctx.user,
            ctx.password,
            "~* &* +@all -@admin -@dangerous",
        ));
        cmd.push("--user".into());
        cmd.push(user_rule(ctx.admin_user, ctx.admin_password, "~* &* +@all"));
        ContainerRecipe {
            env: Vec::new(),
            cmd: Some(cmd),
        }
    }

    fn bootstrap(&self, _ctx: &DbContext) -> Option<ExecSpec> {
        None
    }

    fn probe(&self, ctx: &DbContext) -> ExecSpec {
        ExecSpec::shell(
            "test \"$(REDISCLI_AUTH=\"$DBPS_PASSWORD\" redis-cli --no-auth-warning -h 127.0.0.1 -p 6379 \
             --user \"$DBPS_USER\" PING)\" = PONG",
            vec![
                EnvVar::plain("DBPS_USER", ctx.user),
                EnvVar::secret("DBPS_PASSWORD", ctx.password),
            ],
        )
    }

    fn url(&self, ctx: &DbContext, host: &str, port: u16) -> String {
        format!("redis://{}:{}@{host}:{port}/0", ctx.user, ctx.password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_user_is_disabled_and_passwords_are_hashed() {
        let ctx = DbContext {
            database: "cache",
            user: "cache",
            password: "secret",
            admin_user: "dbps_admin",
            admin_password: "admin",
            version: "7",
            extensions: &[],
        };
        let cmd = Redis.container(&ctx).cmd.unwrap();
        assert!(
            cmd.windows(2)
                .any(|w| w[0] == "--user" && w[1] == "default off")
        );
        let service = cmd.iter().find(|a| a.starts_with("cache on")).unwrap();
        assert!(service.contains(&format!("#{}", sha256_hex("secret"))));
        assert!(service.contains("-@admin"));
        assert_eq!(
            sha256_hex("secret"),
            "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
        );
    }
}
