//! Observed state: what Docker holds for a project, as plain data.

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
