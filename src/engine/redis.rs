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
        // redis-server takes each argument as one token, so every word of an ACL
        // rule must be its own argument (`--user default off`, not `"default off"`).
        let user_rule = |cmd: &mut Vec<String>, name: &str, password: &str, perms: &[&str]| {
            cmd.push("--user".into());
            cmd.push(name.into());
            cmd.push("on".into());
            cmd.push(format!("#{}", sha256_hex(password)));
            cmd.extend(perms.iter().map(|p| (*p).to_string()));
        };
        let mut cmd = vec![
            "redis-server".to_string(),
            "--appendonly".into(),
            "yes".into(),
            "--protected-mode".into(),
            "no".into(),
            "--user".into(),
            "default".into(),
            "off".into(),
        ];
        // The service may use every data command but no administration
        // (CONFIG, ACL, SHUTDOWN, DEBUG…) and nothing dangerous.
        user_rule(
            &mut cmd,
            ctx.user,
            ctx.password,
            &["~*", "&*", "+@all", "-@admin", "-@dangerous"],
        );
        user_rule(
            &mut cmd,
            ctx.admin_user,
            ctx.admin_password,
            &["~*", "&*", "+@all"],
        );
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

    fn wire_hello(&self) -> Option<&'static [u8]> {
        // Answered (with NOAUTH) even before authentication.
        Some(b"PING\r\n")
    }

    fn url(&self, ctx: &DbContext, host: &str, port: u16) -> String {
        format!("redis://{}@{host}:{port}/0", ctx.userinfo())
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
        assert!(cmd.windows(3).any(|w| w == ["--user", "default", "off"]));
        let at = cmd.iter().position(|a| a == "cache").unwrap();
        assert_eq!(cmd[at - 1], "--user");
        assert_eq!(cmd[at + 1], "on");
        assert_eq!(cmd[at + 2], format!("#{}", sha256_hex("secret")));
        assert!(cmd[at..].contains(&"-@admin".to_string()));
        assert!(
            cmd.iter().all(|a| !a.contains(' ')),
            "one token per argument: {cmd:?}"
        );
        assert_eq!(
            sha256_hex("secret"),
            "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"
        );
    }
}
