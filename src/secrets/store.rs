//! The credential store: `.dbps/credentials/<service>.json`, one file per service.
//!
//! Every load checks the files before trusting them: no links, regular files of a
//! sane size, directories 0700 and files 0600 (set so, with a warning, when they
//! are looser), and credentials that dbps could have generated.

use std::path::{Path, PathBuf};

use super::{Credentials, Weakness};
use crate::engine::Engine;
use crate::fs::{FsError, Inside};

/// Where the store lives, relative to the project root.
const DIR: &str = ".dbps/credentials";
/// A credential file is a few hundred bytes.
const CAP: u64 = 64 * 1024;

/// Where a project's credentials live.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// A failure reading or writing the store; carries the path, never a secret.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A path or file problem.
    #[error(transparent)]
    Fs(#[from] FsError),
    /// The file is not the JSON dbps writes.
    #[error("parsing `{}`: {message}\n  = help: restore the file dbps wrote, or remove it and recreate the database (`dbps down SERVICE --volumes`, then `dbps up`; this deletes its data)", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What serde said (never the file's contents).
        message: String,
    },
    /// Stored credentials dbps would never have generated.
    #[error("{weakness} in `{}`\n  = help: restore the file dbps wrote, or remove it and recreate the database (`dbps down SERVICE --volumes`, then `dbps up`; this deletes its data)", path.display())]
    Weak {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        weakness: Weakness,
    },
    /// The system's random source failed.
    #[error("generating credentials for `{service}`: {message}")]
    Generate {
        /// The service.
        service: String,
        /// What failed.
        message: String,
    },
}

impl StoreError {
    /// Whether the user's files are at fault (exit 2) rather than the environment.
    pub fn is_input(&self) -> bool {
        match self {
            StoreError::Fs(e) => e.is_input(),
            StoreError::Parse { .. } | StoreError::Weak { .. } => true,
            StoreError::Generate { .. } => false,
        }
    }
}

fn warn_all(tightened: impl IntoIterator<Item = crate::fs::Tightened>) {
    for t in tightened {
        crate::ui::warn(&t.to_string());
    }
}

impl Store {
    /// The store of the project rooted at `root`.
    pub fn new(root: &Path) -> Store {
        Store {
            root: root.to_path_buf(),
        }
    }

    fn inside(&self) -> Result<Inside, FsError> {
        Inside::new(&self.root).map_err(FsError::io("resolving the project directory", &self.root))
    }

    fn rel(service: &str) -> PathBuf {
        Path::new(DIR).join(format!("{service}.json"))
    }

    /// Check, before anything is written, that the store and the files of
    /// `services` are where dbps may write them: inside the project, not links.
    pub fn check_writable(&self, services: &[&str]) -> Result<(), StoreError> {
        let inside = self.inside()?;
        inside.dir(Path::new(".dbps")).map_err(FsError::from)?;
        inside.dir(Path::new(DIR)).map_err(FsError::from)?;
        for service in services {
            inside.file(&Self::rel(service)).map_err(FsError::from)?;
        }
        Ok(())
    }

    /// Credentials stored for `service`, if any, checked.
    pub fn load(&self, service: &str) -> Result<Option<Credentials>, StoreError> {
        let inside = self.inside()?;
        let path = inside.file(&Self::rel(service)).map_err(FsError::from)?;
        if std::fs::symlink_metadata(&path).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
        {
            return Ok(None);
        }
        let (_, tightened) = crate::fs::private_dirs(&inside, &[".dbps", DIR])?;
        warn_all(tightened);
        let (mut file, tightened) = crate::fs::open_private(&path)?;
        warn_all(tightened);
        let bytes = crate::fs::read_from(&mut file, &path, CAP).map_err(FsError::from)?;
        let creds: Credentials = serde_json::from_slice(&bytes).map_err(|e| StoreError::Parse {
            path: path.clone(),
            // serde's message quotes at most a token; a secret is never
            // near a syntax error in a file dbps wrote.
            message: format!("invalid JSON at line {} column {}", e.line(), e.column()),
        })?;
        creds
            .check(service)
            .map_err(|weakness| StoreError::Weak { path, weakness })?;
        Ok(Some(creds))
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
        let creds = Credentials::generate(user, engine).map_err(|e| StoreError::Generate {
            service: service.to_string(),
            message: e.to_string(),
        })?;
        let inside = self.inside()?;
        let (_, tightened) = crate::fs::private_dirs(&inside, &[".dbps", DIR])?;
        warn_all(tightened);
        let path = inside.file(&Self::rel(service)).map_err(FsError::from)?;
        let json = serde_json::to_vec_pretty(&creds).map_err(|e| StoreError::Generate {
            service: service.to_string(),
            message: e.to_string(),
        })?;
        crate::fs::atomic_write(&path, &json, Some(0o600))
            .map_err(FsError::io("writing", &path))?;
        Ok(creds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

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
        assert_eq!(mode(&file), 0o600);
        let dir = root.path().join(".dbps");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("credentials")), 0o700);
    }

    #[test]
    fn loose_permissions_are_tightened_on_load() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path());
        let engine = Engine::parse("redis").unwrap();
        store.load_or_create("cache", "cache", engine).unwrap();
        let file = root.path().join(".dbps/credentials/cache.json");
        for (p, loose) in [(root.path().join(".dbps"), 0o755), (file.clone(), 0o644)] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(loose)).unwrap();
        }
        assert!(store.load("cache").unwrap().is_some());
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&root.path().join(".dbps")), 0o700);
    }

    #[test]
    fn weak_or_broken_credentials_are_refused_without_quoting_them() {
        let root = tempfile::tempdir().unwrap();
        let store = Store::new(root.path());
        std::fs::create_dir_all(root.path().join(DIR)).unwrap();
        let file = root.path().join(DIR).join("a.json");
        let strong = "S".repeat(super::super::PASSWORD_LEN);
        std::fs::write(
            &file,
            format!("{{\"user\":\"a\",\"password\":\"x\",\"admin_user\":\"root\",\"admin_password\":\"{strong}\"}}"),
        )
        .unwrap();
        let err = store.load("a").unwrap_err();
        assert!(err.is_input());
        assert!(
            err.to_string()
                .starts_with("stored password of `a` is too short (1 character"),
            "{err}"
        );
        std::fs::write(
            &file,
            "{\"user\": \"a\", \"password\": \"hunter2hunter2hunter2\"",
        )
        .unwrap();
        let err = store.load("a").unwrap_err().to_string();
        assert!(err.starts_with("parsing `"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
}
