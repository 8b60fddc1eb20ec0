//! Atomic file writes: temp file in the same directory, fsync, rename, so readers
//! see the old file or the new one, never a torn one. The rename replaces a link at
//! `path` rather than writing through it; callers check `path` with
//! [`super::Inside`] first all the same.

use std::io::Write;
use std::path::Path;

/// Write `contents` to `path` atomically; `mode` (Unix permissions) is applied
/// before the file is renamed into place, so a secret is never briefly world-readable.
pub fn atomic_write(path: &Path, contents: &[u8], mode: Option<u32>) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::Builder::new()
        .prefix(".dbps-tmp-")
        .tempfile_in(dir)?;
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))?;
    } else if let Some(meta) = std::fs::symlink_metadata(path).ok().filter(|m| m.is_file()) {
        // Keep the permissions of the file being replaced.
        tmp.as_file().set_permissions(meta.permissions())?;
    } else {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_with_mode_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        atomic_write(&p, b"one", Some(0o600)).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        atomic_write(&p, b"two", None).unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "two");
        assert_eq!(
            std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
