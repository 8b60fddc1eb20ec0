//! Provisioning: desired state (from the manifest) → observed state (from Docker,
//! found only by labels) → a plan (pure) → apply (the only effectful step).
//!
//! `plan`, `up --dry-run`, `status` and `down` are all views of the same diff:
//! `down` is a plan against an empty desired state.

pub mod apply;
pub mod desired;
pub mod plan;

pub use desired::{DesiredService, desired_state};
pub use plan::{Action, Plan, plan_down, plan_up};
