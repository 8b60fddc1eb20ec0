//! Applying a plan: the only provisioning code that calls Docker.
//!
//! Actions are grouped by service; groups run in parallel (bounded), actions within
//! a group in plan order. A service whose database was (re)started, or was never
//! verified for its current container, is then awaited until it accepts a real
//! query with the service's own credentials over TCP.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use futures_util::StreamExt;
use tokio::sync::{Mutex, OnceCell};

use super::desired::DesiredService;
use super::plan::{Action, Plan};
use crate::docker::{ContainerState, Docker, DockerError, Observed};
use crate::engine::image_override_var;
use crate::secrets::redact;
use crate::ui::{Event, Reporter, Stage};

/// How to apply.
#[derive(Debug, Clone)]
pub struct Options {
    /// How long each database may take to become ready.
    pub timeout: Duration,
    /// How many services are provisioned at once.
    pub parallelism: usize,
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

type ImageCells = Mutex<HashMap<String, Arc<OnceCell<Result<(), String>>>>>;

struct Ctx<'a> {
    docker: &'a Docker,
    reporter: &'a dyn Reporter,
    images: ImageCells,
    options: &'a Options,
}

fn stage(reporter: &dyn Reporter, service: &str, stage: Stage, detail: Option<String>) {
    reporter.event(Event::Stage {
        service: service.to_string(),
        stage,
        detail,
    });
}

/// Apply `plan`. `desired` lists the services `up` must leave ready (empty for
/// `down`); `verified` maps services to the container id last verified ready.
/// Returns one result per service touched, in order of completion.
pub async fn apply(
    docker: &Docker,
    plan: &Plan,
    desired: &[DesiredService],
    observed: &Observed,
    verified: &HashMap<String, String>,
    reporter: &dyn Reporter,
    options: &Options,
) -> Vec<(String, anyhow::Result<Option<Outcome>>)> {
    let ctx = Ctx {
        docker,
        reporter,
        images: Mutex::new(HashMap::new()),
        options,
    };
    // Services in the order first named: desired services, then any others (orphans).
    let mut services: Vec<String> = desired.iter().map(|d| d.service.clone()).collect();
    for a in &plan.actions {
        if !services.iter().any(|s| s == a.service()) {
            services.push(a.service().to_string());
        }
    }
    let ctx = &ctx;
    futures_util::stream::iter(services)
        .map(|service| async move {
            let actions: Vec<&Action> = plan.for_service(&service).collect();
            let wanted = desired.iter().find(|d| d.service == service);
            let result = run_service(ctx, &service, &actions, wanted, observed, verified).await;
            if let Err(e) = &result {
                ctx.reporter.event(Event::Failed {
                    service: service.clone(),
                    reason: e.to_string().lines().next().unwrap_or_default().to_string(),
                });
            }
            (service, result)
        })
        .buffer_unordered(options.parallelism.max(1))
        .collect()
        .await
}

async fn run_service(
    ctx: &Ctx<'_>,
    service: &str,
    actions: &[&Action],
    desired: Option<&DesiredService>,
    observed: &Observed,
    verified: &HashMap<String, String>,
) -> anyhow::Result<Option<Outcome>> {
    let docker = ctx.docker;
    let mut container_id = desired.and_then(|d| {
        observed
            .containers
            .iter()
            .find(|c| c.service == service && c.name == d.container.name)
            .map(|c| c.id.clone())
    });
    // The network is referred to by id: Docker does not keep names unique.
    let removed: Vec<&str> = actions
        .iter()
        .filter_map(|a| match a {
            Action::RemoveNetwork { id, .. } => Some(id.as_str()),
            _ => None,
        })
        .collect();
    let mut network_id = desired.and_then(|d| {
        observed
            .networks
            .iter()
            .find(|n| {
                n.service == service
                    && n.name == d.container.network
                    && !removed.contains(&n.id.as_str())
            })
            .map(|n| n.id.clone())
    });
    let mut started = false;
    for action in actions {
        match action {
            Action::CreateNetwork { name, .. } => {
                let d = desired.context("a network without a service")?;
                stage(
                    ctx.reporter,
                    service,
                    Stage::Creating,
                    Some(format!("network {name}")),
                );
                let labels = d.resource_labels.clone().into_iter().collect();
                let created = docker.create_network(name, &labels).await?;
                // Should a killed earlier run's create land at the same time, both
                // runs settle on the oldest network; the next `up` removes the other.
                network_id = docker
                    .networks_named(name, &labels)
                    .await?
                    .into_iter()
                    .next()
                    .or(Some(created));
            }
            Action::CreateVolume { name, .. } => {
                let d = desired.context("a volume without a service")?;
                stage(
                    ctx.reporter,
                    service,
                    Stage::Creating,
                    Some(format!("volume {name}")),
                );
                docker
                    .create_volume(name, &d.resource_labels.clone().into_iter().collect())
                    .await?;
            }
            Action::CreateContainer { .. } | Action::RecreateContainer { .. } => {
                let d = desired.context("a container without a service")?;
                ensure_image(ctx, d).await?;
                if let Action::RecreateContainer { id, .. } = action {
                    stage(
                        ctx.reporter,
                        service,
                        Stage::Removing,
                        Some("old container; volume kept".into()),
                    );
                    docker.remove_container(id).await?;
                }
                let network = network_id.clone().context("no network for the container")?;
                container_id = Some(create_and_start(ctx, d, &network).await?);
                started = true;
            }
            Action::StartContainer { id, .. } => {
                stage(ctx.reporter, service, Stage::Starting, None);
                match docker
                    .start_container(id, desired.and_then(|d| d.container.host_port))
                    .await
                {
                    Ok(()) => {}
                    // The daemon drops a container whose create request was cut off
                    // (an earlier run killed mid-create) after it was listed: make it.
                    Err(DockerError::NotFound { .. }) => {
                        let d = desired.context("a container without a service")?;
                        ensure_image(ctx, d).await?;
                        let network = network_id.clone().context("no network for the container")?;
                        container_id = Some(create_and_start(ctx, d, &network).await?);
                    }
                    Err(e) => return Err(port_hint(e, service)),
                }
                started = true;
            }
            Action::RemoveContainer { id, name, .. } => {
                stage(
                    ctx.reporter,
                    service,
                    Stage::Removing,
                    Some(format!("container {name}")),
                );
                docker.remove_container(id).await?;
            }
            Action::RemoveNetwork { id, name, .. } => {
                stage(
                    ctx.reporter,
                    service,
                    Stage::Removing,
                    Some(format!("network {name}")),
                );
                docker.remove_network(id).await?;
            }
            Action::RemoveVolume { name, .. } => {
                stage(
                    ctx.reporter,
                    service,
                    Stage::Removing,
                    Some(format!("volume {name}")),
                );
                docker.remove_volume(name).await?;
            }
        }
    }
    let Some(d) = desired else {
        stage(ctx.reporter, service, Stage::Removed, None);
        return Ok(None);
    };
    let id = container_id.context("no container after applying the plan")?;
    // Verified means: this container accepted these very credentials.
    let needs_check =
        started || verified.get(service) != Some(&crate::state::ready_mark(&id, &d.credentials));
    if needs_check {
        stage(ctx.reporter, service, Stage::Initialising, None);
        wait_ready(ctx, &id, d).await?;
    }
    // A network create still in flight from a killed earlier run may land late:
    // remove every same-named duplicate now that the container is attached. (Only
    // after a change: a no-op run skips this, and any later change repeats it.)
    if let (true, Some(keep)) = (needs_check, &network_id) {
        let labels = d.resource_labels.clone().into_iter().collect();
        for other in docker.networks_named(&d.container.network, &labels).await? {
            if &other != keep {
                docker.remove_network(&other).await?;
            }
        }
    }
    let status = docker.inspect(&id).await?;
    let port = status.host_port;
    if status.state != ContainerState::Running {
        bail!(
            "its database container `{}` is not running",
            d.container.name
        );
    }
    let host_port = port.context("the database port is not published")?;
    stage(
        ctx.reporter,
        service,
        if needs_check {
            Stage::Ready
        } else {
            Stage::UpToDate
        },
        Some(format!("127.0.0.1:{host_port}")),
    );
    Ok(Some(Outcome {
        service: service.to_string(),
        container_id: id,
        host_port,
        verified: needs_check,
    }))
}

/// Create `d`'s container on the network `network` (an id) and start it; returns
/// its id. A container that cannot start is removed again.
async fn create_and_start(
    ctx: &Ctx<'_>,
    d: &DesiredService,
    network: &str,
) -> anyhow::Result<String> {
    let docker = ctx.docker;
    stage(
        ctx.reporter,
        &d.service,
        Stage::Creating,
        Some(d.container.name.clone()),
    );
    let mut spec = d.container.clone();
    if let Some(dir) = super::desired::data_dir_for_image(
        &spec.data_dir,
        &docker.image_volumes(&spec.image).await?,
    ) {
        spec.data_dir = dir;
    }
    let id = match docker.create_container(&spec, network).await {
        Err(DockerError::Conflict { .. }) if owned(docker, d).await? => {
            // Created by an earlier run that was killed before it could record
            // it: it holds no data (that lives in the volume), so replace it with
            // one made from the current spec.
            docker.remove_container(&d.container.name).await?;
            docker.create_container(&spec, network).await?
        }
        other => other?,
    };
    stage(ctx.reporter, &d.service, Stage::Starting, None);
    if let Err(e) = docker.start_container(&id, d.container.host_port).await {
        // Leave nothing half-made: a container that cannot start is removed.
        let _ = docker.remove_container(&id).await;
        return Err(port_hint(e, &d.service));
    }
    Ok(id)
}

/// Whether the container named in `d`'s spec carries this project's and service's
/// labels. A create still in flight from a killed run holds the name before the
/// container can be inspected, so a missing container is looked for again briefly.
async fn owned(docker: &Docker, d: &DesiredService) -> anyhow::Result<bool> {
    for _ in 0..50 {
        if let Some(labels) = docker.container_labels(&d.container.name).await? {
            return Ok([crate::labels::PROJECT, crate::labels::SERVICE]
                .iter()
                .all(|k| labels.contains_key(*k) && labels.get(*k) == d.container.labels.get(*k)));
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
async fn ensure_image(ctx: &Ctx<'_>, d: &DesiredService) -> anyhow::Result<()> {
    let image = d.container.image.clone();
    let cell = {
        let mut images = ctx.images.lock().await;
        images.entry(image.clone()).or_default().clone()
    };
    let result = cell
        .get_or_init(|| async {
            match ctx.docker.image_exists(&image).await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => return Err(e.to_string()),
            }
            stage(
                ctx.reporter,
                &d.service,
                Stage::Pulling,
                Some(image.clone()),
            );
            let service = d.service.clone();
            ctx.docker
                .pull(&image, |percent| {
                    ctx.reporter.event(Event::Progress {
                        service: service.clone(),
                        percent,
                    })
                })
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

/// Wait until the database accepts the service's own credentials over TCP.
async fn wait_ready(ctx: &Ctx<'_>, id: &str, d: &DesiredService) -> anyhow::Result<()> {
    let spec = d.engine.spec();
    let dbctx = d.context();
    let bootstrap = spec.bootstrap(&dbctx);
    let probe = spec.probe(&dbctx);
    let secrets = d.credentials.secrets();
    let deadline = Instant::now() + ctx.options.timeout;
    let mut bootstrapped = bootstrap.is_none();
    let mut delay = Duration::from_millis(100);
    let mut last_error: Option<String> = None;
    let restarts_before = ctx.docker.inspect(id).await?.restarts;
    loop {
        let status = ctx.docker.inspect(id).await?;
        let (state, exit_code) = (status.state, status.exit_code);
        // The restart policy would hide a crash loop: a restart while we wait for the
        // first readiness is a failed start-up.
        if state == ContainerState::Stopped || status.restarts > restarts_before {
            let logs = ctx.docker.logs_tail(id, 20).await.unwrap_or_default();
            bail!(
                "its database container `{}` exited during start-up (exit code {})\n  last log lines:\n{}",
                d.container.name,
                exit_code.map_or_else(|| "unknown".into(), |c| c.to_string()),
                indent(&redact(&logs, &secrets))
            );
        }
        // Until the server answers on its published port, a `docker exec` probe
        // (costly on a busy machine) cannot succeed: poll the cheap wire check first.
        if let (false, Some(hello), Some(port)) =
            (bootstrapped, spec.wire_hello(), status.host_port)
            && state == ContainerState::Running
            && !answers(port, hello).await
        {
            if Instant::now() >= deadline {
                last_error = Some(format!("nothing answers on 127.0.0.1:{port}"));
            } else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        }
        // While the container restarts (an image's first-run initialisation may do
        // that), commands cannot run in it: keep waiting until the deadline.
        if state == ContainerState::Running {
            if let (false, Some(b)) = (bootstrapped, &bootstrap) {
                // Set-up and probe in one `docker exec` where the engine allows.
                if let Some(both) = b.and_then(&probe) {
                    match ctx.docker.exec(id, &both).await {
                        Ok(out) if out.exit_code == Some(0) => return Ok(()),
                        Ok(_) => {}
                        Err(e) => last_error = Some(e.to_string()),
                    }
                } else {
                    match ctx.docker.exec(id, b).await {
                        Ok(out) => bootstrapped = out.exit_code == Some(0),
                        Err(e) => last_error = Some(e.to_string()),
                    }
                }
            }
            if bootstrapped {
                match ctx.docker.exec(id, &probe).await {
                    Ok(out) if out.exit_code == Some(0) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => last_error = Some(e.to_string()),
                }
            }
        }
        if Instant::now() >= deadline {
            let logs = ctx.docker.logs_tail(id, 20).await.unwrap_or_default();
            bail!(
                "its database did not accept the service's credentials within {} s ({}{})\n  last log lines:\n{}",
                ctx.options.timeout.as_secs(),
                if bootstrapped {
                    "set-up done, probe failing"
                } else {
                    "set-up not yet possible"
                },
                last_error
                    .map(|e| format!("; last error: {e}"))
                    .unwrap_or_default(),
                indent(&redact(&logs, &secrets))
            );
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 3 / 2).min(Duration::from_millis(750));
    }
}

/// Whether a server on 127.0.0.1:`port` answers `hello` with at least one byte.
/// (Docker's port proxy accepts connections even when nothing listens behind it,
/// so a bare connect proves nothing; an answer does.)
async fn answers(port: u16, hello: &[u8]) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        if !hello.is_empty() {
            stream.write_all(hello).await.ok()?;
        }
        let mut byte = [0u8; 1];
        (stream.read(&mut byte).await.ok()? == 1).then_some(())
    };
    matches!(
        tokio::time::timeout(Duration::from_millis(500), attempt).await,
        Ok(Some(()))
    )
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("    {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
