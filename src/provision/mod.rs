//! Provisioning: desired state (from the manifest) → observed state (from Docker,
//! found only by labels) → a plan (pure) → apply (the only effectful step).
//!
//! `plan`, `up --dry-run`, `status` and `down` are all views of the same diff:
//! `down` is a plan against an empty desired state.
//!
//! # The API, for whoever builds on it
//!
//! **One model.** [`Desired`] is built once per run and read by every backend:
//! - [`Desired::load`]`(root, &manifest, &Images::from_env(), CredentialSource::Create)`
//!   reads the stored credentials (creating missing ones; `Stored` puts a
//!   placeholder in their place instead, for `plan`/`status`) and calls the pure
//!   [`Desired::build`]`(&manifest, &credentials_fn, &images)`.
//! - [`Desired`] `{ project, services: Vec<ServiceSpec> }`; `service(name)`,
//!   `names()`, `contains(name)`, `empty(project)`.
//! - [`ServiceSpec`]: `name`, `path` (service dir, for its `.env`), `engine`,
//!   `image`, `version` (in force), `database`, `extensions`, `container` (name),
//!   `volume: VolumeSpec { name, data_dir }`, `network: NetworkSpec { name, alias }`,
//!   `ports: Ports { container, host }`, `env`/`cmd` (the image's contract),
//!   `bootstrap: Option<ExecSpec>` (least-privilege set-up), `probe: ExecSpec`
//!   (readiness), `credentials`, `labels` (identity labels, never a secret);
//!   methods `db_context()`, `url(host, port)`, `url_var()`, `secrets()`.
//! - [`Images`]: the project-wide image per engine (`from_env`, `with`, `get`,
//!   `image_for(service)`).
//!
//! New needs are fields of these values, not new models: file-based secrets,
//! hardening and resource limits (a field on [`ServiceSpec`] each, read by
//! [`container::container_spec`] for Docker and by an exporter for its format),
//! per-service subnets (a field on [`NetworkSpec`]), migrations and seeds (paths
//! on [`ServiceSpec`]), manifest image choices (filled into [`Images`]).
//!
//! **The Docker backend** (what `up`, `down`, `plan`, `status` use):
//! - [`container::container_spec`]`(&spec)` → [`crate::docker::ContainerSpec`]
//!   with the spec-hash label; [`container::spec_hash`]`(&spec)`.
//! - [`plan_up`]`(&desired, &observed, prune)` / [`plan_down`]`(&observed,
//!   services, volumes)` → [`Plan`] of [`Action`]s (pure; `Display` and serde).
//! - [`apply::apply`]`(&plan, &ApplyContext { docker, desired, observed, verified,
//!   reporter, options })` → per service `Option<`[`apply::Outcome`]`>`.
//! - [`status::status`]`(&docker, &desired)` → `Vec<`[`status::StatusRow`]`>`
//!   (pure part: [`status::compare`]); the command prints it.
//! - [`ready::wait_ready`] / [`ready::check`]: the readiness probe against a
//!   container.
//! - Observed state is the boundary's own type, [`crate::docker::Observed`], from
//!   `Docker::observe(project)`.
//!
//! **Other backends** (exporters to Compose/Swarm, Kubernetes) take `&Desired` and
//! render it; they need neither Docker nor the plan.
//!
//! Habits: `up` calls [`Desired::load`] with `Create` only once it holds the
//! project lock ([`crate::state::lock`]); writing each `.env` and readiness mark
//! from the [`apply::Outcome`]s stays in the command. Pure tests build values with
//! `testing::fixture(manifest_text)` and `testing::converged(&desired)`.
//!
//! Dependencies run one way: `provision` → [`crate::docker`] (the bollard boundary,
//! which knows nothing of provisioning), [`crate::engine`], [`crate::secrets`],
//! [`crate::labels`]. Nothing here imports from `commands`.

pub mod apply;
pub mod container;
pub mod desired;
pub mod plan;
pub mod ready;
pub mod status;
#[cfg(test)]
pub(crate) mod testing;

pub use apply::{ApplyContext, Options, Outcome, apply};
pub use desired::{CredentialSource, Desired, Images, NetworkSpec, Ports, ServiceSpec, VolumeSpec};
pub use plan::{Action, Plan, plan_down, plan_up};
pub use status::{Health, StatusRow, status};
