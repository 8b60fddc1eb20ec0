//! Desired state: what Docker should hold for each service, derived purely from the
//! manifest, the service's credentials and image overrides.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::docker::{ContainerSpec, split_image};
use crate::engine::{DbContext, Engine, default_image, major_version};
use crate::labels;
use crate::manifest::{Manifest, Service};
use crate::secrets::Credentials;

/// Everything one service needs.
#[derive(Debug, Clone)]
pub struct DesiredService {
    /// Service name.
    pub service: String,
    /// Engine.
    pub engine: Engine,
    /// The container.
    pub container: ContainerSpec,
    /// Labels for the network and volume.
    pub resource_labels: BTreeMap<String, String>,
    /// The service's directory, relative to the project root.
    pub path: PathBuf,
    /// Logical database name.
    pub database: String,
    /// Extensions (Postgres).
    pub extensions: Vec<String>,
    /// The version in force (for the engine's decisions).
    pub version: String,
    /// The service's and administrator's credentials.
    pub credentials: Credentials,
}

impl DesiredService {
    /// The engine context for bootstrap, probe and URL.
    pub fn context(&self) -> DbContext<'_> {
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
}

/// Resource names for a service.
pub fn names(project: &str, service: &str) -> (String, String, String) {
    (
        format!("{project}-{service}-db"),
        format!("{project}-{service}-net"),
        format!("{project}-{service}-data"),
    )
}

/// The image a service runs: its own `image`, else the project-wide override
/// variable's value, else the official image at the manifest's version.
pub fn image_for(service: &Service, override_for: &dyn Fn(Engine) -> Option<String>) -> String {
    let db = &service.database;
    db.image
        .clone()
        .or_else(|| override_for(db.engine))
        .unwrap_or_else(|| default_image(db.engine, db.version()))
}

/// Where to mount the data volume for an image that declares `declared` volumes:
/// the engine's default when the image declares it (or declares nothing), else the
/// declared volume under the same parent tree (PostgreSQL 18 moved its data from
/// `/var/lib/postgresql/data` to `/var/lib/postgresql`, and a tag such as `latest`
/// does not say which one an image is).
pub fn data_dir_for_image(default: &str, declared: &[String]) -> Option<String> {
    if declared.is_empty() || declared.iter().any(|v| v.trim_end_matches('/') == default) {
        return None;
    }
    let root: Vec<&str> = default.split('/').take(4).collect();
    let root = root.join("/");
    declared
        .iter()
        .find(|v| v.starts_with(&root))
        .map(|v| v.trim_end_matches('/').to_string())
}

/// The desired state of every service in the manifest.
pub fn desired_state(
    manifest: &Manifest,
    credentials: &dyn Fn(&Service) -> Credentials,
    override_for: &dyn Fn(Engine) -> Option<String>,
) -> Vec<DesiredService> {
    manifest
        .services
        .iter()
        .map(|service| {
            let db = &service.database;
            let spec = db.engine.spec();
            let image = image_for(service, override_for);
            // The data directory follows the image actually run: an override's tag
            // says which major version it is.
            let tag = split_image(&image).1;
            let version = if major_version(tag).is_some() {
                tag.to_string()
            } else {
                db.version().to_string()
            };
            let (container_name, network, volume) = names(&manifest.project, &service.name);
            let creds = credentials(service);
            let mut resource_labels = BTreeMap::from([
                (labels::MANAGED_BY.to_string(), "dbps".to_string()),
                (labels::PROJECT.to_string(), manifest.project.clone()),
                (labels::SERVICE.to_string(), service.name.clone()),
                (labels::ENGINE.to_string(), db.engine.name().to_string()),
            ]);
            let ctx = DbContext {
                database: &db.name,
                user: &creds.user,
                password: &creds.password,
                admin_user: &creds.admin_user,
                admin_password: &creds.admin_password,
                version: &version,
                extensions: &db.extensions,
            };
            let recipe = spec.container(&ctx);
            let mut container = ContainerSpec {
                name: container_name,
                image,
                env: recipe.env,
                cmd: recipe.cmd,
                container_port: spec.port(),
                host_port: db.port,
                data_dir: spec.data_dir(&version).to_string(),
                volume,
                network,
                alias: format!("{}-db", service.name),
                labels: resource_labels.clone(),
            };
            container
                .labels
                .insert(labels::SPEC_HASH.to_string(), container.hash());
            resource_labels.retain(|k, _| k != labels::SPEC_HASH);
            DesiredService {
                service: service.name.clone(),
                engine: db.engine,
                container,
                resource_labels,
                path: service.path.clone(),
                database: db.name.clone(),
                extensions: db.extensions.clone(),
                version,
                credentials: creds,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::parse(
            "project: shop\nservices:\n  users:\n    database: {engine: postgres, version: \"18\", port: 5440}\n  cache:\n    database: {engine: redis}\n",
            "dbps.yaml",
        )
        .unwrap()
    }

    fn creds(s: &Service) -> Credentials {
        Credentials::fixed(&s.database.name, "servicepw", s.database.engine)
    }

    #[test]
    fn names_labels_and_ports() {
        let d = desired_state(&manifest(), &creds, &|_| None);
        assert_eq!(d.len(), 2);
        let users = &d[0].container;
        assert_eq!(users.name, "shop-users-db");
        assert_eq!(users.network, "shop-users-net");
        assert_eq!(users.volume, "shop-users-data");
        assert_eq!(users.image, "postgres:18");
        assert_eq!(users.data_dir, "/var/lib/postgresql");
        assert_eq!(users.host_port, Some(5440));
        assert_eq!(users.labels[labels::PROJECT], "shop");
        assert_eq!(users.labels[labels::SERVICE], "users");
        assert_eq!(users.labels[labels::SPEC_HASH].len(), 16);
        assert!(!d[0].resource_labels.contains_key(labels::SPEC_HASH));
    }

    #[test]
    fn labels_never_hold_secrets() {
        for d in desired_state(&manifest(), &creds, &|_| None) {
            for value in d.container.labels.values() {
                assert!(
                    !value.contains("servicepw") && !value.contains(&d.credentials.admin_password)
                );
            }
        }
    }

    #[test]
    fn overrides_change_image_data_dir_and_hash() {
        let plain = desired_state(&manifest(), &creds, &|_| None);
        let over = desired_state(&manifest(), &creds, &|e| {
            (e.name() == "postgres").then(|| "dbps-test/postgres:15".to_string())
        });
        assert_eq!(over[0].container.image, "dbps-test/postgres:15");
        assert_eq!(over[0].container.data_dir, "/var/lib/postgresql/data");
        assert_ne!(
            plain[0].container.labels[labels::SPEC_HASH],
            over[0].container.labels[labels::SPEC_HASH]
        );
        assert_eq!(
            plain[1].container.labels[labels::SPEC_HASH],
            over[1].container.labels[labels::SPEC_HASH]
        );
    }

    #[test]
    fn data_dir_follows_the_image_declaration() {
        let pg18 = vec!["/var/lib/postgresql".to_string()];
        let pg16 = vec!["/var/lib/postgresql/data".to_string()];
        assert_eq!(
            data_dir_for_image("/var/lib/postgresql/data", &pg18).as_deref(),
            Some("/var/lib/postgresql")
        );
        assert_eq!(
            data_dir_for_image("/var/lib/postgresql", &pg16).as_deref(),
            Some("/var/lib/postgresql/data")
        );
        assert_eq!(data_dir_for_image("/var/lib/postgresql/data", &pg16), None);
        assert_eq!(data_dir_for_image("/data", &[]), None);
        assert_eq!(
            data_dir_for_image("/data/db", &["/data/db".into(), "/data/configdb".into()]),
            None
        );
    }

    #[test]
    fn hash_ignores_secret_values() {
        let a = desired_state(&manifest(), &creds, &|_| None);
        let b = desired_state(
            &manifest(),
            &|s: &Service| {
                let mut c = creds(s);
                c.admin_password = "different".into();
                c
            },
            &|_| None,
        );
        // Postgres carries the admin secret in env: its hash must not depend on it.
        assert_eq!(
            a[0].container.labels[labels::SPEC_HASH],
            b[0].container.labels[labels::SPEC_HASH]
        );
    }
}

#[cfg(test)]
mod stable_hash {
    use super::*;

    /// Hashes of today's container specs: a refactor of how the desired state is
    /// built must not change them, or upgrading dbps recreates every database
    /// container.
    #[test]
    fn spec_hashes_are_stable_across_releases() {
        let m = Manifest::parse(
            "project: shop\nservices:\n  users:\n    database: {engine: postgres, version: \"18\", port: 5440}\n  cache:\n    database: {engine: redis}\n  orders:\n    database: {engine: mariadb}\n  docs:\n    database: {engine: mongodb}\n  legacy:\n    database: {engine: mysql, image: \"dbps-test/mariadb:10.11\"}\n",
            "dbps.yaml",
        )
        .unwrap();
        let creds =
            |s: &Service| Credentials::fixed(&s.database.name, "servicepw", s.database.engine);
        let hashes: Vec<(String, String)> = desired_state(&m, &creds, &|_| None)
            .into_iter()
            .map(|d| (d.service, d.container.labels[labels::SPEC_HASH].clone()))
            .collect();
        let expected = [
            ("users", "b77f28d046983331"),
            ("cache", "9d7a025b2f06d9f7"),
            ("orders", "70e4fb71bd300eea"),
            ("docs", "2e42d4feacb180ec"),
            ("legacy", "dc61c2c937be1998"),
        ];
        assert_eq!(
            hashes,
            expected.map(|(n, h)| (n.to_string(), h.to_string()))
        );
    }
}
