//! Exit codes, in one place, and the mapping from an error chain to a code.
//!
//! | code | meaning |
//! |------|---------|
//! | 0 | success; `doctor` found nothing failing |
//! | 1 | an operation failed, or `doctor` found a failing finding |
//! | 2 | usage error or invalid input (bad arguments, invalid manifest, unreadable input) |

use std::process::ExitCode;

/// Every exit status `dbps` can end with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything went as asked.
    Success = 0,
    /// An operation failed, or `doctor` reported failing findings.
    Failure = 1,
    /// The user's input (arguments, manifest, files) is invalid.
    Usage = 2,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}

/// An error caused by the user's input rather than by the environment.
///
/// Anything in an error chain that is a `UsageError` (or a manifest error) makes
/// `dbps` exit with [`Exit::Usage`].
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

impl UsageError {
    /// Wrap a message as a usage error.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Decide the exit code for an error chain.
pub fn code_for(err: &anyhow::Error) -> Exit {
    let usage = err.chain().any(|cause| {
        cause.is::<UsageError>()
            || cause.is::<crate::manifest::ManifestError>()
            || cause.is::<clap::Error>()
            || crate::fs::is_input_error(cause)
            || cause
                .downcast_ref::<crate::secrets::StoreError>()
                .is_some_and(crate::secrets::StoreError::is_input)
    });
    if usage { Exit::Usage } else { Exit::Failure }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn usage_errors_anywhere_in_the_chain_exit_2() {
        let err = Err::<(), _>(UsageError::new("bad"))
            .context("outer")
            .unwrap_err();
        assert_eq!(code_for(&err), Exit::Usage);
    }

    #[test]
    fn other_errors_exit_1() {
        let err = anyhow::anyhow!("docker went away");
        assert_eq!(code_for(&err), Exit::Failure);
    }
}
