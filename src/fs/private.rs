//! Owner-only directories (0700) and files (0600), for credentials and state.
//!
//! Modes are read and changed on an open descriptor (`fchmod`), opened without
//! following a link, so a chmod can never land on a link's target.

use std::fmt;
use std::fs::{DirBuilder, File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{FsError, Inside, open_regular};

/// A directory or file that others could read or enter, and that dbps tightened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tightened {
    /// The path.
    pub path: PathBuf,
    /// Its mode before.
    pub was: u32,
    /// Its mode now.
    pub now: u32,
}

impl fmt::Display for Tightened {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` was open to other users (mode {:04o}); dbps set it to {:04o}. If anyone else could read it, treat the secrets in it as exposed",
            self.path.display(),
            self.was,
            self.now
        )
    }
}

fn tighten(file: &File, path: &Path, mode: u32) -> Result<Option<Tightened>, FsError> {
    let was = file
        .metadata()
        .map_err(FsError::io("inspecting", path))?
        .permissions()
        .mode()
        & 0o7777;
    if was == mode {
        return Ok(None);
    }
    file.set_permissions(Permissions::from_mode(mode))
        .map_err(FsError::io("restricting the permissions of", path))?;
    // A mode that was already owner-only (say 0500) is fixed without a warning.
    Ok((was & 0o077 != 0).then(|| Tightened {
        path: path.to_path_buf(),
        was,
        now: mode,
    }))
}

/// Make `rel` a directory only its owner may use (0700): created so when missing
/// (its parent must exist), set so when it is not. Returns its path, and what was
/// tightened when it had been open to others.
pub fn private_dir(inside: &Inside, rel: &Path) -> Result<(PathBuf, Option<Tightened>), FsError> {
    let path = inside.dir(rel)?;
    match DirBuilder::new().mode(0o700).create(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(FsError::io("creating", &path)(e)),
    }
    let dir = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_DIRECTORY)
        .open(&path)
        .map_err(FsError::io("opening", &path))?;
    let tightened = tighten(&dir, &path, 0o700)?;
    Ok((path, tightened))
}

/// [`private_dir`] for each of `rels` in turn (parents first): the last one's path,
/// and everything that had to be tightened.
pub fn private_dirs(inside: &Inside, rels: &[&str]) -> Result<(PathBuf, Vec<Tightened>), FsError> {
    let mut last = inside.root().to_path_buf();
    let mut tightened = Vec::new();
    for rel in rels {
        let (dir, t) = private_dir(inside, Path::new(rel))?;
        tightened.extend(t);
        last = dir;
    }
    Ok((last, tightened))
}

/// Open the owner-only file at `path` (already checked with [`Inside::file`]) for
/// reading: a regular file, not a link, set to 0600 when it is not.
pub fn open_private(path: &Path) -> Result<(File, Option<Tightened>), FsError> {
    let file = open_regular(path, false)?;
    let tightened = tighten(&file, path, 0o600)?;
    Ok((file, tightened))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn creates_and_tightens_directories() {
        let root = tempfile::tempdir().unwrap();
        let inside = Inside::new(root.path()).unwrap();
        let (p, t) = private_dir(&inside, Path::new(".dbps")).unwrap();
        assert_eq!((mode(&p), t), (0o700, None));
        std::fs::set_permissions(&p, Permissions::from_mode(0o755)).unwrap();
        let (_, t) = private_dir(&inside, Path::new(".dbps")).unwrap();
        assert_eq!(t.map(|t| (t.was, t.now)), Some((0o755, 0o700)));
        assert_eq!(mode(&p), 0o700);
    }

    #[test]
    fn tightens_files_without_following_links() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let f = root.path().join("c.json");
        std::fs::write(&f, "{}").unwrap();
        std::fs::set_permissions(&f, Permissions::from_mode(0o644)).unwrap();
        let (_, t) = open_private(&f).unwrap();
        assert!(t.unwrap().to_string().contains("mode 0644"));
        assert_eq!(mode(&f), 0o600);

        let target = outside.path().join("t");
        std::fs::write(&target, "x").unwrap();
        std::fs::set_permissions(&target, Permissions::from_mode(0o644)).unwrap();
        let link = root.path().join("l.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(open_private(&link).is_err());
        assert_eq!(mode(&target), 0o644);
    }

    #[test]
    fn a_linked_directory_is_refused_and_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::set_permissions(outside.path(), Permissions::from_mode(0o755)).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join(".dbps")).unwrap();
        let inside = Inside::new(root.path()).unwrap();
        assert!(private_dir(&inside, Path::new(".dbps")).is_err());
        assert_eq!(mode(outside.path()), 0o755);
    }
}
