//! The desired state: what every service needs, built once per run as one value,
//! [`Desired`], that every backend reads (the Docker applier today; exporters to
//! Compose/Swarm and Kubernetes are further readers, never a second model).
//!
//! [`Desired::build`] is pure: the manifest, a credential per service and the
//! project's [`Images`] in, a value out. [`Desired::load`] is the one effectful
//! doorway: it reads (or, for `up`, creates) the stored credentials, then builds.
//! Nothing here talks to Docker or knows a Docker API type; the Docker view of a
//! service is [`super::container`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::docker::split_image;
use crate::engine::{DbContext, Engine, EnvVar, ExecSpec, default_image, major_version};
use crate::labels;
use crate::manifest::{Manifest, Service};
use crate::secrets::{Credentials, Store};

/// What the project needs: one [`ServiceSpec`] per selected service.
#[derive(Debug, Clone)]
pub struct Desired {
    /// The project name, which prefixes every resource.
    pub project: String,
    /// The services, in manifest order.
    pub services: Vec<ServiceSpec>,
}

/// Everything one service's database needs, whatever runs it.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// Service name.
    pub name: String,
    /// The service's directory, relative to the project root (its `.env` goes there).
    pub path: PathBuf,
    /// Engine.
    pub engine: Engine,
    /// The image reference run.
    pub image: String,
    /// The version in force (the image's tag when it names one): engines decide by it.
    pub version: String,
    /// Logical database name.
    pub database: String,
    /// Extensions to enable (Postgres).
    pub extensions: Vec<String>,
    /// The database container's (or workload's) name.
    pub container: String,
    /// The data volume.
    pub volume: VolumeSpec,
    /// The private network only this service and its database join.
    pub network: NetworkSpec,
    /// Ports.
    pub ports: Ports,
    /// The server's environment, following the official image's contract (the
    /// administrator secret is marked secret; the service's password is never here).
    pub env: Vec<EnvVar>,
    /// Command arguments, when the image's default is not enough. Never a secret.
    pub cmd: Option<Vec<String>>,
    /// Idempotent least-privilege set-up run as administrator once the server
    /// accepts connections; `None` when `env`/`cmd` already do it.
    pub bootstrap: Option<ExecSpec>,
    /// Readiness: a real query with the service's own credentials over TCP.
    pub probe: ExecSpec,
    /// The service's and the administrator's credentials.
    pub credentials: Credentials,
    /// Identity labels every resource of the service carries (never a secret).
    pub labels: BTreeMap<String, String>,
}

/// A service's data volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSpec {
    /// Volume name.
    pub name: String,
    /// Where the image keeps its data, for the version in force.
    pub data_dir: String,
}

/// A service's private network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkSpec {
    /// Network name.
    pub name: String,
    /// The database's stable DNS name on it.
    pub alias: String,
}

/// Where the database listens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// The port the server listens on inside its container.
    pub container: u16,
    /// The host port on 127.0.0.1 from the manifest; `None` lets the backend choose.
    pub host: Option<u16>,
}

/// Project-wide image choices: one image per engine, overriding the official
/// default (a service's own `image:` still wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Images {
    by_engine: BTreeMap<&'static str, String>,
}

/// Where credentials come from while building the desired state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// Stored credentials; missing ones are generated and stored (`up`).
    Create,
    /// Stored credentials; a placeholder stands in for missing ones (planning and
    /// status never need a secret that does not exist yet).
    Stored,
}

/// Resource names for a service: container, network, volume.
pub fn names(project: &str, service: &str) -> (String, String, String) {
    (
        format!("{project}-{service}-db"),
        format!("{project}-{service}-net"),
        format!("{project}-{service}-data"),
    )
}

impl Images {
    /// The choices made in the environment (`DBPS_IMAGE_POSTGRES=…`), for this run.
    pub fn from_env() -> Images {
        let mut images = Images::default();
        for name in Engine::names() {
            let engine = Engine::parse(name).expect("every listed engine parses");
            if let Ok(image) = std::env::var(crate::engine::image_override_var(engine))
                && !image.trim().is_empty()
            {
                images = images.with(engine, &image);
            }
        }
        images
    }

    /// These choices, with `image` for `engine`.
    pub fn with(mut self, engine: Engine, image: &str) -> Images {
        self.by_engine.insert(engine.name(), image.to_string());
        self
    }

    /// The project-wide choice for `engine`, if any.
    pub fn get(&self, engine: Engine) -> Option<&str> {
        self.by_engine.get(engine.name()).map(String::as_str)
    }

    /// The image a service runs: its own `image`, else the project-wide choice, else
    /// the official image at the manifest's version.
    pub fn image_for(&self, service: &Service) -> String {
        let db = &service.database;
        db.image
            .clone()
            .or_else(|| self.get(db.engine).map(str::to_string))
            .unwrap_or_else(|| default_image(db.engine, db.version()))
    }
}

impl Desired {
    /// Nothing desired (what `down` applies against).
    pub fn empty(project: &str) -> Desired {
        Desired {
            project: project.to_string(),
            services: Vec::new(),
        }
    }

    /// The desired state of every service in `manifest`, with `credentials` per
    /// service. Pure.
    pub fn build(
        manifest: &Manifest,
        credentials: &dyn Fn(&Service) -> Credentials,
        images: &Images,
    ) -> Desired {
        Desired {
            project: manifest.project.clone(),
            services: manifest
                .services
                .iter()
                .map(|s| ServiceSpec::build(&manifest.project, s, credentials(s), images))
                .collect(),
        }
    }

    /// Read the credentials of every service in `manifest` from the store under
    /// `root` (creating missing ones with [`CredentialSource::Create`]), then build.
    pub fn load(
        root: &Path,
        manifest: &Manifest,
        images: &Images,
        source: CredentialSource,
    ) -> anyhow::Result<Desired> {
        let store = Store::new(root);
        let mut creds = BTreeMap::new();
        for s in &manifest.services {
            let c = credentials_of(&store, s, source)
                .with_context(|| format!("credentials of `{}`", s.name))?;
            creds.insert(s.name.clone(), c);
        }
        Ok(Desired::build(
            manifest,
            &|s| creds[&s.name].clone(),
            images,
        ))
    }

    /// Look a service up by name.
    pub fn service(&self, name: &str) -> Option<&ServiceSpec> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Whether `name` is a desired service.
    pub fn contains(&self, name: &str) -> bool {
        self.service(name).is_some()
    }

    /// The services' names, in order.
    pub fn names(&self) -> Vec<String> {
        self.services.iter().map(|s| s.name.clone()).collect()
    }
}

fn credentials_of(
    store: &Store,
    s: &Service,
    source: CredentialSource,
) -> anyhow::Result<Credentials> {
    let db = &s.database;
    Ok(match source {
        CredentialSource::Create => store.load_or_create(&s.name, &db.name, db.engine)?,
        CredentialSource::Stored => store
            .load(&s.name)?
            .unwrap_or_else(|| Credentials::fixed(&db.name, "not-yet-generated", db.engine)),
    })
}

impl ServiceSpec {
    /// One service's desired state. Pure.
    pub fn build(
        project: &str,
        service: &Service,
        credentials: Credentials,
        images: &Images,
    ) -> ServiceSpec {
        let db = &service.database;
        let engine = db.engine.spec();
        let image = images.image_for(service);
        let version = version_in_force(&image, db.version());
        let (container, network, volume) = names(project, &service.name);
        let mut spec = ServiceSpec {
            name: service.name.clone(),
            path: service.path.clone(),
            engine: db.engine,
            image,
            volume: VolumeSpec {
                name: volume,
                data_dir: engine.data_dir(&version).to_string(),
            },
            version,
            database: db.name.clone(),
            extensions: db.extensions.clone(),
            container,
            network: NetworkSpec {
                name: network,
                alias: format!("{}-db", service.name),
            },
            ports: Ports {
                container: engine.port(),
                host: db.port,
            },
            env: Vec::new(),
            cmd: None,
            bootstrap: None,
            probe: ExecSpec {
                cmd: Vec::new(),
                env: Vec::new(),
            },
            credentials,
            labels: identity_labels(project, service),
        };
        let ctx = spec.db_context();
        let recipe = engine.container(&ctx);
        let (bootstrap, probe) = (engine.bootstrap(&ctx), engine.probe(&ctx));
        (spec.env, spec.cmd) = (recipe.env, recipe.cmd);
        (spec.bootstrap, spec.probe) = (bootstrap, probe);
        spec
    }

    /// The engine context: names and secrets for bootstrap, probe and URL.
    pub fn db_context(&self) -> DbContext<'_> {
        DbContext {
            database: &self.database,
            user: &self.credentials.user,
            password: &self.credentials.password,
            admin_user: &self.credentials.admin_user,
            admin_password: &self.credentials.admin_password,
            version: &self.version,
            extensions: &self.extensions,
        }
    }

    /// The service's connection URL for a server at `host:port` (holds its password).
    pub fn url(&self, host: &str, port: u16) -> String {
        self.engine.spec().url(&self.db_context(), host, port)
    }

    /// The variable the service reads its URL from (`DATABASE_URL`, …).
    pub fn url_var(&self) -> &'static str {
        self.engine.spec().url_var()
    }

    /// Both secrets, for redacting text before it is shown.
    pub fn secrets(&self) -> [&str; 2] {
        self.credentials.secrets()
    }
}

/// The version the data directory and engine decisions follow: the image's tag
/// when it names a major version (an override such as `dbps-test/postgres:15`
/// says which one it is), else the manifest's.
fn version_in_force(image: &str, manifest_version: &str) -> String {
    let tag = split_image(image).1;
    if major_version(tag).is_some() {
        tag.to_string()
    } else {
        manifest_version.to_string()
    }
}

fn identity_labels(project: &str, service: &Service) -> BTreeMap<String, String> {
    BTreeMap::from([
        (labels::MANAGED_BY.to_string(), "dbps".to_string()),
        (labels::PROJECT.to_string(), project.to_string()),
        (labels::SERVICE.to_string(), service.name.clone()),
        (
            labels::ENGINE.to_string(),
            service.database.engine.name().to_string(),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOP: &str = "project: shop\nservices:\n  users:\n    database: {engine: postgres, version: \"18\", port: 5440}\n  cache:\n    database: {engine: redis}\n";

    fn manifest() -> Manifest {
        Manifest::parse(SHOP, "dbps.yaml").unwrap()
    }

    fn creds(s: &Service) -> Credentials {
        Credentials::fixed(&s.database.name, "servicepw", s.database.engine)
    }

    fn postgres() -> Engine {
        Engine::parse("postgres").unwrap()
    }

    #[test]
    fn one_value_holds_every_part_a_backend_needs() {
        let d = Desired::build(&manifest(), &creds, &Images::default());
        assert_eq!(d.project, "shop");
        assert_eq!(d.names(), ["users", "cache"]);
        let users = d.service("users").unwrap();
        assert_eq!(users.engine, postgres());
        assert_eq!(users.image, "postgres:18");
        assert_eq!(users.version, "18");
        assert_eq!(users.database, "users");
        assert_eq!(users.path, PathBuf::from("services/users"));
        assert_eq!(users.container, "shop-users-db");
        assert_eq!(
            users.volume,
            VolumeSpec {
                name: "shop-users-data".into(),
                data_dir: "/var/lib/postgresql".into()
            }
        );
        assert_eq!(
            users.network,
            NetworkSpec {
                name: "shop-users-net".into(),
                alias: "users-db".into()
            }
        );
        assert_eq!(
            users.ports,
            Ports {
                container: 5432,
                host: Some(5440)
            }
        );
        assert_eq!(users.labels[labels::PROJECT], "shop");
        assert_eq!(users.labels[labels::SERVICE], "users");
        assert_eq!(users.labels[labels::ENGINE], "postgres");
        assert!(!users.labels.contains_key(labels::SPEC_HASH));
        // The engine's contract, bootstrap and probe are part of the value.
        let ctx = users.db_context();
        assert_eq!(users.env, postgres().spec().container(&ctx).env);
        assert_eq!(users.probe, postgres().spec().probe(&ctx));
        assert_eq!(users.bootstrap, postgres().spec().bootstrap(&ctx));
        let cache = d.service("cache").unwrap();
        assert_eq!(cache.ports.host, None);
        assert_eq!(cache.ports.container, 6379);
        assert!(d.service("orders").is_none());
    }

    #[test]
    fn labels_never_hold_secrets() {
        for s in Desired::build(&manifest(), &creds, &Images::default()).services {
            for value in s.labels.values() {
                assert!(
                    !value.contains("servicepw") && !value.contains(&s.credentials.admin_password)
                );
            }
        }
    }

    #[test]
    fn debug_output_holds_no_secret() {
        let d = Desired::build(&manifest(), &creds, &Images::default());
        let shown = format!("{d:?}");
        assert!(shown.contains("shop-users-db"));
        assert!(!shown.contains("servicepw"), "{shown}");
    }

    #[test]
    fn the_service_password_stays_out_of_the_server_environment() {
        let creds = |s: &Service| {
            let mut c = creds(s);
            c.admin_password = "ADMINPW".into();
            c
        };
        for s in Desired::build(&manifest(), &creds, &Images::default()).services {
            assert!(
                !s.env.iter().any(|v| v.value.contains("servicepw")),
                "{}",
                s.name
            );
        }
    }

    #[test]
    fn image_choices_in_order_service_then_project_then_official() {
        let m = Manifest::parse(
            "project: p\nservices:\n  a:\n    database: {engine: postgres, image: \"mine/pg:17\"}\n  b:\n    database: {engine: postgres}\n  c:\n    database: {engine: redis}\n",
            "dbps.yaml",
        )
        .unwrap();
        let images = Images::default().with(postgres(), "dbps-test/postgres:15");
        let d = Desired::build(&m, &creds, &images);
        let image = |n: &str| d.service(n).unwrap().image.clone();
        assert_eq!(image("a"), "mine/pg:17");
        assert_eq!(image("b"), "dbps-test/postgres:15");
        assert_eq!(image("c"), "redis:7");
    }

    #[test]
    fn an_image_tag_sets_the_version_and_data_dir() {
        let images = Images::default().with(postgres(), "dbps-test/postgres:15");
        let over = Desired::build(&manifest(), &creds, &images);
        let users = over.service("users").unwrap();
        assert_eq!(users.version, "15");
        assert_eq!(users.volume.data_dir, "/var/lib/postgresql/data");
        // A tag that names no version leaves the manifest's in force.
        let latest = Images::default().with(postgres(), "postgres:latest");
        let d = Desired::build(&manifest(), &creds, &latest);
        assert_eq!(d.service("users").unwrap().version, "18");
    }

    #[test]
    fn load_creates_credentials_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let m = manifest();
        let planned =
            Desired::load(dir.path(), &m, &Images::default(), CredentialSource::Stored).unwrap();
        assert_eq!(
            planned.service("users").unwrap().credentials.password,
            "not-yet-generated"
        );
        assert!(Store::new(dir.path()).load("users").unwrap().is_none());
        let up =
            Desired::load(dir.path(), &m, &Images::default(), CredentialSource::Create).unwrap();
        let stored = Store::new(dir.path()).load("users").unwrap().unwrap();
        assert_eq!(up.service("users").unwrap().credentials, stored);
        let again =
            Desired::load(dir.path(), &m, &Images::default(), CredentialSource::Stored).unwrap();
        assert_eq!(again.service("users").unwrap().credentials, stored);
    }
}
