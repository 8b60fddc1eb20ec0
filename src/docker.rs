//! The Docker boundary.
