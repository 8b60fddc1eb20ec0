//! Paths inside the project, checked after resolving symbolic links.
//!
//! The rules, for a path given relative to the project root:
//! - it is lexically inside: no root, no `..` (the manifest validator already
//!   refuses such service paths; this is the second line);
//! - every component that exists is resolved, links followed, and must stay inside
//!   the (canonical) project root: a link to elsewhere in the project is fine, a
//!   link out of it, a dangling link or a loop is refused;
//! - the last component of something dbps creates, replaces, chmods or deletes
//!   itself ([`Inside::file`], [`Inside::dir`]) must not be a link at all, and
//!   must be of the expected kind when it exists (a FIFO is not a `.env`).
//!
//! The check runs before the operation. A process of the same user swapping a
//! component in between could still win that race, but it already holds every
//! right dbps has; what this guards against is a link committed to a repository.

use std::ffi::OsStr;
use std::io;
use std::path::{Component, Path, PathBuf};

/// The canonical project root; hands out checked paths below it.
#[derive(Debug, Clone)]
pub struct Inside {
    root: PathBuf,
}

/// A path dbps must not touch; always the user's to fix (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum UnsafePath {
    /// Absolute, or climbing out with `..`.
    #[error("`{}` is not a relative path inside the project", path.display())]
    NotRelative {
        /// The path as given.
        path: PathBuf,
    },
    /// A component resolves to somewhere outside the project.
    #[error(
        "`{}` leads outside the project (to `{}`) through a symbolic link\n  = help: dbps writes only inside the project; replace the link with a real directory",
        path.display(),
        resolved.display()
    )]
    Escapes {
        /// The path, relative to the project root.
        path: PathBuf,
        /// Where it leads.
        resolved: PathBuf,
    },
    /// A link where dbps creates, replaces, chmods or deletes something itself.
    #[error(
        "`{}` is a symbolic link; dbps writes this {expected} itself and never through a link\n  = help: remove the link (dbps creates the {expected} when needed)",
        path.display()
    )]
    Link {
        /// The path, relative to the project root.
        path: PathBuf,
        /// What dbps expected there.
        expected: &'static str,
    },
    /// Something else than expected is in the way.
    #[error("`{}` is {found}, not a {expected}\n  = help: move it away; dbps expects a {expected} here", path.display())]
    WrongKind {
        /// The path, relative to the project root.
        path: PathBuf,
        /// What is there.
        found: &'static str,
        /// What dbps expected.
        expected: &'static str,
    },
    /// Two paths that must be apart resolve to one directory, or one inside the other.
    #[error(
        "`{}` and `{}` both resolve to `{}` (through a symbolic link)\n  = help: each service needs a directory of its own: its `.env` holds its own credentials",
        path.display(),
        other.display(),
        resolved.display()
    )]
    Shared {
        /// The first path, relative to the project root.
        path: PathBuf,
        /// The second.
        other: PathBuf,
        /// Where the second resolves to.
        resolved: PathBuf,
    },
    /// A link that cannot be resolved (dangling, a loop) or a component that
    /// cannot be inspected.
    #[error("cannot resolve `{}`: {source}", path.display())]
    Unresolvable {
        /// The path, relative to the project root.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

/// The kind of entry dbps means to create at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    File,
    Dir,
}

impl Expect {
    fn name(self) -> &'static str {
        match self {
            Expect::File => "regular file",
            Expect::Dir => "directory",
        }
    }

    fn matches(self, file_type: std::fs::FileType) -> bool {
        match self {
            Expect::File => file_type.is_file(),
            Expect::Dir => file_type.is_dir(),
        }
    }
}

/// The normal components of a relative path, refusing roots and `..`.
fn parts(rel: &Path) -> Result<Vec<&OsStr>, UnsafePath> {
    rel.components()
        .filter(|c| *c != Component::CurDir)
        .map(|c| match c {
            Component::Normal(part) => Ok(part),
            _ => Err(UnsafePath::NotRelative {
                path: rel.to_path_buf(),
            }),
        })
        .collect()
}

impl Inside {
    /// The project rooted at `root` (resolved once, here).
    pub fn new(root: &Path) -> io::Result<Inside> {
        Ok(Inside {
            root: root.canonicalize()?,
        })
    }

    /// The canonical project root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `rel` with every existing component resolved, refused unless it stays
    /// inside the project. For reading, and for the directories above a target.
    pub fn resolve(&self, rel: &Path) -> Result<PathBuf, UnsafePath> {
        let parts = parts(rel)?;
        let mut at = self.root.clone();
        let mut shown = PathBuf::new();
        for (i, part) in parts.iter().enumerate() {
            let next = at.join(part);
            shown.push(part);
            match next.symlink_metadata() {
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // Nothing exists from here on: dbps creates the rest itself.
                    at = next;
                    at.extend(&parts[i + 1..]);
                    return Ok(at);
                }
                Err(source) => {
                    return Err(UnsafePath::Unresolvable {
                        path: shown,
                        source,
                    });
                }
                Ok(meta) if meta.file_type().is_symlink() => {
                    let real = next
                        .canonicalize()
                        .map_err(|source| UnsafePath::Unresolvable {
                            path: shown.clone(),
                            source,
                        })?;
                    if !real.starts_with(&self.root) {
                        return Err(UnsafePath::Escapes {
                            path: shown,
                            resolved: real,
                        });
                    }
                    at = real;
                }
                // A real entry in a canonical directory keeps the path canonical.
                Ok(_) => at = next,
            }
        }
        Ok(at)
    }

    /// A regular file dbps creates or replaces itself (a `.env`, a credential file).
    pub fn file(&self, rel: &Path) -> Result<PathBuf, UnsafePath> {
        self.target(rel, Expect::File)
    }

    /// A directory dbps creates, chmods or replaces itself (`.dbps/`, a new service).
    pub fn dir(&self, rel: &Path) -> Result<PathBuf, UnsafePath> {
        self.target(rel, Expect::Dir)
    }

    fn target(&self, rel: &Path, expect: Expect) -> Result<PathBuf, UnsafePath> {
        let parts = parts(rel)?;
        let Some((name, parents)) = parts.split_last() else {
            return Err(UnsafePath::NotRelative {
                path: rel.to_path_buf(),
            });
        };
        let path = self
            .resolve(&parents.iter().collect::<PathBuf>())?
            .join(name);
        match path.symlink_metadata() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(path),
            Err(source) => Err(UnsafePath::Unresolvable {
                path: rel.to_path_buf(),
                source,
            }),
            Ok(meta) if meta.file_type().is_symlink() => Err(UnsafePath::Link {
                path: rel.to_path_buf(),
                expected: expect.name(),
            }),
            Ok(meta) if !expect.matches(meta.file_type()) => Err(UnsafePath::WrongKind {
                path: rel.to_path_buf(),
                found: super::kind_name(meta.file_type()),
                expected: expect.name(),
            }),
            Ok(_) => Ok(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    struct Fixture {
        project: tempfile::TempDir,
        outside: tempfile::TempDir,
        inside: Inside,
    }

    fn fixture() -> Fixture {
        let project = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let inside = Inside::new(project.path()).unwrap();
        Fixture {
            project,
            outside,
            inside,
        }
    }

    #[test]
    fn plain_paths_resolve_below_the_root_even_when_missing() {
        let f = fixture();
        std::fs::create_dir(f.project.path().join("services")).unwrap();
        let p = f.inside.file(Path::new("services/a/.env")).unwrap();
        assert_eq!(p, f.inside.root().join("services/a/.env"));
        assert_eq!(
            f.inside.resolve(Path::new("./x")).unwrap(),
            f.inside.root().join("x")
        );
    }

    #[test]
    fn parent_dirs_and_absolute_paths_are_refused() {
        let f = fixture();
        for rel in ["../x", "a/../../x", "/etc/passwd", ""] {
            assert!(
                matches!(
                    f.inside.file(Path::new(rel)),
                    Err(UnsafePath::NotRelative { .. })
                ),
                "{rel}"
            );
        }
    }

    #[test]
    fn a_link_out_of_the_project_is_refused_anywhere_on_the_path() {
        let f = fixture();
        symlink(f.outside.path(), f.project.path().join("services")).unwrap();
        for rel in ["services", "services/a", "services/a/.env"] {
            let err = f.inside.resolve(Path::new(rel)).unwrap_err();
            assert!(matches!(err, UnsafePath::Escapes { .. }), "{rel}: {err}");
        }
        let err = f.inside.file(Path::new("services/a/.env")).unwrap_err();
        assert!(
            err.to_string().starts_with("`services` leads outside"),
            "{err}"
        );
    }

    #[test]
    fn a_link_inside_the_project_is_followed_for_parents() {
        let f = fixture();
        std::fs::create_dir(f.project.path().join("apps")).unwrap();
        symlink("apps", f.project.path().join("services")).unwrap();
        let p = f.inside.file(Path::new("services/a/.env")).unwrap();
        assert_eq!(p, f.inside.root().join("apps/a/.env"));
    }

    #[test]
    fn the_target_itself_is_never_a_link_and_always_the_expected_kind() {
        let f = fixture();
        std::fs::write(f.project.path().join("real"), "x").unwrap();
        symlink("real", f.project.path().join(".env")).unwrap();
        assert!(matches!(
            f.inside.file(Path::new(".env")),
            Err(UnsafePath::Link { .. })
        ));
        std::fs::create_dir(f.project.path().join(".dbps")).unwrap();
        assert!(matches!(
            f.inside.file(Path::new(".dbps")),
            Err(UnsafePath::WrongKind { .. })
        ));
        assert!(f.inside.dir(Path::new(".dbps")).is_ok());
        assert!(matches!(
            f.inside.dir(Path::new("real")),
            Err(UnsafePath::WrongKind { .. })
        ));
    }

    #[test]
    fn loops_and_dangling_links_are_unresolvable() {
        let f = fixture();
        symlink("loop", f.project.path().join("loop")).unwrap();
        symlink("/nonexistent/dbps-test", f.project.path().join("gone")).unwrap();
        for rel in ["loop/x", "gone/x"] {
            assert!(
                matches!(
                    f.inside.file(Path::new(rel)),
                    Err(UnsafePath::Unresolvable { .. })
                ),
                "{rel}"
            );
        }
    }
}
