//! Local project state under `.dbps/` besides credentials: the project lock that
//! serialises concurrent runs, and the marks recording which container of each
//! service was last verified ready (so a no-op `up` need not probe again, while an
//! `up` killed before readiness is finished by the next one).

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Holds the project lock until dropped.
#[derive(Debug)]
pub struct ProjectLock {
    _file: File,
}

fn dbps_dir(root: &Path) -> anyhow::Result<PathBuf> {
    let dir = root.join(".dbps");
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => Ok(dir),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(dir),
        Err(e) => Err(e).with_context(|| format!("creating `{}`", dir.display())),
    }
}

/// Take the project lock, waiting (with a message) while another run holds it.
pub fn lock(root: &Path) -> anyhow::Result<ProjectLock> {
    let path = dbps_dir(root)?.join("lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening `{}`", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            crate::ui::warn(
                "another dbps run holds this project's lock; waiting for it to finish (Ctrl-C to give up)",
            );
            file.lock()
                .with_context(|| format!("locking `{}`", path.display()))?;
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("locking `{}`", path.display()));
        }
    }
    Ok(ProjectLock { _file: file })
}

fn marks_dir(root: &Path) -> PathBuf {
    root.join(".dbps").join("ready")
}

/// Service → container id last verified ready.
pub fn verified(root: &Path) -> HashMap<String, String> {
    let Ok(entries) = std::fs::read_dir(marks_dir(root)) else {
        return HashMap::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let id = std::fs::read_to_string(e.path()).ok()?;
            Some((name, id.trim().to_string()))
        })
        .collect()
}

/// The mark of a container that accepted a set of credentials: its id and a
/// fingerprint of the credentials (a truncated hash; the secrets stay in the store).
pub fn ready_mark(id: &str, credentials: &crate::secrets::Credentials) -> String {
    format!("{id} {}", credentials.fingerprint())
}

/// Record that `service`'s container accepted its credentials (`mark` from
/// [`ready_mark`]).
pub fn mark_verified(root: &Path, service: &str, mark: &str) -> anyhow::Result<()> {
    dbps_dir(root)?;
    let dir = marks_dir(root);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating `{}`", dir.display()))?;
    crate::fs::atomic_write(&dir.join(service), mark.as_bytes(), Some(0o600))
        .with_context(|| format!("writing `{}`", dir.join(service).display()))
}

/// Forget the readiness mark of `service`.
pub fn clear_verified(root: &Path, service: &str) {
    let _ = std::fs::remove_file(marks_dir(root).join(service));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        assert!(verified(dir.path()).is_empty());
        mark_verified(dir.path(), "users", "abc").unwrap();
        assert_eq!(
            verified(dir.path()).get("users").map(String::as_str),
            Some("abc")
        );
        clear_verified(dir.path(), "users");
        assert!(verified(dir.path()).is_empty());
    }

    #[test]
    fn lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock(dir.path()).unwrap();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join(".dbps/lock"))
            .unwrap();
        assert!(matches!(
            f.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(held);
        assert!(f.try_lock().is_ok());
    }
}
