//! Database engines: everything dbps knows about one engine lives in one module.
//!
//! An engine module implements [`EngineSpec`]: its default image, the official
//! image's environment contract, where data lives, the idempotent least-privilege
//! bootstrap, the readiness probe (a real query with the service's own credentials
//! over TCP), the connection URL, and which service template it uses. Adding an
//! engine means adding one module and one line to [`ENGINES`]. Nothing here talks
//! to Docker; these are pure descriptions that `provision` turns into actions.

mod mongodb;
mod mysql;
mod postgres;
mod redis;

use std::fmt;

/// Every supported engine, in the order they are listed to users.
static ENGINES: &[&dyn EngineSpec] = &[
    &postgres::Postgres,
    &mysql::MYSQL,
    &mysql::MARIADB,
    &redis::Redis,
    &mongodb::MongoDb,
];

/// A database engine named in the manifest.
#[derive(Clone, Copy)]
pub struct Engine(&'static dyn EngineSpec);

impl Engine {
    /// Look an engine up by its manifest name or an alias (`postgresql`, `mongo`).
    pub fn parse(name: &str) -> Option<Engine> {
        let name = name.trim().to_ascii_lowercase();
        ENGINES
            .iter()
            .find(|e| e.name() == name || e.aliases().contains(&name.as_str()))
            .map(|e| Engine(*e))
    }

    /// Every engine's canonical name.
    pub fn names() -> Vec<&'static str> {
        ENGINES.iter().map(|e| e.name()).collect()
    }

    /// The engine's facts.
    pub fn spec(self) -> &'static dyn EngineSpec {
        self.0
    }

    /// The canonical name, as written in the manifest.
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl PartialEq for Engine {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Engine {}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Engine({})", self.name())
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The names and secrets one database is set up with. Passwords are plain strings
/// here because engines must embed them in bootstrap input; callers keep them out
/// of anything printed.
#[derive(Clone)]
pub struct DbContext<'a> {
    /// Logical database name (also the service's role/user name).
    pub database: &'a str,
    /// The service's own user.
    pub user: &'a str,
    /// The service's password.
    pub password: &'a str,
    /// The administrator user, never given to the service.
    pub admin_user: &'a str,
    /// The administrator password.
    pub admin_password: &'a str,
    /// The engine version (image tag).
    pub version: &'a str,
    /// Engine extensions to enable (Postgres).
    pub extensions: &'a [String],
}

impl DbContext<'_> {
    /// `user:password` percent-encoded for a URL's user-info part.
    pub fn userinfo(&self) -> String {
        format!("{}:{}", url_encode(self.user), url_encode(self.password))
    }
}

/// Percent-encode everything but RFC 3986's unreserved characters, so a value
/// holding `@`, `:`, `/`, `%`, `#` or `?` stays one component of a URL.
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An environment variable for a container or exec; `secret` values are never
/// hashed into labels or shown (not even by `Debug`).
#[derive(Clone, PartialEq, Eq)]
pub struct EnvVar {
    /// Variable name.
    pub name: String,
    /// Variable value.
    pub value: String,
    /// Whether the value is a secret.
    pub secret: bool,
}

impl fmt::Debug for EnvVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &dyn fmt::Debug = if self.secret {
            &"<redacted>"
        } else {
            &self.value
        };
        f.debug_struct("EnvVar")
            .field("name", &self.name)
            .field("value", value)
            .field("secret", &self.secret)
            .finish()
    }
}

impl EnvVar {
    /// A non-secret variable.
    pub fn plain(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            secret: false,
        }
    }

    /// A secret variable.
    pub fn secret(name: &str, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            secret: true,
        }
    }
}

/// How to run the database container (beyond image, volume, network and port).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerRecipe {
    /// Environment, following the official image's contract.
    pub env: Vec<EnvVar>,
    /// Command arguments, if the image's default is not enough. Must hold no secret.
    pub cmd: Option<Vec<String>>,
}

/// A command run inside the database container (`docker exec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecSpec {
    /// argv; never contains a secret (secrets travel in `env`).
    pub cmd: Vec<String>,
    /// Environment for the command.
    pub env: Vec<EnvVar>,
}

impl ExecSpec {
    /// `sh -c SCRIPT` with `env`.
    pub fn shell(script: &str, env: Vec<EnvVar>) -> Self {
        Self {
            cmd: vec!["sh".into(), "-c".into(), script.into()],
            env,
        }
    }

    /// `self && next` as one shell command, when both are shell commands: one
    /// `docker exec` instead of two. Environment variables are merged (names shared
    /// by both must carry the same value).
    pub fn and_then(&self, next: &ExecSpec) -> Option<ExecSpec> {
        let script = |e: &ExecSpec| match e.cmd.as_slice() {
            [sh, c, script] if sh == "sh" && c == "-c" => Some(script.clone()),
            _ => None,
        };
        let (first, second) = (script(self)?, script(next)?);
        let mut env = self.env.clone();
        for var in &next.env {
            match env.iter().find(|v| v.name == var.name) {
                Some(v) if v.value != var.value => return None,
                Some(_) => {}
                None => env.push(var.clone()),
            }
        }
        Some(ExecSpec::shell(
            &format!("( {first} ) && ( {second} )"),
            env,
        ))
    }
}

/// What dbps knows about one database engine.
pub trait EngineSpec: Send + Sync + 'static {
    /// Canonical manifest name, e.g. `postgres`.
    fn name(&self) -> &'static str;
    /// Other accepted manifest spellings.
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    /// The version used when the manifest names none.
    fn default_version(&self) -> &'static str;
    /// Official image repository, e.g. `postgres`.
    fn image_repository(&self) -> &'static str;
    /// The port the server listens on inside the container.
    fn port(&self) -> u16;
    /// Where the image keeps its data, for this version.
    fn data_dir(&self, version: &str) -> &'static str;
    /// The template folder under `templates/` for `dbps new service`.
    fn template(&self) -> &'static str;
    /// Whether the manifest's `extensions` key applies.
    fn supports_extensions(&self) -> bool {
        false
    }
    /// Environment and command for the container.
    fn container(&self, ctx: &DbContext) -> ContainerRecipe;
    /// Idempotent least-privilege setup run with administrator credentials once the
    /// server accepts TCP connections; `None` when the container recipe already does it.
    fn bootstrap(&self, ctx: &DbContext) -> Option<ExecSpec>;
    /// A real query with the service's own credentials over TCP; exit 0 means ready.
    fn probe(&self, ctx: &DbContext) -> ExecSpec;
    /// The service's connection URL for a server at `host:port`.
    fn url(&self, ctx: &DbContext, host: &str, port: u16) -> String;
    /// Bytes that make a listening server answer on a fresh TCP connection (empty
    /// when the server speaks first), or `None` when there is no cheap check. This
    /// only tells when to try the real probe; it is never readiness itself.
    fn wire_hello(&self) -> Option<&'static [u8]> {
        None
    }
    /// The environment variable holding the service's URL.
    fn url_var(&self) -> &'static str {
        "DATABASE_URL"
    }
}

/// The image reference for an engine and version: `repository:version`.
pub fn default_image(engine: Engine, version: &str) -> String {
    format!("{}:{version}", engine.spec().image_repository())
}

/// The variable that overrides an engine's image for the whole project, e.g.
/// `DBPS_IMAGE_POSTGRES`.
pub fn image_override_var(engine: Engine) -> String {
    format!("DBPS_IMAGE_{}", engine.name().to_ascii_uppercase())
}

/// The leading major version number of a tag like `16`, `16.2` or `18-alpine`.
pub fn major_version(version: &str) -> Option<u32> {
    let digits: String = version.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (issue 11): connection URLs were not percent-encoded, so a
    /// password holding `@`, `:` or `/` broke every engine's URL.
    #[test]
    fn urls_percent_encode_user_and_password() {
        let ctx = DbContext {
            database: "orders",
            user: "orders",
            password: "p@ss:w/rd%?#[]",
            admin_user: "root",
            admin_password: "unused-unused-unused",
            version: "1",
            extensions: &[],
        };
        for name in Engine::names() {
            let url = Engine::parse(name)
                .unwrap()
                .spec()
                .url(&ctx, "127.0.0.1", 1234);
            assert!(
                url.contains("://orders:p%40ss%3Aw%2Frd%25%3F%23%5B%5D@127.0.0.1:1234"),
                "{name}: {url}"
            );
            assert_eq!(url.matches('@').count(), 1, "{url}");
        }
        assert_eq!(url_encode("Az09-._~"), "Az09-._~");
    }

    #[test]
    fn engines_parse_by_name_and_alias() {
        assert_eq!(Engine::parse("postgres").unwrap().name(), "postgres");
        assert_eq!(Engine::parse("PostgreSQL").unwrap().name(), "postgres");
        assert_eq!(Engine::parse("mongo").unwrap().name(), "mongodb");
        assert_eq!(Engine::parse("mariadb").unwrap().name(), "mariadb");
        assert!(Engine::parse("oracle").is_none());
    }

    #[test]
    fn engine_names_are_unique() {
        let mut all: Vec<&str> = ENGINES
            .iter()
            .flat_map(|e| std::iter::once(e.name()).chain(e.aliases().iter().copied()))
            .collect();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n);
    }

    #[test]
    fn override_variable_names() {
        assert_eq!(
            image_override_var(Engine::parse("postgres").unwrap()),
            "DBPS_IMAGE_POSTGRES"
        );
    }

    #[test]
    fn shell_commands_combine() {
        let a = ExecSpec::shell(
            "true",
            vec![EnvVar::plain("A", "1"), EnvVar::secret("P", "x")],
        );
        let b = ExecSpec::shell(
            "exit 3",
            vec![EnvVar::secret("P", "x"), EnvVar::plain("B", "2")],
        );
        let both = a.and_then(&b).unwrap();
        assert_eq!(both.cmd[2], "( true ) && ( exit 3 )");
        assert_eq!(both.env.len(), 3);
        let clash = ExecSpec::shell("true", vec![EnvVar::plain("A", "other")]);
        assert!(a.and_then(&clash).is_none());
        let argv = ExecSpec {
            cmd: vec!["mongosh".into()],
            env: vec![],
        };
        assert!(a.and_then(&argv).is_none());
    }

    /// The desired state (and the specs built from it) derive `Debug`: a secret
    /// in an environment variable must not come out of `{:?}`.
    #[test]
    fn debug_never_shows_a_secret_value() {
        let shown = format!(
            "{:?}",
            [
                EnvVar::secret("P", "HUNTER2HUNTER2"),
                EnvVar::plain("U", "admin")
            ]
        );
        assert!(!shown.contains("HUNTER2"), "{shown}");
        assert!(
            shown.contains("\"admin\"") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    #[test]
    fn major_versions() {
        assert_eq!(major_version("16"), Some(16));
        assert_eq!(major_version("18-alpine"), Some(18));
        assert_eq!(major_version("latest"), None);
    }

    /// No engine may put a secret in argv or in the container command: those show in
    /// `docker inspect` and `ps`.
    #[test]
    fn secrets_never_reach_argv() {
        let ext = vec!["vector".to_string()];
        let ctx = DbContext {
            database: "orders",
            user: "orders",
            password: "SERVICEPASSWORDxyz",
            admin_user: "dbps_admin",
            admin_password: "ADMINPASSWORDxyz",
            version: "16",
            extensions: &ext,
        };
        for e in ENGINES {
            let recipe = e.container(&ctx);
            for arg in recipe.cmd.iter().flatten() {
                assert!(!arg.contains("PASSWORDxyz"), "{}: {arg}", e.name());
            }
            let mut execs = vec![e.probe(&ctx)];
            execs.extend(e.bootstrap(&ctx));
            for exec in execs {
                for arg in &exec.cmd {
                    assert!(!arg.contains("PASSWORDxyz"), "{}: {arg}", e.name());
                }
                for var in &exec.env {
                    if var.value.contains("PASSWORDxyz") {
                        assert!(var.secret, "{}: {} must be secret", e.name(), var.name);
                    }
                }
            }
            for var in &recipe.env {
                if var.value.contains("PASSWORDxyz") {
                    assert!(var.secret, "{}: {} must be secret", e.name(), var.name);
                }
            }
            // The service's own password must never be handed to the container at
            // create time either: only the admin secret goes there.
            assert!(
                !recipe
                    .env
                    .iter()
                    .any(|v| v.value.contains("SERVICEPASSWORD")),
                "{}",
                e.name()
            );
        }
    }
}
