//! The plain values the Docker boundary speaks: what to create ([`ContainerSpec`]),
//! what Docker holds ([`Observed`]), what an inspect or exec reports.
//!
//! No bollard here and nothing from `provision`: provisioning builds these values and
//! reads them; [`super::Docker`] turns them into API calls and back.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::engine::EnvVar;

/// How one database container is to be created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSpec {
    /// Container name.
    pub name: String,
    /// Image reference.
    pub image: String,
    /// Environment (may hold the administrator secret; never shown).
    pub env: Vec<EnvVar>,
    /// Command, if the image default is not used.
    pub cmd: Option<Vec<String>>,
    /// The port the server listens on inside the container.
    pub container_port: u16,
    /// The host port on 127.0.0.1; `None` lets Docker choose.
    pub host_port: Option<u16>,
    /// Where the volume is mounted.
    pub data_dir: String,
    /// The data volume.
    pub volume: String,
    /// The one network the container joins.
    pub network: String,
    /// The stable DNS alias on that network.
    pub alias: String,
    /// Labels, including the spec hash. Never a secret.
    pub labels: BTreeMap<String, String>,
}

impl ContainerSpec {
    /// Hash of the non-secret parts of the spec (secret values are left out so the
    /// hash reveals nothing, and a label can carry it). Labels are not hashed: they
    /// carry the hash. Changing what is fed here recreates every existing container.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        let mut feed = |part: &str| {
            h.update(part.as_bytes());
            h.update([0]);
        };
        feed(&self.image);
        for arg in self.cmd.iter().flatten() {
            feed(arg);
        }
        feed("--env--");
        for v in &self.env {
            feed(&v.name);
            feed(if v.secret { "<secret>" } else { &v.value });
        }
        feed(&self.container_port.to_string());
        feed(&self.host_port.map(|p| p.to_string()).unwrap_or_default());
        feed(&self.data_dir);
        feed(&self.volume);
        feed(&self.network);
        feed(&self.alias);
        h.finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// Result of a command run inside a container.
#[derive(Debug, Clone)]
pub struct ExecOutput {
    /// Exit code (None if unknown).
    pub exit_code: Option<i64>,
    /// Combined stdout and stderr. May contain secrets: never print it unredacted.
    pub output: String,
}

/// What `inspect` reports about a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerStatus {
    /// Run state.
    pub state: ContainerState,
    /// Exit code of the last run.
    pub exit_code: Option<i64>,
    /// Published host port.
    pub host_port: Option<u16>,
    /// How often the daemon restarted it.
    pub restarts: i64,
}

/// A container's run state, as far as planning cares.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerState {
    /// Running.
    Running,
    /// Created or exited.
    Stopped,
    /// Restarting, paused, removing…
    Other(String),
}

impl std::fmt::Display for ContainerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ContainerState::Running => f.write_str("running"),
            ContainerState::Stopped => f.write_str("stopped"),
            ContainerState::Other(s) => f.write_str(s),
        }
    }
}

/// A labelled container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedContainer {
    /// Container id.
    pub id: String,
    /// Container name.
    pub name: String,
    /// `dbps.service` label.
    pub service: String,
    /// `dbps.engine` label.
    pub engine: String,
    /// `dbps.spec-hash` label.
    pub spec_hash: Option<String>,
    /// Run state.
    pub state: ContainerState,
    /// Published port on the host.
    pub host_port: Option<u16>,
    /// Ids of the networks it is attached to.
    pub networks: Vec<String>,
}

/// A labelled network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedNetwork {
    /// Network id.
    pub id: String,
    /// Network name.
    pub name: String,
    /// `dbps.service` label.
    pub service: String,
}

/// A labelled volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedVolume {
    /// Volume name.
    pub name: String,
    /// `dbps.service` label.
    pub service: String,
}

/// Everything Docker holds for one project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Containers.
    pub containers: Vec<ObservedContainer>,
    /// Networks.
    pub networks: Vec<ObservedNetwork>,
    /// Volumes.
    pub volumes: Vec<ObservedVolume>,
}

impl Observed {
    /// Sort by service then name, so plans are deterministic.
    pub fn sort(&mut self) {
        self.containers
            .sort_by(|a, b| (&a.service, &a.name).cmp(&(&b.service, &b.name)));
        self.networks
            .sort_by(|a, b| (&a.service, &a.name).cmp(&(&b.service, &b.name)));
        self.volumes
            .sort_by(|a, b| (&a.service, &a.name).cmp(&(&b.service, &b.name)));
    }

    /// The service's containers.
    pub fn containers_of<'a>(
        &'a self,
        service: &'a str,
    ) -> impl Iterator<Item = &'a ObservedContainer> {
        self.containers.iter().filter(move |c| c.service == service)
    }
}

/// Split `repo:tag` (a registry port is not a tag); no tag means `latest`. A
/// digest (`repo@sha256:…`) is kept whole as the reference, with no tag.
pub fn split_image(image: &str) -> (&str, &str) {
    if image.contains('@') {
        return (image, "");
    }
    let last_slash = image.rfind('/').unwrap_or(0);
    match image[last_slash..].rfind(':') {
        Some(i) => (&image[..last_slash + i], &image[last_slash + i + 1..]),
        None => (image, "latest"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split() {
        assert_eq!(split_image("postgres:16"), ("postgres", "16"));
        assert_eq!(split_image("postgres"), ("postgres", "latest"));
        assert_eq!(
            split_image("localhost:5000/pg:15"),
            ("localhost:5000/pg", "15")
        );
        assert_eq!(
            split_image("localhost:5000/pg"),
            ("localhost:5000/pg", "latest")
        );
        assert_eq!(
            split_image("dbps-test/postgres:15"),
            ("dbps-test/postgres", "15")
        );
    }

    #[test]
    fn hash_leaves_secret_values_out() {
        let spec = |admin: &str| ContainerSpec {
            name: "p-a-db".into(),
            image: "postgres:16".into(),
            env: vec![
                EnvVar::plain("POSTGRES_USER", "dbps_admin"),
                EnvVar::secret("POSTGRES_PASSWORD", admin),
            ],
            cmd: None,
            container_port: 5432,
            host_port: None,
            data_dir: "/var/lib/postgresql/data".into(),
            volume: "p-a-data".into(),
            network: "p-a-net".into(),
            alias: "a-db".into(),
            labels: BTreeMap::new(),
        };
        assert_eq!(spec("one").hash(), spec("two").hash());
        assert_eq!(spec("one").hash().len(), 16);
        let mut other = spec("one");
        other.host_port = Some(5440);
        assert_ne!(other.hash(), spec("one").hash());
    }
}
