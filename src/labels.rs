//! The labels that mark a resource as dbps's. On Docker, resources are found by
//! these alone (never by name); exports to other backends carry the same keys.
//! Labels never carry a secret. Shared by [`crate::docker`] and [`crate::provision`],
//! so it depends on nothing.

/// Marks every resource dbps creates.
pub const MANAGED_BY: &str = "dbps.managed-by";
/// The project name.
pub const PROJECT: &str = "dbps.project";
/// The service that owns the resource.
pub const SERVICE: &str = "dbps.service";
/// The engine (`postgres`, …).
pub const ENGINE: &str = "dbps.engine";
/// A hash of the container's non-secret spec; a change means recreate.
pub const SPEC_HASH: &str = "dbps.spec-hash";
