//! Applying a plan: the only provisioning code that calls Docker.
//!
//! Actions are grouped by service; groups run in parallel (bounded), actions within
//! a group in plan order. A service whose database was (re)started, or was never
//! verified for its current container, is then awaited until it accepts a real
//! query with the service's own credentials over TCP.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures_util::StreamExt;
use tokio::sync::{Mutex, OnceCell};

use super::container::{container_spec, data_dir_for_image};
use super::desired::{Desired, ServiceSpec};
use super::plan::{Action, Plan};
use super::ready::wait_ready;
use crate::docker::{ContainerState, Docker, DockerError, Observed};
use crate::engine::image_override_var;
use crate::labels;
use crate::ui::{Event, Reporter, Stage};

/// How to apply.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long each database may take to become ready.
    pub timeout: Duration,
    /// How many services are provisioned at once.
    pub parallelism: usize,
}

/// Everything [`apply`] works with besides the plan.
pub struct ApplyContext<'a> {
    /// The engine.
    pub docker: &'a Docker,
    /// The services to leave ready ([`Desired::empty`] for `down`).
    pub desired: &'a Desired,
    /// What Docker held when the plan was made.
    pub observed: &'a Observed,
    /// Service → mark of the container last verified ready ([`crate::state::verified`]).
    pub verified: &'a HashMap<String, String>,
    /// Where progress goes.
    pub reporter: &'a dyn Reporter,
    /// Timeout and parallelism.
    pub options: Options,
}

/// What `up` produced for one service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Service name.
    pub service: String,
    /// Its container id.
    pub container_id: String,
    /// The host port its database answers on (127.0.0.1).
    pub host_port: u16,
    /// Whether readiness was verified in this run.
    pub verified: bool,
}

/// Image → whether it is present (looked for, and pulled, once per run however
/// many services use it).
type ImageCells = Mutex<HashMap<String, Arc<OnceCell<Result<(), String>>>>>;

/// One apply run: the context and the images already made sure of.
struct Run<'a> {
    cx: &'a ApplyContext<'a>,
    images: ImageCells,
}

impl Run<'_> {
    fn stage(&self, service: &str, stage: Stage, detail: Option<String>) {
        self.cx.reporter.event(Event::Stage {
            service: service.to_string(),
            stage,
            detail,
        });
    }
}

/// Apply `plan` in `cx`. Returns one result per service touched, in order of
/// completion: `Some` outcome for each desired service, `None` for one removed.
pub async fn apply(
    plan: &Plan,
    cx: &ApplyContext<'_>,
) -> Vec<(String, anyhow::Result<Option<Outcome>>)> {
    let run = Run {
        cx,
        images: Mutex::new(HashMap::new()),
    };
    let run = &run;
    futures_util::stream::iter(services_in_order(plan, cx.desired))
        .map(|service| async move {
            let result = run_service(run, &service, plan).await;
            if let Err(e) = &result {
                run.cx.reporter.event(Event::Failed {
                    service: service.clone(),
                    reason: e.to_string().lines().next().unwrap_or_default().to_string(),
                });
            }
            (service, result)
        })
        .buffer_unordered(cx.options.parallelism.max(1))
        .collect()
        .await
}

/// Services in the order first named: desired services, then any others (orphans).
fn services_in_order(plan: &Plan, desired: &Desired) -> Vec<String> {
    let mut services = desired.names();
    for a in &plan.actions {
        if !services.iter().any(|s| s == a.service()) {
            services.push(a.service().to_string());
        }
    }
    services
}

async fn run_service(run: &Run<'_>, service: &str, plan: &Plan) -> anyhow::Result<Option<Outcome>> {
    let actions: Vec<&Action> = plan.for_service(service).collect();
    let mut state = ServiceRun::new(run, service, &actions);
    for action in actions {
        state.step(action).await?;
    }
    match state.spec {
        Some(spec) => state.finish(spec).await.map(Some),
        None => {
            run.stage(service, Stage::Removed, None);
            Ok(None)
        }
    }
}

/// One service's way through its actions: which container and network it has.
struct ServiceRun<'r> {
    run: &'r Run<'r>,
    service: &'r str,
    spec: Option<&'r ServiceSpec>,
    container_id: Option<String>,
    /// Referred to by id: Docker does not keep network names unique.
    network_id: Option<String>,
    started: bool,
}

impl<'r> ServiceRun<'r> {
    /// Start from what was observed, minus the networks the plan removes.
    fn new(run: &'r Run<'r>, service: &'r str, actions: &[&Action]) -> Self {
        let spec = run.cx.desired.service(service);
        let observed = run.cx.observed;
        let container_id = spec.and_then(|d| {
            observed
                .containers
                .iter()
                .find(|c| c.service == service && c.name == d.container)
                .map(|c| c.id.clone())
        });
        let removed: Vec<&str> = actions
            .iter()
            .filter_map(|a| match a {
                Action::RemoveNetwork { id, .. } => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let network_id = spec.and_then(|d| {
            observed
                .networks
                .iter()
                .find(|n| {
                    n.service == service
                        && n.name == d.network.name
                        && !removed.contains(&n.id.as_str())
                })
                .map(|n| n.id.clone())
        });
        ServiceRun {
            run,
            service,
            spec,
            container_id,
            network_id,
            started: false,
        }
    }

    fn docker(&self) -> &'r Docker {
        self.run.cx.docker
    }

    fn stage(&self, stage: Stage, detail: Option<String>) {
        self.run.stage(self.service, stage, detail);
    }

    fn desired(&self, what: &str) -> anyhow::Result<&'r ServiceSpec> {
        self.spec
            .with_context(|| format!("a {what} without a service"))
    }

    async fn step(&mut self, action: &Action) -> anyhow::Result<()> {
        let docker = self.docker();
        match action {
            Action::CreateNetwork { name, .. } => self.create_network(name).await?,
            Action::CreateVolume { name, .. } => {
                let d = self.desired("volume")?;
                self.stage(Stage::Creating, Some(format!("volume {name}")));
                docker.create_volume(name, &label_map(d)).await?;
            }
            Action::CreateContainer { .. } => self.replace_container(None).await?,
            Action::RecreateContainer { id, .. } => self.replace_container(Some(id)).await?,
            Action::StartContainer { id, .. } => self.start_container(id).await?,
            Action::RemoveContainer { id, name, .. } => {
                self.stage(Stage::Removing, Some(format!("container {name}")));
                docker.remove_container(id).await?;
            }
            Action::RemoveNetwork { id, name, .. } => {
                self.stage(Stage::Removing, Some(format!("network {name}")));
                docker.remove_network(id).await?;
            }
            Action::RemoveVolume { name, .. } => {
                self.stage(Stage::Removing, Some(format!("volume {name}")));
                docker.remove_volume(name).await?;
            }
        }
        Ok(())
    }

    async fn create_network(&mut self, name: &str) -> anyhow::Result<()> {
        let d = self.desired("network")?;
        self.stage(Stage::Creating, Some(format!("network {name}")));
        let labels = label_map(d);
        let created = self.docker().create_network(name, &labels).await?;
        // Should a killed earlier run's create land at the same time, both runs
        // settle on the oldest network; the next `up` removes the other.
        self.network_id = self
            .docker()
            .networks_named(name, &labels)
            .await?
            .into_iter()
            .next()
            .or(Some(created));
        Ok(())
    }

    /// Create the container, removing the one with id `old` first (volume kept).
    async fn replace_container(&mut self, old: Option<&str>) -> anyhow::Result<()> {
        let d = self.desired("container")?;
        ensure_image(self.run, d).await?;
        if let Some(id) = old {
            self.stage(Stage::Removing, Some("old container; volume kept".into()));
            self.docker().remove_container(id).await?;
        }
        self.container_id = Some(self.create_and_start(d).await?);
        self.started = true;
        Ok(())
    }

    async fn start_container(&mut self, id: &str) -> anyhow::Result<()> {
        self.stage(Stage::Starting, None);
        let host_port = self.spec.and_then(|d| d.ports.host);
        match self.docker().start_container(id, host_port).await {
            Ok(()) => {}
            // The daemon drops a container whose create request was cut off (an
            // earlier run killed mid-create) after it was listed: make it afresh.
            Err(DockerError::NotFound { .. }) => {
                let d = self.desired("container")?;
                ensure_image(self.run, d).await?;
                self.container_id = Some(self.create_and_start(d).await?);
            }
            Err(e) => return Err(port_hint(e, self.service)),
        }
        self.started = true;
        Ok(())
    }

    /// Create `d`'s container on the service's network and start it; returns its
    /// id. A container that cannot start is removed again.
    async fn create_and_start(&self, d: &ServiceSpec) -> anyhow::Result<String> {
        let network = self
            .network_id
            .clone()
            .context("no network for the container")?;
        let docker = self.docker();
        self.stage(Stage::Creating, Some(d.container.clone()));
        let mut spec = container_spec(d);
        if let Some(dir) =
            data_dir_for_image(&spec.data_dir, &docker.image_volumes(&spec.image).await?)
        {
            spec.data_dir = dir;
        }
        let id = match docker.create_container(&spec, &network).await {
            Err(DockerError::Conflict { .. }) if owned(docker, d).await? => {
                // Created by an earlier run that was killed before it could record
                // it: it holds no data (that lives in the volume), so replace it with
                // one made from the current spec.
                docker.remove_container(&d.container).await?;
                docker.create_container(&spec, &network).await?
            }
            other => other?,
        };
        self.stage(Stage::Starting, None);
        if let Err(e) = docker.start_container(&id, d.ports.host).await {
            // Leave nothing half-made: a container that cannot start is removed.
            let _ = docker.remove_container(&id).await;
            return Err(port_hint(e, &d.name));
        }
        Ok(id)
    }

    /// After the actions: make sure the database accepts the service's credentials
    /// (unless this very container already did), and report where it answers.
    async fn finish(&self, d: &ServiceSpec) -> anyhow::Result<Outcome> {
        let docker = self.docker();
        let id = self
            .container_id
            .clone()
            .context("no container after applying the plan")?;
        // Verified means: this container accepted these very credentials.
        let mark = crate::state::ready_mark(&id, &d.credentials);
        let needs_check = self.started || self.run.cx.verified.get(self.service) != Some(&mark);
        if needs_check {
            self.stage(Stage::Initialising, None);
            wait_ready(docker, &id, d, self.run.cx.options.timeout).await?;
            // A network create still in flight from a killed earlier run may land
            // late: remove every same-named duplicate now that the container is
            // attached. (Only after a change: a no-op run skips this, and any later
            // change repeats it.)
            if let Some(keep) = &self.network_id {
                remove_duplicate_networks(docker, d, keep).await?;
            }
        }
        let host_port = published_port(docker, &id, d).await?;
        let stage = if needs_check {
            Stage::Ready
        } else {
            Stage::UpToDate
        };
        self.stage(stage, Some(format!("127.0.0.1:{host_port}")));
        Ok(Outcome {
            service: self.service.to_string(),
            container_id: id,
            host_port,
            verified: needs_check,
        })
    }
}

/// The identity labels of `d`'s network and volume.
fn label_map(d: &ServiceSpec) -> HashMap<String, String> {
    d.labels.clone().into_iter().collect()
}

async fn remove_duplicate_networks(
    docker: &Docker,
    d: &ServiceSpec,
    keep: &str,
) -> anyhow::Result<()> {
    for other in docker
        .networks_named(&d.network.name, &label_map(d))
        .await?
    {
        if other != keep {
            docker.remove_network(&other).await?;
        }
    }
    Ok(())
}

/// The host port of the running container `id`.
async fn published_port(docker: &Docker, id: &str, d: &ServiceSpec) -> anyhow::Result<u16> {
    let status = docker.inspect(id).await?;
    if status.state != ContainerState::Running {
        bail!("its database container `{}` is not running", d.container);
    }
    status
        .host_port
        .context("the database port is not published")
}

/// Whether the container named in `d` carries this project's and service's labels.
/// A create still in flight from a killed run holds the name before the container
/// can be inspected, so a missing container is looked for again briefly.
async fn owned(docker: &Docker, d: &ServiceSpec) -> anyhow::Result<bool> {
    for _ in 0..50 {
        if let Some(found) = docker.container_labels(&d.container).await? {
            return Ok([labels::PROJECT, labels::SERVICE]
                .iter()
                .all(|k| found.contains_key(*k) && found.get(*k) == d.labels.get(*k)));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(false)
}

fn port_hint(err: DockerError, service: &str) -> anyhow::Error {
    match err {
        DockerError::PortTaken { .. } => anyhow!(err).context(format!(
            "starting the database of `{service}`\n  = help: free the port, change `services.{service}.database.port`, or remove it to let Docker pick a free one"
        )),
        other => anyhow!(other),
    }
}

/// Make sure the image is present, pulling it once per run (shared between services).
async fn ensure_image(run: &Run<'_>, d: &ServiceSpec) -> anyhow::Result<()> {
    let image = d.image.clone();
    let cell = {
        let mut images = run.images.lock().await;
        images.entry(image.clone()).or_default().clone()
    };
    let docker = run.cx.docker;
    let result = cell
        .get_or_init(|| async {
            match docker.image_exists(&image).await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => return Err(e.to_string()),
            }
            run.stage(&d.name, Stage::Pulling, Some(image.clone()));
            let progress = |percent| {
                run.cx.reporter.event(Event::Progress {
                    service: d.name.clone(),
                    percent,
                })
            };
            docker
                .pull(&image, progress)
                .await
                .map_err(|e| e.to_string())
        })
        .await;
    result.clone().map_err(|reason| {
        anyhow!(
            "{reason}\n  = help: set `image:` for this service in the manifest, or `{}=IMAGE` for the whole project, to use an image that is present (e.g. one built by scripts/build-test-images.sh)",
            image_override_var(d.engine)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::plan::plan_up;
    use crate::provision::testing::{converged, fixture};

    const THREE: &str = "project: p\nservices:\n  a:\n    database: {engine: postgres}\n  b:\n    database: {engine: redis}\n  c:\n    database: {engine: mariadb}\n";

    #[test]
    fn desired_services_come_first_then_orphans() {
        let all = fixture(THREE);
        let only_b = fixture("project: p\nservices:\n  b:\n    database: {engine: redis}\n");
        let plan = plan_up(&only_b, &converged(&all), true);
        assert_eq!(services_in_order(&plan, &only_b), ["b", "a", "c"]);
        let down = Plan {
            actions: plan.actions.clone(),
        };
        assert_eq!(services_in_order(&down, &Desired::empty("p")), ["a", "c"]);
    }
}
