//! Joins the readers' records into one picture: services, datastores, and who connects
//! to what, which tables each service creates and uses, and which configuration it
//! borrows from another service.
//!
//! [`build`] runs three steps, all pure over the walked files (plus reading the few
//! gitignored files that compose or the manifest name explicitly, such as `env_file`
//! targets), over the deployment models of `input` (compose projects merged and
//! interpolated in `compose`, Kubernetes objects in `kube`, image kinds in `image`):
//! 1. **Ownership** (`ownership`): service roots come from the manifest, compose
//!    `build` contexts, Dockerfiles and build files; compose services and Kubernetes
//!    workloads are matched to them by name, image or migration-job suffix
//!    (`orders-migrate` → `orders`).
//! 2. **Datastores** (`datastores`): database containers (compose services, Kubernetes
//!    workloads with a database image, the manifest's per-service databases) with the
//!    names they answer to and the ports they publish.
//! 3. **Resolution**: each service's configuration is gathered per source kind
//!    (`sources`), and every connection's host is resolved in its context (compose
//!    project, Kubernetes namespace, or none) to a datastore (`resolution`), so that
//!    "same database" is decided on servers, not on names.
//!
//! A new kind of evidence lands in the step it informs, as one function there: a new
//! source of service roots or deployment units in `ownership`, of declared servers in
//! `datastores`, of configuration in `sources`, a new host context in `resolution`.
//! Each step module says how.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::model::{Engine, Loc, TableName};
use super::walk::{FileOut, Note};

mod compose;
mod datastores;
mod image;
mod input;
mod kube;
mod names;
mod ownership;
mod resolution;
mod sources;

pub use image::{image_engine, image_repo, is_tool_image};
pub use names::norm;

/// A service from the manifest, as the command layer hands it over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestService {
    /// Service name.
    pub name: String,
    /// Directory relative to the root, `/`-separated.
    pub path: String,
    /// Engine of its database.
    pub engine: Engine,
    /// Published host port (on 127.0.0.1), if fixed.
    pub port: Option<u16>,
    /// Logical database name.
    pub database: String,
    /// Line in the manifest.
    pub line: u32,
}

/// The manifest's view of the project.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManifestInfo {
    /// Manifest path relative to the root.
    pub file: String,
    /// Project name (labels `dbps.project`).
    pub project: String,
    /// Its services.
    pub services: Vec<ManifestService>,
}

/// A service: the unit that should own its data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    /// Canonical name.
    pub name: String,
    /// Other names it goes by (compose service, workload, directory).
    pub aliases: BTreeSet<String>,
    /// Source directories.
    pub dirs: BTreeSet<String>,
    /// Where it was found: `manifest`, `compose`, `kubernetes`, `directory`.
    pub origins: BTreeSet<&'static str>,
}

/// A published port of a datastore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Host interface, `None` meaning all interfaces.
    pub ip: Option<String>,
    /// Host port.
    pub port: Option<u16>,
    /// Where it is declared.
    pub loc: Loc,
    /// Variant.
    pub variant: Option<String>,
}

/// A database server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datastore {
    /// Stable id: `compose:db`, `k8s:shop/postgres`, `dbps:orders`, or `host:port`.
    pub id: String,
    /// Engine.
    pub engine: Engine,
    /// Declared (a container or workload exists) rather than only named by a connection.
    pub declared: bool,
    /// Where it is declared.
    pub loc: Option<Loc>,
    /// Variant.
    pub variant: Option<String>,
    /// Databases it creates at start (`POSTGRES_DB`).
    pub databases: Vec<String>,
    /// Its administrator user and password, when set in its environment.
    pub admin: Option<(String, Option<String>)>,
    /// Published ports.
    pub published: Vec<Published>,
    /// Services that `depends_on` it.
    pub dependants: BTreeSet<usize>,
    /// The service the manifest gives it to.
    pub owner: Option<usize>,
}

/// A service's connection to a datastore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnUse {
    /// Service index.
    pub service: usize,
    /// Datastore index, when the host is known.
    pub datastore: Option<usize>,
    /// Engine.
    pub engine: Engine,
    /// Logical database.
    pub database: Option<String>,
    /// Schema.
    pub schema: Option<String>,
    /// User.
    pub user: Option<String>,
    /// Literal password.
    pub password: Option<String>,
    /// Password reference (secret) when not literal.
    pub password_ref: Option<String>,
    /// Where.
    pub loc: Loc,
    /// Variant.
    pub variant: Option<String>,
    /// How it was written (`DATABASE_URL`, `spring.datasource.url`, a URL literal).
    pub via: String,
}

/// A table created or used by a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableUse {
    /// Service index.
    pub service: usize,
    /// Table.
    pub table: TableName,
    /// Created (DDL) rather than used.
    pub create: bool,
    /// Where.
    pub loc: Loc,
}

/// A service using configuration that belongs to another service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignRef {
    /// The borrowing service.
    pub service: usize,
    /// The owner.
    pub owner: usize,
    /// What is borrowed, for messages (``env file `orders/.env` ``).
    pub what: String,
    /// Where.
    pub loc: Loc,
}

/// An administrator password variable handed to a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminKey {
    /// Service index.
    pub service: usize,
    /// Variable name.
    pub key: String,
    /// Where.
    pub loc: Loc,
}

/// The joined picture rules run over.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// Services.
    pub services: Vec<Service>,
    /// Datastores.
    pub datastores: Vec<Datastore>,
    /// Connections.
    pub conns: Vec<ConnUse>,
    /// Tables.
    pub tables: Vec<TableUse>,
    /// Borrowed configuration.
    pub foreign: Vec<ForeignRef>,
    /// Administrator variables.
    pub admin_keys: Vec<AdminKey>,
    /// Notes gathered while joining.
    pub notes: Vec<Note>,
}

impl Graph {
    /// Service name by index.
    pub fn name(&self, idx: usize) -> &str {
        self.services.get(idx).map_or("?", |s| s.name.as_str())
    }

    /// Datastore id by index.
    pub fn ds(&self, idx: usize) -> &str {
        self.datastores.get(idx).map_or("?", |d| d.id.as_str())
    }
}

/// The graph under construction, with the indexes the steps share.
#[derive(Default)]
struct Builder {
    g: Graph,
    // Ownership.
    /// Normalised service names and aliases → service.
    by_name: HashMap<String, usize>,
    /// Service root directory → service.
    roots: BTreeMap<String, usize>,
    /// The service of each manifest service, in manifest order.
    manifest_members: Vec<usize>,
    /// (compose project, member, service) of each compose application service.
    compose_members: Vec<(usize, usize, usize)>,
    /// (workload, service) of each Kubernetes application workload.
    kube_members: Vec<(usize, usize)>,
    /// service → the compose projects it runs in
    compose_projects: HashMap<usize, BTreeSet<usize>>,
    /// service → the Kubernetes namespaces it runs in
    kube_namespaces: HashMap<usize, BTreeSet<String>>,
    // Datastores.
    /// Datastore id → datastore.
    ds_by_id: HashMap<String, usize>,
    /// compose project index → alias → datastore
    compose_alias: Vec<HashMap<String, usize>>,
    /// (namespace, name) → datastore
    kube_alias: HashMap<(String, String), usize>,
    // Resolution.
    /// Configuration gathered for resolution.
    sources: Vec<sources::Source>,
    /// (service, env file path, loc)
    env_file_refs: Vec<(usize, String, Loc)>,
    /// (service, secret or configmap name, is_secret, holds database keys, loc)
    object_refs: Vec<(usize, String, bool, bool, Loc)>,
}

/// Build the graph: ownership, then datastores, then resolution.
pub fn build(root: &Path, files: &[FileOut], manifest: Option<&ManifestInfo>) -> Graph {
    let input = input::Input::new(root, files, manifest);
    let mut b = Builder::default();
    // 1. Ownership: the services, and which one each root and deployment unit is.
    ownership::assign(&mut b, &input);
    // 2. Datastores: the servers declared, and the names they answer to.
    datastores::declare(&mut b, &input);
    // 3. Resolution: each service's configuration, resolved to datastores in its context.
    sources::gather(&mut b, &input);
    resolution::resolve(&mut b, files);
    b.g
}

/// A walked file, for tests.
#[cfg(test)]
pub(super) fn test_file(rel: &str, parsed: super::readers::Parsed) -> FileOut {
    FileOut {
        rel: rel.into(),
        parsed,
    }
}

/// A parsed compose file, for tests.
#[cfg(test)]
pub(super) fn test_compose(yaml: &str) -> super::readers::Parsed {
    super::readers::Parsed::Compose(super::readers::compose::parse(yaml).expect("valid compose"))
}

/// The graph of walked files under a root that does not exist (nothing read from disk).
#[cfg(test)]
pub(super) fn test_build(files: &[FileOut], manifest: Option<&ManifestInfo>) -> Graph {
    build(Path::new("/nonexistent"), files, manifest)
}
