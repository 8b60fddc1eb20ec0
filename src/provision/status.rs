//! Status: the desired state held against what Docker has, one row per service
//! (engine, container, state, health, port, drift), orphans included. The
//! comparison is pure ([`compare`]); [`status`] adds what only the engine can tell
//! (a real query with each service's own credentials). Printing is the caller's.

use futures_util::future::join_all;
use serde::Serialize;

use super::container::spec_hash;
use super::desired::Desired;
use super::ready;
use crate::docker::{ContainerState, Docker, DockerError, Observed};

/// One service's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusRow {
    /// Service name.
    pub service: String,
    /// Engine name (`-` when only a volume is left).
    pub engine: String,
    /// The database container's name, if there is one.
    pub container: Option<String>,
    /// Run state (`running`, `stopped`, `absent`, `volume only`, …).
    pub state: String,
    /// Whether it accepts the service's credentials.
    pub health: Health,
    /// The host port it is published on (127.0.0.1).
    pub host_port: Option<u16>,
    /// How it differs from the desired state (`missing`, `spec changed`, `orphan`, …).
    pub drift: Vec<&'static str>,
}

/// The result of the readiness probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Health {
    /// The probe passed.
    #[serde(rename = "ready")]
    Ready,
    /// The probe ran and failed.
    #[serde(rename = "failing")]
    Failing,
    /// The probe could not run.
    #[serde(rename = "unknown")]
    Unknown,
    /// Not probed (no running container, or not a desired service).
    #[serde(rename = "-")]
    NotChecked,
}

impl std::fmt::Display for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Health::Ready => "ready",
            Health::Failing => "failing",
            Health::Unknown => "unknown",
            Health::NotChecked => "-",
        })
    }
}

/// The project's status: [`compare`] what Docker holds with `desired`, then probe
/// every running desired database, all at once.
pub async fn status(docker: &Docker, desired: &Desired) -> Result<Vec<StatusRow>, DockerError> {
    let observed = docker.observe(&desired.project).await?;
    let mut rows = compare(desired, &observed);
    let probes = desired.services.iter().map(|d| {
        let running = observed
            .containers
            .iter()
            .find(|c| c.service == d.name && c.name == d.container)
            .filter(|c| c.state == ContainerState::Running);
        async move {
            match running {
                Some(c) => match ready::check(docker, &c.id, d).await {
                    Ok(true) => Health::Ready,
                    Ok(false) => Health::Failing,
                    Err(_) => Health::Unknown,
                },
                None => Health::NotChecked,
            }
        }
    });
    // Desired services' rows come first, in the same order.
    for (row, health) in rows.iter_mut().zip(join_all(probes).await) {
        row.health = health;
    }
    Ok(rows)
}

/// One row per desired service (in order, health not yet checked), then one per
/// orphan: a container, or a volume left alone, of a service no longer desired.
pub fn compare(desired: &Desired, observed: &Observed) -> Vec<StatusRow> {
    let mut rows: Vec<StatusRow> = desired
        .services
        .iter()
        .map(|d| {
            let c = observed
                .containers
                .iter()
                .find(|c| c.service == d.name && c.name == d.container);
            let mut drift = Vec::new();
            match c {
                None => drift.push("missing"),
                Some(c) => {
                    if c.state != ContainerState::Running {
                        drift.push("stopped");
                    }
                    if c.spec_hash.as_deref() != Some(spec_hash(d).as_str()) {
                        drift.push("spec changed");
                    }
                }
            }
            if !observed.networks.iter().any(|n| n.name == d.network.name) {
                drift.push("network missing");
            }
            if !observed.volumes.iter().any(|v| v.name == d.volume.name) {
                drift.push("volume missing");
            }
            StatusRow {
                service: d.name.clone(),
                engine: d.engine.name().to_string(),
                container: c.map(|c| c.name.clone()),
                state: c.map_or_else(|| "absent".to_string(), |c| c.state.to_string()),
                health: Health::NotChecked,
                host_port: c.and_then(|c| c.host_port),
                drift,
            }
        })
        .collect();
    rows.extend(orphans(desired, observed));
    rows
}

fn orphans(desired: &Desired, observed: &Observed) -> Vec<StatusRow> {
    let mut rows: Vec<StatusRow> = observed
        .containers
        .iter()
        .filter(|c| !desired.contains(&c.service))
        .map(|c| StatusRow {
            service: c.service.clone(),
            engine: c.engine.clone(),
            container: Some(c.name.clone()),
            state: c.state.to_string(),
            health: Health::NotChecked,
            host_port: c.host_port,
            drift: vec!["orphan"],
        })
        .collect();
    for v in observed
        .volumes
        .iter()
        .filter(|v| !desired.contains(&v.service))
    {
        if !rows.iter().any(|r| r.service == v.service) {
            rows.push(StatusRow {
                service: v.service.clone(),
                engine: "-".into(),
                container: None,
                state: "volume only".into(),
                health: Health::NotChecked,
                host_port: None,
                drift: vec!["orphan"],
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::ObservedVolume;
    use crate::provision::testing::{converged, fixture};

    const TWO: &str = "project: p\nservices:\n  a:\n    database: {engine: postgres}\n  b:\n    database: {engine: redis}\n";

    fn drift(rows: &[StatusRow]) -> Vec<(&str, Vec<&str>)> {
        rows.iter()
            .map(|r| (r.service.as_str(), r.drift.clone()))
            .collect()
    }

    #[test]
    fn a_converged_project_shows_no_drift() {
        let d = fixture(TWO);
        let rows = compare(&d, &converged(&d));
        assert_eq!(drift(&rows), [("a", vec![]), ("b", vec![])]);
        assert_eq!(rows[0].state, "running");
        assert_eq!(rows[0].container.as_deref(), Some("p-a-db"));
        assert_eq!(rows[0].host_port, Some(40000));
        assert_eq!(rows[1].engine, "redis");
    }

    #[test]
    fn nothing_there_is_missing_everywhere() {
        let rows = compare(&fixture(TWO), &Observed::default());
        assert_eq!(rows[0].state, "absent");
        assert_eq!(
            rows[0].drift,
            ["missing", "network missing", "volume missing"]
        );
    }

    #[test]
    fn stopped_and_changed_containers_are_drift() {
        let d = fixture(TWO);
        let mut o = converged(&d);
        o.containers[0].state = ContainerState::Stopped;
        o.containers[1].spec_hash = Some("0000".into());
        let rows = compare(&d, &o);
        assert_eq!(
            drift(&rows),
            [("a", vec!["stopped"]), ("b", vec!["spec changed"])]
        );
        assert_eq!(rows[0].state, "stopped");
    }

    #[test]
    fn orphans_follow_the_desired_services() {
        let all = fixture(TWO);
        let mut o = converged(&all);
        o.volumes.push(ObservedVolume {
            name: "p-gone-data".into(),
            service: "gone".into(),
        });
        let only_b = fixture("project: p\nservices:\n  b:\n    database: {engine: redis}\n");
        let rows = compare(&only_b, &o);
        assert_eq!(
            drift(&rows),
            [
                ("b", vec![]),
                ("a", vec!["orphan"]),
                ("gone", vec!["orphan"])
            ]
        );
        assert_eq!(rows[1].engine, "postgres");
        assert_eq!(rows[2].state, "volume only");
        assert_eq!(rows[2].engine, "-");
    }

    #[test]
    fn rows_serialise_as_before() {
        let d = fixture(TWO);
        let mut rows = compare(&d, &converged(&d));
        rows[0].health = Health::Ready;
        let json = serde_json::to_value(&rows).unwrap();
        assert_eq!(json[0]["health"], "ready");
        assert_eq!(json[1]["health"], "-");
        assert_eq!(json[0]["drift"], serde_json::json!([]));
        assert_eq!(json[0]["host_port"], 40000);
        assert_eq!(json[0]["container"], "p-a-db");
    }
}
