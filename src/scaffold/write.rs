//! All-or-nothing writes: files go into a temporary directory beside the target,
//! which is then renamed into place, so a failure never leaves half a service.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::RenderedFile;

/// Writing a rendered tree failed; nothing was left behind.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The target exists and `--force` was not given.
    #[error("`{}` already exists\n  = help: choose another `--path`, or pass `--force` to replace it", .0.display())]
    Exists(PathBuf),
    /// An I/O operation failed.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn io<'p>(action: &'static str, path: &'p Path) -> impl FnOnce(std::io::Error) -> WriteError + 'p {
    move |source| WriteError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Write `files` as the directory `dest`. Refuses an existing `dest` unless `force`,
/// in which case the old directory is replaced only after the new one is complete.
pub fn write_atomically(
    dest: &Path,
    files: &[RenderedFile],
    force: bool,
) -> Result<(), WriteError> {
    let exists = dest.symlink_metadata().is_ok();
    if exists && !force {
        return Err(WriteError::Exists(dest.to_path_buf()));
    }
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(io("creating", parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".dbps-staging-")
        .tempdir_in(parent)
        .map_err(io("creating a staging directory in", parent))?;
    for file in files {
        let path = staging.path().join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io("creating", dir))?;
        }
        let mut f = std::fs::File::create(&path).map_err(io("writing", &path))?;
        f.write_all(file.contents.as_bytes())
            .map_err(io("writing", &path))?;
        f.sync_all().map_err(io("syncing", &path))?;
    }
    if exists {
        // Move the old tree aside first, so a failed swap can be undone.
        let aside = tempfile::Builder::new()
            .prefix(".dbps-replaced-")
            .tempdir_in(parent)
            .map_err(io("creating a staging directory in", parent))?;
        let old = aside.path().join("old");
        std::fs::rename(dest, &old).map_err(io("moving aside", dest))?;
        if let Err(source) = std::fs::rename(staging.path(), dest) {
            let _ = std::fs::rename(&old, dest);
            return Err(WriteError::Io {
                action: "moving into place",
                path: dest.to_path_buf(),
                source,
            });
        }
        // `aside` is dropped here, deleting the old tree.
    } else {
        std::fs::rename(staging.path(), dest).map_err(io("moving into place", dest))?;
    }
    // The staging path no longer exists; keep TempDir from trying to remove it.
    let _ = staging.keep();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Vec<RenderedFile> {
        vec![
            RenderedFile {
                path: "a.txt".into(),
                contents: "a".into(),
            },
            RenderedFile {
                path: "src/b.rs".into(),
                contents: "b".into(),
            },
        ]
    }

    #[test]
    fn writes_a_new_tree_and_leaves_no_staging() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("services/x");
        write_atomically(&dest, &files(), false).unwrap();
        assert_eq!(std::fs::read_to_string(dest.join("src/b.rs")).unwrap(), "b");
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join("services"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, vec![std::ffi::OsString::from("x")]);
    }

    #[test]
    fn refuses_existing_without_force_and_keeps_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("x");
        std::fs::create_dir(&dest).unwrap();
        std::fs::write(dest.join("keep.txt"), "mine").unwrap();
        let err = write_atomically(&dest, &files(), false).unwrap_err();
        assert!(matches!(err, WriteError::Exists(_)));
        assert_eq!(
            std::fs::read_to_string(dest.join("keep.txt")).unwrap(),
            "mine"
        );
        write_atomically(&dest, &files(), true).unwrap();
        assert!(!dest.join("keep.txt").exists());
        assert!(dest.join("a.txt").exists());
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
