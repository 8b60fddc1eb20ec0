//! The Docker boundary: the only module that imports bollard.
//!
//! It offers coarse, dbps-shaped operations (list a project's resources by label,
//! create a database container from a [`ContainerSpec`], run a command inside it)
//! and maps bollard's errors to [`DockerError`], whose variants callers can match
//! (`NotFound`, `PortTaken`, `ImageMissing`, `Unreachable`). Nothing here decides
//! *what* to do; `provision` does.
//!
//! The values it speaks live beside it in `model` (plain data, no bollard). It
//! depends only on [`crate::engine`] (the exec and environment types engines
//! produce) and [`crate::labels`]; never on `provision`, which depends on it.

use std::collections::HashMap;
use std::time::Duration;

use bollard::errors::Error as BollardError;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::{
    ContainerCreateBody, EndpointSettings, HostConfig, NetworkCreateRequest, NetworkingConfig,
    PortBinding, RestartPolicy, RestartPolicyNameEnum, VolumeCreateRequest,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, ListContainersOptionsBuilder,
    ListNetworksOptionsBuilder, ListVolumesOptionsBuilder, LogsOptionsBuilder,
    RemoveContainerOptionsBuilder, StopContainerOptionsBuilder,
};
use futures_util::StreamExt;

mod model;

pub use model::{
    ContainerSpec, ContainerState, ContainerStatus, ExecOutput, Observed, ObservedContainer,
    ObservedNetwork, ObservedVolume, split_image,
};

use crate::engine::ExecSpec;
use crate::labels;

/// A Docker operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// The daemon cannot be reached.
    #[error(
        "cannot reach the Docker daemon at `{host}`: {reason}\n  = help: start Docker, or point `DOCKER_HOST` at a running daemon"
    )]
    Unreachable {
        /// Where we looked.
        host: String,
        /// Why it failed.
        reason: String,
    },
    /// An image is not present and could not be pulled.
    #[error("image `{image}` is not present and could not be pulled: {reason}")]
    ImageMissing {
        /// The image reference.
        image: String,
        /// The pull error.
        reason: String,
    },
    /// A host port is already taken.
    #[error("host port {port} on 127.0.0.1 is already in use")]
    PortTaken {
        /// The port.
        port: String,
    },
    /// A resource does not exist.
    #[error("{what} `{name}` does not exist")]
    NotFound {
        /// Kind of resource.
        what: &'static str,
        /// Its name or id.
        name: String,
    },
    /// A name is taken by a resource dbps does not manage.
    #[error(
        "{what} `{name}` already exists and is not managed by dbps\n  = help: remove or rename it (`docker {what} rm {name}`), or rename the project"
    )]
    Conflict {
        /// Kind of resource.
        what: &'static str,
        /// The name.
        name: String,
    },
    /// Any other API failure, named by operation.
    #[error("{op} failed: {message}")]
    Api {
        /// What was being done.
        op: String,
        /// The daemon's message.
        message: String,
    },
}

fn api(op: impl Into<String>) -> impl FnOnce(BollardError) -> DockerError {
    let op = op.into();
    move |err| match err {
        BollardError::DockerResponseServerError { message, .. } => DockerError::Api { op, message },
        other => DockerError::Api {
            op,
            message: other.to_string(),
        },
    }
}

fn status_of(err: &BollardError) -> Option<u16> {
    match err {
        BollardError::DockerResponseServerError { status_code, .. } => Some(*status_code),
        _ => None,
    }
}

/// A connected Docker client.
#[derive(Clone)]
pub struct Docker {
    client: bollard::Docker,
}

fn docker_host() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".to_string())
}

impl Docker {
    /// Connect (honouring `DOCKER_HOST`) and check the daemon answers.
    pub async fn connect() -> Result<Docker, DockerError> {
        let host = docker_host();
        let client =
            bollard::Docker::connect_with_defaults().map_err(|e| DockerError::Unreachable {
                host: host.clone(),
                reason: e.to_string(),
            })?;
        let client = client.with_timeout(Duration::from_secs(120));
        // A short ping so a missing daemon fails at once rather than after a timeout.
        match tokio::time::timeout(Duration::from_secs(5), client.ping()).await {
            Ok(Ok(_)) => Ok(Docker { client }),
            Ok(Err(e)) => Err(DockerError::Unreachable {
                host,
                reason: e.to_string(),
            }),
            Err(_) => Err(DockerError::Unreachable {
                host,
                reason: "no answer within 5 s".into(),
            }),
        }
    }

    /// Everything labelled as belonging to `project`.
    pub async fn observe(&self, project: &str) -> Result<Observed, DockerError> {
        let filter: HashMap<String, Vec<String>> = HashMap::from([(
            "label".to_string(),
            vec![format!("{}={project}", labels::PROJECT)],
        )]);
        let containers = self.client.list_containers(Some(
            ListContainersOptionsBuilder::default()
                .all(true)
                .filters(&filter)
                .build(),
        ));
        let networks = self.client.list_networks(Some(
            ListNetworksOptionsBuilder::default()
                .filters(&filter)
                .build(),
        ));
        let volumes = self.client.list_volumes(Some(
            ListVolumesOptionsBuilder::default()
                .filters(&filter)
                .build(),
        ));
        let (containers, networks, volumes) = tokio::join!(containers, networks, volumes);
        let containers = containers.map_err(api("listing containers"))?;
        let networks = networks.map_err(api("listing networks"))?;
        let volumes = volumes.map_err(api("listing volumes"))?;
        let mut observed = Observed::default();
        for c in containers {
            let labels = c.labels.unwrap_or_default();
            let state = match c.state.map(|s| s.to_string()).as_deref() {
                Some("running") => ContainerState::Running,
                Some("created") | Some("exited") | Some("dead") => ContainerState::Stopped,
                Some(other) => ContainerState::Other(other.to_string()),
                None => ContainerState::Other("unknown".into()),
            };
            let networks = c
                .network_settings
                .and_then(|n| n.networks)
                .unwrap_or_default()
                .into_values()
                .filter_map(|e| e.network_id)
                .collect();
            let host_port = c
                .ports
                .unwrap_or_default()
                .iter()
                .find_map(|p| p.public_port.filter(|_| p.ip.as_deref() != Some("::")));
            observed.containers.push(ObservedContainer {
                id: c.id.unwrap_or_default(),
                name: c
                    .names
                    .unwrap_or_default()
                    .first()
                    .map(|n| n.trim_start_matches('/').to_string())
                    .unwrap_or_default(),
                service: labels.get(labels::SERVICE).cloned().unwrap_or_default(),
                engine: labels.get(labels::ENGINE).cloned().unwrap_or_default(),
                spec_hash: labels.get(labels::SPEC_HASH).cloned(),
                state,
                host_port,
                networks,
            });
        }
        for n in networks {
            let labels = n.labels.unwrap_or_default();
            observed.networks.push(ObservedNetwork {
                id: n.id.unwrap_or_default(),
                name: n.name.unwrap_or_default(),
                service: labels.get(labels::SERVICE).cloned().unwrap_or_default(),
            });
        }
        for v in volumes.volumes.unwrap_or_default() {
            observed.volumes.push(ObservedVolume {
                service: v.labels.get(labels::SERVICE).cloned().unwrap_or_default(),
                name: v.name,
            });
        }
        observed.sort();
        Ok(observed)
    }

    /// Whether an image is present locally.
    pub async fn image_exists(&self, image: &str) -> Result<bool, DockerError> {
        match self.client.inspect_image(image).await {
            Ok(_) => Ok(true),
            Err(e) if status_of(&e) == Some(404) => Ok(false),
            Err(e) => Err(api(format!("inspecting image `{image}`"))(e)),
        }
    }

    /// Pull an image, calling `progress` with a percentage when one is known.
    pub async fn pull(&self, image: &str, progress: impl Fn(u8)) -> Result<(), DockerError> {
        let (repo, tag) = split_image(image);
        let options = CreateImageOptionsBuilder::default()
            .from_image(repo)
            .tag(tag)
            .build();
        let mut stream = self.client.create_image(Some(options), None, None);
        let mut layers: HashMap<String, (i64, i64)> = HashMap::new();
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| DockerError::ImageMissing {
                image: image.to_string(),
                reason: match e {
                    BollardError::DockerResponseServerError { message, .. } => message,
                    other => other.to_string(),
                },
            })?;
            if let Some(detail) = info.error_detail {
                return Err(DockerError::ImageMissing {
                    image: image.to_string(),
                    reason: detail.message.unwrap_or_else(|| "pull failed".into()),
                });
            }
            if let (Some(id), Some(d)) = (info.id, info.progress_detail)
                && let (Some(cur), Some(total)) = (d.current, d.total)
                && total > 0
            {
                layers.insert(id, (cur, total));
                let (c, t) = layers
                    .values()
                    .fold((0, 0), |(a, b), (c, t)| (a + c, b + t));
                progress(u8::try_from((c * 100 / t.max(1)).clamp(0, 100)).unwrap_or(100));
            }
        }
        Ok(())
    }

    /// Create a labelled bridge network.
    pub async fn create_network(
        &self,
        name: &str,
        labels: &HashMap<String, String>,
    ) -> Result<String, DockerError> {
        let req = NetworkCreateRequest {
            name: name.to_string(),
            driver: Some("bridge".into()),
            labels: Some(labels.clone()),
            ..Default::default()
        };
        match self.client.create_network(req).await {
            Ok(r) => Ok(r.id),
            Err(e) if status_of(&e) == Some(409) => Err(DockerError::Conflict {
                what: "network",
                name: name.to_string(),
            }),
            Err(e) => Err(api(format!("creating network `{name}`"))(e)),
        }
    }

    /// Create a labelled named volume. An existing volume of that name is kept only
    /// if it carries the same labels: dbps never mounts a volume it does not manage.
    pub async fn create_volume(
        &self,
        name: &str,
        labels: &HashMap<String, String>,
    ) -> Result<(), DockerError> {
        match self.client.inspect_volume(name).await {
            Ok(existing) => {
                return if labels
                    .iter()
                    .all(|(k, v)| existing.labels.get(k) == Some(v))
                {
                    Ok(())
                } else {
                    Err(DockerError::Conflict {
                        what: "volume",
                        name: name.to_string(),
                    })
                };
            }
            Err(e) if status_of(&e) == Some(404) => {}
            Err(e) => return Err(api(format!("inspecting volume `{name}`"))(e)),
        }
        let req = VolumeCreateRequest {
            name: Some(name.to_string()),
            labels: Some(labels.clone()),
            ..Default::default()
        };
        self.client
            .create_volume(req)
            .await
            .map(|_| ())
            .map_err(api(format!("creating volume `{name}`")))
    }

    /// The volumes an image declares (`VOLUME` in its Dockerfile).
    pub async fn image_volumes(&self, image: &str) -> Result<Vec<String>, DockerError> {
        let info = self
            .client
            .inspect_image(image)
            .await
            .map_err(api(format!("inspecting image `{image}`")))?;
        let mut volumes: Vec<String> = info
            .config
            .and_then(|c| c.volumes)
            .unwrap_or_default()
            .into_iter()
            .collect();
        volumes.sort();
        Ok(volumes)
    }

    /// Create (not start) a database container from its spec, attached to the
    /// network with id `network_id` (an id, not a name: names need not be unique).
    pub async fn create_container(
        &self,
        spec: &ContainerSpec,
        network_id: &str,
    ) -> Result<String, DockerError> {
        let port_key = format!("{}/tcp", spec.container_port);
        let binding = PortBinding {
            host_ip: Some("127.0.0.1".into()),
            host_port: Some(spec.host_port.map(|p| p.to_string()).unwrap_or_default()),
        };
        let body = ContainerCreateBody {
            image: Some(spec.image.clone()),
            env: Some(
                spec.env
                    .iter()
                    .map(|v| format!("{}={}", v.name, v.value))
                    .collect(),
            ),
            cmd: spec.cmd.clone(),
            labels: Some(spec.labels.clone().into_iter().collect()),
            exposed_ports: Some(vec![port_key.clone()]),
            host_config: Some(HostConfig {
                binds: Some(vec![format!("{}:{}", spec.volume, spec.data_dir)]),
                port_bindings: Some(HashMap::from([(port_key, Some(vec![binding]))])),
                restart_policy: Some(RestartPolicy {
                    name: Some(RestartPolicyNameEnum::UNLESS_STOPPED),
                    maximum_retry_count: None,
                }),
                ..Default::default()
            }),
            // Engines before API 1.44 accept one network at create time: exactly one.
            networking_config: Some(NetworkingConfig {
                endpoints_config: Some(HashMap::from([(
                    network_id.to_string(),
                    EndpointSettings {
                        aliases: Some(vec![spec.alias.clone()]),
                        ..Default::default()
                    },
                )])),
            }),
            ..Default::default()
        };
        let options = CreateContainerOptionsBuilder::default()
            .name(&spec.name)
            .build();
        match self.client.create_container(Some(options), body).await {
            Ok(r) => Ok(r.id),
            Err(e) if status_of(&e) == Some(409) => Err(DockerError::Conflict {
                what: "container",
                name: spec.name.clone(),
            }),
            Err(e) if status_of(&e) == Some(404) => Err(DockerError::ImageMissing {
                image: spec.image.clone(),
                reason: "not present".into(),
            }),
            Err(e) => Err(api(format!("creating container `{}`", spec.name))(e)),
        }
    }

    /// Start a container; a taken host port becomes [`DockerError::PortTaken`].
    pub async fn start_container(
        &self,
        id: &str,
        host_port: Option<u16>,
    ) -> Result<(), DockerError> {
        match self.client.start_container(id, None).await {
            Ok(()) => Ok(()),
            Err(BollardError::DockerResponseServerError { message, .. })
                if message.contains("address already in use")
                    || message.contains("port is already allocated") =>
            {
                Err(DockerError::PortTaken {
                    port: host_port.map_or_else(|| "(chosen by Docker)".into(), |p| p.to_string()),
                })
            }
            Err(e) if status_of(&e) == Some(404) => Err(DockerError::NotFound {
                what: "container",
                name: id.to_string(),
            }),
            Err(e) => Err(api(format!("starting container `{id}`"))(e)),
        }
    }

    /// Stop (gracefully, so the database shuts down cleanly) and remove a container.
    pub async fn remove_container(&self, id: &str) -> Result<(), DockerError> {
        let stop = StopContainerOptionsBuilder::default().t(30).build();
        match self.client.stop_container(id, Some(stop)).await {
            Ok(()) => {}
            Err(e) if matches!(status_of(&e), Some(304) | Some(404)) => {}
            Err(e) => return Err(api(format!("stopping container `{id}`"))(e)),
        }
        // `v` removes only anonymous volumes (extra paths an image declares, such as
        // mongo's /data/configdb); the named data volume is never touched by this.
        let rm = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        match self.client.remove_container(id, Some(rm)).await {
            Ok(()) => Ok(()),
            Err(e) if status_of(&e) == Some(404) => Ok(()),
            Err(e) => Err(api(format!("removing container `{id}`"))(e)),
        }
    }

    /// The labels of the container called `name`, if it exists.
    pub async fn container_labels(
        &self,
        name: &str,
    ) -> Result<Option<HashMap<String, String>>, DockerError> {
        match self.client.inspect_container(name, None).await {
            Ok(info) => Ok(Some(info.config.and_then(|c| c.labels).unwrap_or_default())),
            Err(e) if status_of(&e) == Some(404) => Ok(None),
            Err(e) => Err(api(format!("inspecting container `{name}`"))(e)),
        }
    }

    /// Ids of the networks called exactly `name` that carry `labels`, oldest first.
    pub async fn networks_named(
        &self,
        name: &str,
        labels: &HashMap<String, String>,
    ) -> Result<Vec<String>, DockerError> {
        let filter: HashMap<String, Vec<String>> =
            HashMap::from([("name".to_string(), vec![name.to_string()])]);
        let mut found: Vec<(String, String)> = self
            .client
            .list_networks(Some(
                ListNetworksOptionsBuilder::default()
                    .filters(&filter)
                    .build(),
            ))
            .await
            .map_err(api(format!("listing networks named `{name}`")))?
            .into_iter()
            .filter(|n| n.name.as_deref() == Some(name))
            .filter(|n| {
                let have = n.labels.clone().unwrap_or_default();
                labels.iter().all(|(k, v)| have.get(k) == Some(v))
            })
            .map(|n| {
                (
                    n.created.map(|c| format!("{c:?}")).unwrap_or_default(),
                    n.id.unwrap_or_default(),
                )
            })
            .collect();
        found.sort();
        Ok(found.into_iter().map(|(_, id)| id).collect())
    }

    /// Remove a network (a missing one is fine).
    pub async fn remove_network(&self, id: &str) -> Result<(), DockerError> {
        match self.client.remove_network(id).await {
            Ok(()) => Ok(()),
            Err(e) if status_of(&e) == Some(404) => Ok(()),
            Err(e) => Err(api(format!("removing network `{id}`"))(e)),
        }
    }

    /// Remove a volume (a missing one is fine).
    pub async fn remove_volume(&self, name: &str) -> Result<(), DockerError> {
        match self
            .client
            .remove_volume(name, None::<bollard::query_parameters::RemoveVolumeOptions>)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if status_of(&e) == Some(404) => Ok(()),
            Err(e) => Err(api(format!("removing volume `{name}`"))(e)),
        }
    }

    /// The container's state, exit code, published host port and restart count.
    pub async fn inspect(&self, id: &str) -> Result<ContainerStatus, DockerError> {
        let info = match self.client.inspect_container(id, None).await {
            Ok(info) => info,
            Err(e) if status_of(&e) == Some(404) => {
                return Err(DockerError::NotFound {
                    what: "container",
                    name: id.to_string(),
                });
            }
            Err(e) => return Err(api(format!("inspecting container `{id}`"))(e)),
        };
        let state = info.state.unwrap_or_default();
        let container_state = if state.restarting == Some(true) {
            ContainerState::Other("restarting".into())
        } else if state.running == Some(true) {
            ContainerState::Running
        } else {
            ContainerState::Stopped
        };
        let port = info
            .network_settings
            .and_then(|n| n.ports)
            .unwrap_or_default()
            .into_values()
            .flatten()
            .flatten()
            .find_map(|b| b.host_port.and_then(|p| p.parse().ok()));
        Ok(ContainerStatus {
            state: container_state,
            exit_code: state.exit_code,
            host_port: port,
            restarts: info.restart_count.unwrap_or(0),
        })
    }

    /// Run a command in a container and wait for it.
    pub async fn exec(&self, id: &str, spec: &ExecSpec) -> Result<ExecOutput, DockerError> {
        let options = CreateExecOptions {
            cmd: Some(spec.cmd.clone()),
            env: Some(
                spec.env
                    .iter()
                    .map(|v| format!("{}={}", v.name, v.value))
                    .collect(),
            ),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            ..Default::default()
        };
        let created = self
            .client
            .create_exec(id, options)
            .await
            .map_err(api(format!("running a command in `{id}`")))?;
        let mut output = String::new();
        if let StartExecResults::Attached {
            output: mut stream, ..
        } = self
            .client
            .start_exec(&created.id, None)
            .await
            .map_err(api(format!("running a command in `{id}`")))?
        {
            while let Some(Ok(chunk)) = stream.next().await {
                if output.len() < 64 * 1024 {
                    output.push_str(&chunk.to_string());
                }
            }
        }
        let inspect = self
            .client
            .inspect_exec(&created.id)
            .await
            .map_err(api(format!("inspecting a command in `{id}`")))?;
        Ok(ExecOutput {
            exit_code: inspect.exit_code,
            output,
        })
    }

    /// The last `lines` lines of a container's log.
    pub async fn logs_tail(&self, id: &str, lines: usize) -> Result<String, DockerError> {
        let options = LogsOptionsBuilder::default()
            .stdout(true)
            .stderr(true)
            .tail(&lines.to_string())
            .build();
        let mut stream = self.client.logs(id, Some(options));
        let mut out = String::new();
        while let Some(item) = stream.next().await {
            match item {
                Ok(chunk) => out.push_str(&chunk.to_string()),
                Err(e) => return Err(api(format!("reading logs of `{id}`"))(e)),
            }
        }
        Ok(out)
    }
}
