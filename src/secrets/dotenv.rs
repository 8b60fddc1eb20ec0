//! Each service's `.env`: its own `DATABASE_URL` and nothing else, mode 0600, and
//! git-ignored along with `.dbps/`.

use std::io;
use std::path::Path;

/// The `.env` text for one service.
pub fn render_env(service: &str, var: &str, url: &str) -> String {
    format!(
        "# Written by `dbps up` for service `{service}`: its own database and nothing else.\n\
         # Do not commit or share this file.\n{var}={url}\n"
    )
}

/// Write `contents` to `path` (0600, atomically) unless it already holds exactly that.
/// Returns whether the file changed.
pub fn write_env(path: &Path, contents: &str) -> io::Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::fs::atomic_write(path, contents.as_bytes(), Some(0o600))?;
    Ok(true)
}

/// Make sure the project's `.gitignore` ignores `.dbps/` and `.env` files.
pub fn ensure_gitignored(root: &Path) -> io::Result<()> {
    let path = root.join(".gitignore");
    let current = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
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
    crate::fs::atomic_write(&path, next.as_bytes(), None)
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
        assert!(write_env(&path, &text).unwrap());
        assert!(!write_env(&path, &text).unwrap());
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
}
