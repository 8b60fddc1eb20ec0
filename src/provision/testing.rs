//! Fixtures for the pure provisioning tests: a desired state from manifest text,
//! and what Docker would hold once it is applied.

use super::container::spec_hash;
use super::desired::{Desired, Images};
use crate::docker::{ContainerState, Observed, ObservedContainer, ObservedNetwork, ObservedVolume};
use crate::manifest::Manifest;
use crate::secrets::Credentials;

/// A desired state from manifest text; every service password is `pw`.
pub(crate) fn fixture(src: &str) -> Desired {
    let m = Manifest::parse(src, "dbps.yaml").unwrap();
    Desired::build(
        &m,
        &|s| Credentials::fixed(&s.database.name, "pw", s.database.engine),
        &Images::default(),
    )
}

/// What Docker would hold after applying `desired` fully: every container running
/// with its current spec hash on port 40000.
pub(crate) fn converged(desired: &Desired) -> Observed {
    let mut o = Observed::default();
    for d in &desired.services {
        o.networks.push(ObservedNetwork {
            id: format!("n-{}", d.name),
            name: d.network.name.clone(),
            service: d.name.clone(),
        });
        o.volumes.push(ObservedVolume {
            name: d.volume.name.clone(),
            service: d.name.clone(),
        });
        o.containers.push(ObservedContainer {
            id: format!("c-{}", d.name),
            name: d.container.clone(),
            service: d.name.clone(),
            engine: d.engine.name().into(),
            spec_hash: Some(spec_hash(d)),
            state: ContainerState::Running,
            host_port: Some(40000),
            networks: vec![format!("n-{}", d.name)],
        });
    }
    o
}
