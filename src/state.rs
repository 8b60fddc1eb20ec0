//! Local project state under `.dbps/` besides credentials: the project lock that
//! serialises concurrent runs (`up`, `down`, `new service`), and the marks recording
//! which container of each service was last verified ready (so a no-op `up` need
//! not probe again, while an `up` killed before readiness is finished by the next
//! one). Every path goes through [`crate::fs::Inside`]: `.dbps/` and what is in it
//! are never links, and `.dbps/` is kept 0700.

use std::collections::HashMap;
use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::fs::{FsError, Inside};

/// dbps's own directory in a project.
pub const DIR: &str = ".dbps";
const LOCK: &str = ".dbps/lock";
const MARKS: &str = ".dbps/ready";
/// A readiness mark is a container id and a fingerprint; anything longer is not one.
const MARK_CAP: u64 = 4096;

/// Holds the project lock until dropped.
#[derive(Debug)]
pub struct ProjectLock {
    _file: File,
}

fn inside(root: &Path) -> Result<Inside, FsError> {
    Inside::new(root).map_err(FsError::io("resolving the project directory", root))
}

/// Create (or tighten, with a warning) the owner-only directories `rels`, in order.
fn private_dirs(inside: &Inside, rels: &[&str]) -> Result<PathBuf, FsError> {
    let (dir, tightened) = crate::fs::private_dirs(inside, rels)?;
    for t in tightened {
        crate::ui::warn(&t.to_string());
    }
    Ok(dir)
}

/// Check, before anything is written, that `.dbps/`, its lock and its readiness
/// marks are where dbps may write them: inside the project, not links.
pub fn check_writable(root: &Path) -> Result<(), FsError> {
    let inside = inside(root)?;
    inside.dir(Path::new(DIR))?;
    inside.file(Path::new(LOCK))?;
    inside.dir(Path::new(MARKS))?;
    Ok(())
}

/// Take the project lock, waiting (with a message) while another run holds it.
pub fn lock(root: &Path) -> anyhow::Result<ProjectLock> {
    let inside = inside(root)?;
    private_dirs(&inside, &[DIR])?;
    let path = inside.file(Path::new(LOCK))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
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

/// Service → container id last verified ready. Marks that cannot be read safely
/// are left out: the service is then probed again, which is always correct.
pub fn verified(root: &Path) -> HashMap<String, String> {
    let Ok(dir) = inside(root).and_then(|i| Ok(i.dir(Path::new(MARKS))?)) else {
        return HashMap::new();
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return HashMap::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let id = crate::fs::read_text(&e.path(), MARK_CAP).ok()?;
            Some((name, id.trim().to_string()))
        })
        .collect()
}

/// The mark of a container that accepted a set of credentials: its id and a
/// fingerprint of the credentials (a truncated hash; the secrets stay in the store).
pub fn ready_mark(id: &str, credentials: &crate::secrets::Credentials) -> String {
    format!("{id} {}", credentials.fingerprint())
}

fn mark_path(service: &str) -> PathBuf {
    Path::new(MARKS).join(service)
}

/// Record that `service`'s container accepted its credentials (`mark` from
/// [`ready_mark`]).
pub fn mark_verified(root: &Path, service: &str, mark: &str) -> anyhow::Result<()> {
    let inside = inside(root)?;
    private_dirs(&inside, &[DIR, MARKS])?;
    let path = inside.file(&mark_path(service))?;
    crate::fs::atomic_write(&path, mark.as_bytes(), Some(0o600))
        .with_context(|| format!("writing `{}`", path.display()))
}

/// Forget the readiness mark of `service`.
pub fn clear_verified(root: &Path, service: &str) {
    if let Ok(path) = inside(root).and_then(|i| Ok(i.file(&mark_path(service))?)) {
        let _ = std::fs::remove_file(path);
    }
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
    fn nothing_is_written_through_a_linked_dbps_directory() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join(".dbps")).unwrap();
        assert!(check_writable(dir.path()).is_err());
        assert!(lock(dir.path()).is_err());
        assert!(mark_verified(dir.path(), "users", "abc").is_err());
        assert!(verified(dir.path()).is_empty());
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
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
