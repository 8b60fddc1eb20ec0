//! The credential store: `.dbps/credentials/<service>.json`, one file per service.

use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::Credentials;
use crate::engine::Engine;

/// Where a project's credentials live.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

/// A failure reading or writing the store; carries the path, never a secret.
#[derive(Debug, thiserror::Error)]
#[error("{action} `{}`: {source}", path.display())]
pub struct StoreError {
    action: &'static str,
    path: PathBuf,
    source: io::Error,
}

fn err<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(io::Error) -> StoreError + 'p {
    move |source| StoreError {
        action,
        path: path.to_path_buf(),
        source,
    }
}

impl Store {
    /// The store of the project rooted at `root`.
    pub fn new(root: &Path) -> Store {
        Store {
            dir: root.join(".dbps").join("credentials"),
        }
    }

    fn path(&self, service: &str) -> PathBuf {
        self.dir.join(format!("{service}.json"))
    }

    /// Credentials stored for `service`, if any.
    pub fn load(&self, service: &str) -> Result<Option<Credentials>, StoreError> {
        let path = self.path(service);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                err("parsing", &path)(io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(err("reading", &path)(e)),
        }
    }

    /// The stored credentials, or new ones saved first. Never rotates.
    pub fn load_or_create(
        &self,
        service: &str,
        user: &str,
        engine: Engine,
    ) -> Result<Credentials, StoreError> {
        if let Some(c) = self.load(service)? {
            return Ok(c);
        }
        let path = self.path(service);
        let creds = Credentials::generate(user, engine).map_err(|e| {
            err("generating credentials for", &path)(io::Error::other(e.to_string()))
        })?;
        self.ensure_dir()?;
        let json = serde_json::to_vec_pretty(&creds)
            .map_err(|e| err("encoding", &path)(io::Error::other(e.to_string())))?;
        crate::fs::atomic_write(&path, &json, Some(0o600)).map_err(err("writing", &path))?;
        Ok(creds)
    }

    fn ensure_dir(&self) -> Result<(), StoreError> {
        let base = self.dir.parent().unwrap_or(&self.dir);
        for dir in [base, self.dir.as_path()] {
            match std::fs::DirBuilder::new().mode(0o700).create(dir) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                        .map_err(err("securing", dir))?;
                }
                Err(e) => return Err(err("creating", dir)(e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_created_once_and_reused() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path());
        let engine = Engine::parse("postgres").unwrap();
        assert!(store.load("users").unwrap().is_none());
        let first = store.load_or_create("users", "users", engine).unwrap();
        let again = store.load_or_create("users", "users", engine).unwrap();
        assert_eq!(first, again);
        let file = root.path().join(".dbps/credentials/users.json");
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let dir = root.path().join(".dbps");
        assert_eq!(
            std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
            0o700
        );
        assert_eq!(
            std::fs::metadata(dir.join("credentials"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o700
        );
    }
}
