//! The labels that mark a Docker resource as dbps's. Resources are found by these
//! alone (never by name), and labels never carry a secret.

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
