//! The Docker backend's reading of a [`ServiceSpec`]: the container to create and
//! the hash label that says when it must be recreated. Pure; exporters to other
//! backends read the same [`ServiceSpec`] their own way.

use crate::docker::ContainerSpec;
use crate::labels;

use super::desired::ServiceSpec;

/// The database container for `s`, labelled with its identity and spec hash.
pub fn container_spec(s: &ServiceSpec) -> ContainerSpec {
    let mut spec = ContainerSpec {
        name: s.container.clone(),
        image: s.image.clone(),
        env: s.env.clone(),
        cmd: s.cmd.clone(),
        container_port: s.ports.container,
        host_port: s.ports.host,
        data_dir: s.volume.data_dir.clone(),
        volume: s.volume.name.clone(),
        network: s.network.name.clone(),
        alias: s.network.alias.clone(),
        labels: s.labels.clone(),
    };
    spec.labels
        .insert(labels::SPEC_HASH.to_string(), spec.hash());
    spec
}

/// The spec hash `s`'s container must carry; another one means recreate.
pub fn spec_hash(s: &ServiceSpec) -> String {
    container_spec(s).hash()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::manifest::{Manifest, Service};
    use crate::provision::desired::{Desired, Images};
    use crate::secrets::Credentials;

    const SHOP: &str = "project: shop\nservices:\n  users:\n    database: {engine: postgres, version: \"18\", port: 5440}\n  cache:\n    database: {engine: redis}\n  orders:\n    database: {engine: mariadb}\n  docs:\n    database: {engine: mongodb}\n  legacy:\n    database: {engine: mysql, image: \"dbps-test/mariadb:10.11\"}\n";

    fn creds(s: &Service) -> Credentials {
        Credentials::fixed(&s.database.name, "servicepw", s.database.engine)
    }

    fn desired(images: &Images) -> Desired {
        Desired::build(&Manifest::parse(SHOP, "dbps.yaml").unwrap(), &creds, images)
    }

    #[test]
    fn names_labels_and_ports() {
        let d = desired(&Images::default());
        let users = container_spec(&d.services[0]);
        assert_eq!(users.name, "shop-users-db");
        assert_eq!(users.network, "shop-users-net");
        assert_eq!(users.volume, "shop-users-data");
        assert_eq!(users.alias, "users-db");
        assert_eq!(users.image, "postgres:18");
        assert_eq!(users.data_dir, "/var/lib/postgresql");
        assert_eq!((users.container_port, users.host_port), (5432, Some(5440)));
        assert_eq!(users.labels[labels::PROJECT], "shop");
        assert_eq!(users.labels[labels::SERVICE], "users");
        assert_eq!(users.labels[labels::SPEC_HASH], spec_hash(&d.services[0]));
    }

    /// Hashes recorded before the desired state became one value: an upgrade of
    /// dbps must not recreate every existing database container.
    #[test]
    fn spec_hashes_are_stable_across_releases() {
        let hashes: Vec<(String, String)> = desired(&Images::default())
            .services
            .iter()
            .map(|s| (s.name.clone(), spec_hash(s)))
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

    #[test]
    fn overrides_change_image_data_dir_and_hash_of_that_engine_only() {
        let plain = desired(&Images::default());
        let images =
            Images::default().with(Engine::parse("postgres").unwrap(), "dbps-test/postgres:15");
        let over = desired(&images);
        let users = container_spec(&over.services[0]);
        assert_eq!(users.image, "dbps-test/postgres:15");
        assert_eq!(users.data_dir, "/var/lib/postgresql/data");
        assert_ne!(spec_hash(&plain.services[0]), spec_hash(&over.services[0]));
        assert_eq!(spec_hash(&plain.services[1]), spec_hash(&over.services[1]));
    }

    #[test]
    fn hash_ignores_secret_values() {
        let a = desired(&Images::default());
        let m = Manifest::parse(SHOP, "dbps.yaml").unwrap();
        let b = Desired::build(
            &m,
            &|s: &Service| {
                let mut c = creds(s);
                c.admin_password = "different".into();
                c
            },
            &Images::default(),
        );
        // Postgres carries the admin secret in env: its hash must not depend on it.
        assert_eq!(spec_hash(&a.services[0]), spec_hash(&b.services[0]));
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
}
