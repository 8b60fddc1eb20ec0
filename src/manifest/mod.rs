//! The project manifest, `dbps.yaml`: found, parsed with positions, validated (every
//! problem at once, each located), and turned into plain domain types.
//!
//! Nothing here touches Docker or writes files except [`edit`], which returns new
//! manifest text for the caller to write.

pub mod diagnostic;
pub mod edit;
mod validate;
pub mod yaml;

use std::path::{Path, PathBuf};

pub use diagnostic::Diagnostic;
pub use validate::{MAX_NAME, is_dns_name};

use crate::engine::Engine;

/// Problems shown at once; a hostile or badly broken manifest may hold thousands.
const MAX_SHOWN: usize = 20;

/// The file name `dbps` looks for.
pub const FILE_NAME: &str = "dbps.yaml";

/// A validated manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Project name (DNS-safe); prefixes every Docker resource.
    pub project: String,
    /// Services in manifest order.
    pub services: Vec<Service>,
}

/// One service and the one database it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// DNS-safe service name.
    pub name: String,
    /// The service's directory, relative to the project root, never escaping it.
    pub path: PathBuf,
    /// The service's database.
    pub database: Database,
}

/// The database a service owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Database {
    /// The engine.
    pub engine: Engine,
    /// Image tag; `None` means the engine's default.
    pub version: Option<String>,
    /// Image override for this service.
    pub image: Option<String>,
    /// Host port on 127.0.0.1; `None` lets Docker pick a free one.
    pub port: Option<u16>,
    /// Logical database name, also the service's user name.
    pub name: String,
    /// Extensions to enable (Postgres).
    pub extensions: Vec<String>,
}

impl Database {
    /// The version in force: the manifest's or the engine's default.
    pub fn version(&self) -> &str {
        self.version
            .as_deref()
            .unwrap_or_else(|| self.engine.spec().default_version())
    }
}

impl Manifest {
    /// Look a service up by name.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    /// Read and validate the manifest at `path`.
    pub fn load(path: &Path) -> Result<Manifest, ManifestError> {
        let src = read_source(path)?;
        Manifest::parse(&src, &display_path(path))
    }

    /// Validate manifest text; `file` names it in diagnostics.
    pub fn parse(src: &str, file: &str) -> Result<Manifest, ManifestError> {
        validate::validate(src).map_err(|diagnostics| {
            let mut rendered = diagnostics
                .iter()
                .take(MAX_SHOWN)
                .map(|d| d.render(file, src))
                .collect::<Vec<_>>()
                .join("\n\n");
            if diagnostics.len() > MAX_SHOWN {
                rendered.push_str(&format!(
                    "\n\n… and {} more problems",
                    diagnostics.len() - MAX_SHOWN
                ));
            }
            ManifestError::Invalid {
                file: file.to_string(),
                diagnostics,
                rendered,
            }
        })
    }
}

/// A manifest could not be found, read, or validated. Always the user's to fix:
/// `dbps` exits with code 2.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// No manifest in the directory or its parents.
    #[error(
        "no `{FILE_NAME}` found in `{}` or any parent directory\n  = help: run `dbps init` to create one, or pass `-f PATH`",
        start.display()
    )]
    NotFound {
        /// Where the search started.
        start: PathBuf,
    },
    /// The file cannot be read: missing, not a regular file, too large, not UTF-8,
    /// or a link out of its directory.
    #[error(transparent)]
    Read(#[from] crate::fs::FsError),
    /// The manifest has problems; every one is listed.
    #[error("`{file}` is invalid ({} problem{})\n\n{rendered}", diagnostics.len(), if diagnostics.len() == 1 { "" } else { "s" })]
    Invalid {
        /// The manifest as named to the user.
        file: String,
        /// Every problem.
        diagnostics: Vec<Diagnostic>,
        /// The problems rendered against the source.
        rendered: String,
    },
}

/// The most manifest text dbps reads: thousands of services fit in well under it.
pub const MAX_SIZE: u64 = 4 * 1024 * 1024;

/// The manifest's text: a regular UTF-8 file of at most [`MAX_SIZE`] bytes, and,
/// when it is a link, one that stays inside its directory (the project), so a
/// `dbps.yaml` linked to `/proc/self/environ` is never read, let alone quoted in a
/// diagnostic.
pub fn read_source(path: &Path) -> Result<String, ManifestError> {
    use crate::fs::{FsError, Inside};
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let inside = Inside::new(dir).map_err(FsError::io("reading", path))?;
    let name = path.file_name().map_or(path, Path::new);
    let real = inside.resolve(name).map_err(FsError::from)?;
    Ok(crate::fs::read_text(&real, MAX_SIZE).map_err(FsError::from)?)
}

/// Find the manifest by walking up from `start`, as Cargo finds `Cargo.toml`.
pub fn find(start: &Path) -> Result<PathBuf, ManifestError> {
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| ManifestError::NotFound {
            start: start.to_path_buf(),
        })
}

/// A path as the user would like to read it: relative to the current directory
/// when it is below it.
pub fn display_path(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf())
        .display()
        .to_string()
}

/// The logical database (and user) name for a service name: `order-api` → `order_api`.
pub fn database_name(service: &str) -> String {
    service.replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_walks_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "project: x\n").unwrap();
        let deep = dir.path().join("a/b/c");
        std::fs::create_dir_all(&deep).unwrap();
        assert_eq!(find(&deep).unwrap(), dir.path().join(FILE_NAME));
    }

    #[test]
    fn find_reports_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let err = find(dir.path()).unwrap_err();
        assert!(err.to_string().contains("run `dbps init`"));
    }
}
