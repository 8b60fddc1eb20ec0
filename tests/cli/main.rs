//! The one integration test binary: drives the real `dbps` binary.
//!
//! Modules: `util` (a small fluent helper), `manifest` (exact error output for
//! invalid manifests kept as fixtures), `scaffold` (init / new service, and the
//! generated services compiling warning-free), `provision` (real Docker Engine),
//! `doctor` (fixture repositories), `hostile` (hostile input, table-driven, and the
//! regression tests of issue 11), `fuzz` (every kept fuzz crash replayed).

mod doctor;
mod fuzz;
mod hostile;
mod manifest;
mod provision;
mod scaffold;
mod util;
