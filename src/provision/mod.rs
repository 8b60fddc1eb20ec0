//! Provisioning.
