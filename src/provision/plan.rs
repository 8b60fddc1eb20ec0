//! Planning: a pure diff of desired against observed state into ordered actions.
//! Most provisioning behaviour is tested here, in milliseconds, without Docker.

use std::fmt;

use serde::Serialize;

use super::container::spec_hash;
use super::desired::Desired;
use crate::docker::{ContainerState, Observed};

/// Why a container is recreated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Drift {
    /// The spec hash differs (image, version, port, command…).
    SpecChanged,
}

/// One step of a plan. Carries names only, never secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Action {
    /// Create the service's private network.
    CreateNetwork {
        /// Service.
        service: String,
        /// Network name.
        name: String,
    },
    /// Create the service's data volume.
    CreateVolume {
        /// Service.
        service: String,
        /// Volume name.
        name: String,
    },
    /// Create and start the database container.
    CreateContainer {
        /// Service.
        service: String,
        /// Container name.
        name: String,
        /// Image.
        image: String,
    },
    /// Start a stopped container.
    StartContainer {
        /// Service.
        service: String,
        /// Container name.
        name: String,
        /// Container id.
        id: String,
    },
    /// Replace a container whose spec changed, keeping its volume.
    RecreateContainer {
        /// Service.
        service: String,
        /// Container name.
        name: String,
        /// Old container id.
        id: String,
        /// Image of the new container.
        image: String,
        /// Why.
        reason: Drift,
    },
    /// Remove a container (orphan, or `down`).
    RemoveContainer {
        /// Service.
        service: String,
        /// Container name.
        name: String,
        /// Container id.
        id: String,
    },
    /// Remove a network.
    RemoveNetwork {
        /// Service.
        service: String,
        /// Network name.
        name: String,
        /// Network id.
        id: String,
    },
    /// Delete a volume and its data.
    RemoveVolume {
        /// Service.
        service: String,
        /// Volume name.
        name: String,
    },
}

impl Action {
    /// The service the action is for.
    pub fn service(&self) -> &str {
        match self {
            Action::CreateNetwork { service, .. }
            | Action::CreateVolume { service, .. }
            | Action::CreateContainer { service, .. }
            | Action::StartContainer { service, .. }
            | Action::RecreateContainer { service, .. }
            | Action::RemoveContainer { service, .. }
            | Action::RemoveNetwork { service, .. }
            | Action::RemoveVolume { service, .. } => service,
        }
    }

    /// Whether the action (re)starts a database, so readiness must be awaited.
    pub fn starts_database(&self) -> bool {
        matches!(
            self,
            Action::CreateContainer { .. }
                | Action::StartContainer { .. }
                | Action::RecreateContainer { .. }
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::CreateNetwork { service, name } => {
                write!(f, "{service}: create network {name}")
            }
            Action::CreateVolume { service, name } => write!(f, "{service}: create volume {name}"),
            Action::CreateContainer {
                service,
                name,
                image,
            } => {
                write!(f, "{service}: create container {name} ({image})")
            }
            Action::StartContainer { service, name, .. } => {
                write!(f, "{service}: start container {name}")
            }
            Action::RecreateContainer {
                service,
                name,
                image,
                ..
            } => {
                write!(
                    f,
                    "{service}: recreate container {name} ({image}; spec changed, volume kept)"
                )
            }
            Action::RemoveContainer { service, name, .. } => {
                write!(f, "{service}: remove container {name}")
            }
            Action::RemoveNetwork { service, name, .. } => {
                write!(f, "{service}: remove network {name}")
            }
            Action::RemoveVolume { service, name } => {
                write!(f, "{service}: remove volume {name} (deletes its data)")
            }
        }
    }
}

/// An ordered list of actions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Actions in the order they are applied (per service; services run in parallel).
    pub actions: Vec<Action>,
}

impl Plan {
    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty()
    }

    /// The actions of one service, in order.
    pub fn for_service<'a>(&'a self, service: &'a str) -> impl Iterator<Item = &'a Action> {
        self.actions.iter().filter(move |a| a.service() == service)
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.actions.is_empty() {
            return writeln!(f, "nothing to do: every database is as the manifest says");
        }
        for a in &self.actions {
            writeln!(f, "  {a}")?;
        }
        write!(
            f,
            "{} action{}",
            self.actions.len(),
            if self.actions.len() == 1 { "" } else { "s" }
        )?;
        writeln!(f)
    }
}

/// Plan `up` for `desired`. With `prune`, containers and networks of services no
/// longer in the manifest are removed (their volumes are kept: data is never
/// deleted by `up`).
pub fn plan_up(desired: &Desired, observed: &Observed, prune: bool) -> Plan {
    let mut actions = Vec::new();
    for d in &desired.services {
        let networks: Vec<_> = observed
            .networks
            .iter()
            .filter(|n| n.service == d.name && n.name == d.network.name)
            .collect();
        if networks.is_empty() {
            actions.push(Action::CreateNetwork {
                service: d.name.clone(),
                name: d.network.name.clone(),
            });
        }
        // Docker allows two networks of one name (e.g. a create still in flight when
        // an earlier run was killed): keep the one the container uses, drop the rest.
        if networks.len() > 1 {
            let keep = observed
                .containers_of(&d.name)
                .flat_map(|oc| oc.networks.iter())
                .find_map(|id| networks.iter().position(|n| &n.id == id))
                .unwrap_or(0);
            for (_, n) in networks.iter().enumerate().filter(|(i, _)| *i != keep) {
                actions.push(Action::RemoveNetwork {
                    service: d.name.clone(),
                    name: n.name.clone(),
                    id: n.id.clone(),
                });
            }
        }
        if !observed
            .volumes
            .iter()
            .any(|v| v.service == d.name && v.name == d.volume.name)
        {
            actions.push(Action::CreateVolume {
                service: d.name.clone(),
                name: d.volume.name.clone(),
            });
        }
        let hash = spec_hash(d);
        let mut found = false;
        for oc in observed.containers_of(&d.name) {
            if oc.name != d.container || found {
                // A labelled container under another name (e.g. an older naming) is
                // a leftover: remove it so exactly one database serves the service.
                actions.push(Action::RemoveContainer {
                    service: d.name.clone(),
                    name: oc.name.clone(),
                    id: oc.id.clone(),
                });
                continue;
            }
            found = true;
            if oc.spec_hash.as_deref() != Some(hash.as_str()) {
                actions.push(Action::RecreateContainer {
                    service: d.name.clone(),
                    name: d.container.clone(),
                    id: oc.id.clone(),
                    image: d.image.clone(),
                    reason: Drift::SpecChanged,
                });
            } else if oc.state != ContainerState::Running {
                actions.push(Action::StartContainer {
                    service: d.name.clone(),
                    name: d.container.clone(),
                    id: oc.id.clone(),
                });
            }
        }
        if !found {
            actions.push(Action::CreateContainer {
                service: d.name.clone(),
                name: d.container.clone(),
                image: d.image.clone(),
            });
        }
    }
    if prune {
        let known = |s: &str| desired.contains(s);
        for oc in observed.containers.iter().filter(|c| !known(&c.service)) {
            actions.push(Action::RemoveContainer {
                service: oc.service.clone(),
                name: oc.name.clone(),
                id: oc.id.clone(),
            });
        }
        for n in observed.networks.iter().filter(|n| !known(&n.service)) {
            actions.push(Action::RemoveNetwork {
                service: n.service.clone(),
                name: n.name.clone(),
                id: n.id.clone(),
            });
        }
    }
    Plan { actions }
}

/// Plan `down`: remove the containers and networks of `services` (all when empty),
/// and their volumes when `volumes`.
pub fn plan_down(observed: &Observed, services: &[String], volumes: bool) -> Plan {
    let wanted = |s: &str| services.is_empty() || services.iter().any(|x| x == s);
    let mut actions = Vec::new();
    for c in observed.containers.iter().filter(|c| wanted(&c.service)) {
        actions.push(Action::RemoveContainer {
            service: c.service.clone(),
            name: c.name.clone(),
            id: c.id.clone(),
        });
    }
    for n in observed.networks.iter().filter(|n| wanted(&n.service)) {
        actions.push(Action::RemoveNetwork {
            service: n.service.clone(),
            name: n.name.clone(),
            id: n.id.clone(),
        });
    }
    if volumes {
        for v in observed.volumes.iter().filter(|v| wanted(&v.service)) {
            actions.push(Action::RemoveVolume {
                service: v.service.clone(),
                name: v.name.clone(),
            });
        }
    }
    Plan { actions }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::ObservedNetwork;
    use crate::provision::testing::{converged, fixture as desired};

    const TWO: &str = "project: p\nservices:\n  a:\n    database: {engine: postgres}\n  b:\n    database: {engine: redis}\n";

    #[test]
    fn fresh_project_creates_everything_in_order() {
        let plan = plan_up(&desired(TWO), &Observed::default(), true);
        let text: Vec<String> = plan.actions.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "a: create network p-a-net",
                "a: create volume p-a-data",
                "a: create container p-a-db (postgres:16)",
                "b: create network p-b-net",
                "b: create volume p-b-data",
                "b: create container p-b-db (redis:7)",
            ]
        );
    }

    #[test]
    fn converged_state_plans_nothing() {
        let d = desired(TWO);
        assert!(plan_up(&d, &converged(&d), true).is_empty());
    }

    #[test]
    fn a_stopped_container_is_started_not_recreated() {
        let d = desired(TWO);
        let mut o = converged(&d);
        o.containers[1].state = ContainerState::Stopped;
        let plan = plan_up(&d, &o, true);
        assert_eq!(
            plan.actions,
            vec![Action::StartContainer {
                service: "b".into(),
                name: "p-b-db".into(),
                id: "c-b".into()
            }]
        );
    }

    #[test]
    fn a_changed_spec_recreates_only_that_container() {
        let before = desired(TWO);
        let o = converged(&before);
        let after =
            desired(&TWO.replace("{engine: postgres}", "{engine: postgres, version: \"17\"}"));
        let plan = plan_up(&after, &o, true);
        assert_eq!(plan.actions.len(), 1);
        assert!(
            matches!(&plan.actions[0], Action::RecreateContainer { service, image, .. } if service == "a" && image == "postgres:17")
        );
    }

    #[test]
    fn orphans_lose_container_and_network_but_keep_their_volume() {
        let d = desired(TWO);
        let o = converged(&d);
        let only_a = desired("project: p\nservices:\n  a:\n    database: {engine: postgres}\n");
        let plan = plan_up(&only_a, &o, true);
        assert_eq!(
            plan.actions,
            vec![
                Action::RemoveContainer {
                    service: "b".into(),
                    name: "p-b-db".into(),
                    id: "c-b".into()
                },
                Action::RemoveNetwork {
                    service: "b".into(),
                    name: "p-b-net".into(),
                    id: "n-b".into()
                },
            ]
        );
        assert!(plan_up(&only_a, &o, false).is_empty());
    }

    #[test]
    fn partial_state_after_a_crash_converges() {
        // Killed after creating a's network and volume.
        let d = desired(TWO);
        let mut o = converged(&d);
        o.containers.clear();
        o.networks.retain(|n| n.service == "a");
        o.volumes.retain(|v| v.service == "a");
        let plan = plan_up(&d, &o, true);
        let text: Vec<String> = plan.actions.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "a: create container p-a-db (postgres:16)",
                "b: create network p-b-net",
                "b: create volume p-b-data",
                "b: create container p-b-db (redis:7)",
            ]
        );
    }

    #[test]
    fn duplicate_networks_keep_the_attached_one() {
        let d = desired(TWO);
        let mut o = converged(&d);
        o.networks.insert(
            0,
            ObservedNetwork {
                id: "n-dup".into(),
                name: "p-a-net".into(),
                service: "a".into(),
            },
        );
        let plan = plan_up(&d, &o, true);
        assert_eq!(
            plan.actions,
            vec![Action::RemoveNetwork {
                service: "a".into(),
                name: "p-a-net".into(),
                id: "n-dup".into()
            }]
        );
    }

    #[test]
    fn down_keeps_volumes_unless_asked() {
        let d = desired(TWO);
        let o = converged(&d);
        let plan = plan_down(&o, &[], false);
        assert_eq!(plan.actions.len(), 4);
        assert!(
            !plan
                .actions
                .iter()
                .any(|a| matches!(a, Action::RemoveVolume { .. }))
        );
        let plan = plan_down(&o, &["b".to_string()], true);
        let text: Vec<String> = plan.actions.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "b: remove container p-b-db",
                "b: remove network p-b-net",
                "b: remove volume p-b-data (deletes its data)"
            ]
        );
    }

    #[test]
    fn plans_serialise_without_secrets() {
        let plan = plan_up(&desired(TWO), &Observed::default(), true);
        let json = serde_json::to_string(&plan).unwrap();
        assert!(json.contains("\"action\":\"create-container\""));
        assert!(!json.contains("pw"));
    }
}
