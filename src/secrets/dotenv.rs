//! Each service's `.env`: its own `DATABASE_URL` and nothing else, mode 0600, and
//! git-ignored along with `.dbps/`. Every path is checked with
//! [`crate::fs::Inside`]: never a link, never outside the project, never shared by
//! two services.

use std::path::{Path, PathBuf};

use crate::fs::{FsError, Inside, UnsafePath};

/// A `.env` holds a line or two; a `.gitignore` rarely more than a few KiB.
const ENV_CAP: u64 = 64 * 1024;
const GITIGNORE_CAP: u64 = 1024 * 1024;

fn inside(root: &Path) -> Result<Inside, FsError> {
    Inside::new(root).map_err(FsError::io("resolving the project directory", root))
}

/// The `.env` text for one service.
pub fn render_env(service: &str, var: &str, url: &str) -> String {
    format!(
        "# Written by `dbps up` for service `{service}`: its own database and nothing else.\n\
         # Do not commit or share this file.\n{var}={url}\n"
    )
}

/// Check, before anything is written, that every service's `.env` (`services`:
/// name and directory relative to `root`) and the project's `.gitignore` are
/// where dbps may write them: inside the project after resolving links, not links
/// themselves, regular files if they exist, and no two services' directories the
/// same or nested once links are resolved (one would receive the other's secrets).
pub fn check_env_targets(root: &Path, services: &[(&str, &Path)]) -> Result<(), FsError> {
    let inside = inside(root)?;
    inside.file(Path::new(".gitignore"))?;
    let mut dirs: Vec<(PathBuf, &Path)> = Vec::with_capacity(services.len());
    for (_, dir) in services {
        inside.file(&dir.join(".env"))?;
        dirs.push((inside.resolve(dir)?, dir));
    }
    // Sorted by component, a directory is followed directly by what lies inside it.
    dirs.sort();
    for pair in dirs.windows(2) {
        let [(a, a_rel), (b, b_rel)] = pair else {
            continue;
        };
        if b.starts_with(a) {
            return Err(UnsafePath::Shared {
                path: a_rel.to_path_buf(),
                other: b_rel.to_path_buf(),
                resolved: b.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// Write `contents` to `<root>/<rel>` (0600, atomically) unless it already holds
/// exactly that. Returns whether the file changed.
pub fn write_env(root: &Path, rel: &Path, contents: &str) -> Result<bool, FsError> {
    let path = inside(root)?.file(rel)?;
    if crate::fs::read_text(&path, ENV_CAP).is_ok_and(|old| old == contents) {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(FsError::io("creating", dir))?;
    }
    crate::fs::atomic_write(&path, contents.as_bytes(), Some(0o600))
        .map_err(FsError::io("writing", &path))?;
    Ok(true)
}

/// Make sure the project's `.gitignore` ignores `.dbps/` and `.env` files.
pub fn ensure_gitignored(root: &Path) -> Result<(), FsError> {
    let path = inside(root)?.file(Path::new(".gitignore"))?;
    let current = match crate::fs::read_text(&path, GITIGNORE_CAP) {
        Ok(s) => s,
        Err(e) if e.is_not_found() => String::new(),
        Err(e) => return Err(e.into()),
    };
    let has = |pattern: &str| {
        current.lines().map(str::trim).any(|l| {
            l == pattern || l == pattern.trim_end_matches('/') || l == format!("/{pattern}")
        })
    };
    let mut add = String::new();
    for pattern in [".dbps/", ".env"] {
        if !has(pattern) {
            add.push_str(pattern);
            add.push('\n');
        }
    }
    if add.is_empty() {
        return Ok(());
    }
    let mut next = current.clone();
    if !next.is_empty() && !next.ends_with('\n') {
        next.push('\n');
    }
    next.push_str("# dbps: credentials and per-service connection strings\n");
    next.push_str(&add);
    crate::fs::atomic_write(&path, next.as_bytes(), None).map_err(FsError::io("writing", &path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn env_files_are_private_and_rewritten_only_on_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("svc/.env");
        let text = render_env("svc", "DATABASE_URL", "postgres://u:p@127.0.0.1:1/d");
        let rel = Path::new("svc/.env");
        assert!(write_env(dir.path(), rel, &text).unwrap());
        assert!(!write_env(dir.path(), rel, &text).unwrap());
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(body, vec!["DATABASE_URL=postgres://u:p@127.0.0.1:1/d"]);
    }

    #[test]
    fn gitignore_gains_missing_patterns_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "/target\n.env").unwrap();
        ensure_gitignored(dir.path()).unwrap();
        ensure_gitignored(dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join(".gitignore")).unwrap();
        assert_eq!(
            text,
            "/target\n.env\n# dbps: credentials and per-service connection strings\n.dbps/\n"
        );
    }

    #[test]
    fn targets_through_links_out_or_shared_directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("services/b")).unwrap();
        std::os::unix::fs::symlink("b", root.join("services/a")).unwrap();
        let services = [
            ("a", Path::new("services/a")),
            ("b", Path::new("services/b")),
        ];
        let err = check_env_targets(root, &services).unwrap_err().to_string();
        assert!(
            err.starts_with("`services/a` and `services/b` both resolve to"),
            "{err}"
        );
        assert!(check_env_targets(root, &services[1..]).is_ok());

        std::os::unix::fs::symlink(outside.path(), root.join("apps")).unwrap();
        let err = write_env(root, Path::new("apps/c/.env"), "X=1\n").unwrap_err();
        assert!(err.is_input(), "{err}");
        assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0);
    }
}
