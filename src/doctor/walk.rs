//! The parallel walk: every file a reader wants, read once, parsed on the walker's threads.
//!
//! Uses `ignore::WalkParallel`, so `.gitignore`, `.ignore` and global git excludes are
//! honoured like in ripgrep. Hidden files are visited (`.env` matters) but VCS,
//! dependency, vendored and build-output directories are pruned. Files are classified
//! by name before they are opened; binaries (a NUL byte near the start) and very large
//! files are skipped, and so are tests, fixtures and docs ([`readers::is_test_path`]),
//! which are counted instead of read. Nothing here knows about services or rules.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use super::readers::{self, Kind, Parsed};

/// Files larger than this are skipped with a note (dumps, bundles).
const MAX_FILE: u64 = 8 * 1024 * 1024;

/// Directories never entered.
pub const SKIP_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "target",
    "vendor",
    "dist",
    "build",
    "venv",
    ".venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".gradle",
    ".idea",
    ".vscode",
    "bin",
    "obj",
    ".next",
    ".nuxt",
    "coverage",
    ".terraform",
    "bower_components",
    "Pods",
    "site-packages",
    ".cargo",
    ".yarn",
    ".pnpm-store",
    "third_party",
    "third-party",
    ".cache",
    "out",
];

/// One parsed file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileOut {
    /// Path relative to the root, `/`-separated.
    pub rel: String,
    /// What the reader made of it.
    pub parsed: Parsed,
}

/// Something the audit could not use, reported but never fatal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    /// File, relative to the root.
    pub file: String,
    /// Why.
    pub message: String,
}

/// Everything the walk produced.
#[derive(Debug, Default)]
pub struct Walked {
    /// Parsed files, sorted by path.
    pub files: Vec<FileOut>,
    /// Notes, sorted.
    pub notes: Vec<Note>,
    /// Files read.
    pub files_read: usize,
    /// Files a reader would want that were left out as tests, fixtures or docs.
    pub test_files: usize,
}

/// `path` relative to `root`, `/`-separated; invalid UTF-8 bytes are kept as
/// `\xNN`, so two directories that differ only there stay two services.
pub fn rel_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| crate::fs::lossless(c.as_os_str()))
        .collect::<Vec<_>>()
        .join("/")
}

/// Read and parse one file; `Ok(None)` when it is binary.
pub fn read_one(path: &Path, rel: &str, kind: Kind) -> Result<Option<Parsed>, String> {
    if kind == Kind::Marker {
        return Ok(Some(Parsed::Marker));
    }
    let Some(text) = read_text(path)? else {
        return Ok(None);
    };
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
    readers::read(kind, name, dir, &text).map(Some)
}

/// A file's text, the way every reader wants it: at most [`MAX_FILE`] bytes, invalid
/// UTF-8 replaced, a byte-order mark dropped (Visual Studio writes `appsettings.json`
/// with one); `Ok(None)` when it is binary.
pub fn read_text(path: &Path) -> Result<Option<String>, String> {
    // Size first: a multi-gigabyte dump must not be read into memory to be skipped.
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let size = file.metadata().map_or(0, |m| m.len());
    if size > MAX_FILE {
        return Err(format!(
            "skipped: larger than {} MiB",
            MAX_FILE / 1024 / 1024
        ));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut file, MAX_FILE + 1),
        &mut bytes,
    )
    .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(format!(
            "skipped: larger than {} MiB",
            MAX_FILE / 1024 / 1024
        ));
    }
    if bytes[..bytes.len().min(1024)].contains(&0) {
        return Ok(None);
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// Whether a symbolic link resolves to a regular file under `root` (never a device,
/// a directory, or anything outside the audited tree).
fn links_to_file_inside(link: &Path, root: &Path) -> bool {
    let Ok(target) = std::fs::canonicalize(link) else {
        return false;
    };
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    target.starts_with(&root) && std::fs::metadata(&target).is_ok_and(|m| m.is_file())
}

/// A walker thread's results, handed over once when the thread's visitor is dropped.
struct Batch<'a> {
    files: Vec<FileOut>,
    notes: Vec<Note>,
    sink_files: &'a Mutex<Vec<FileOut>>,
    sink_notes: &'a Mutex<Vec<Note>>,
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if let Ok(mut f) = self.sink_files.lock() {
            f.append(&mut self.files);
        }
        if let Ok(mut n) = self.sink_notes.lock() {
            n.append(&mut self.notes);
        }
    }
}

/// Walk `root` in parallel.
pub fn walk(root: &Path, threads: usize) -> Walked {
    let files = Mutex::new(Vec::new());
    let notes = Mutex::new(Vec::new());
    let count = std::sync::atomic::AtomicUsize::new(0);
    let tests = std::sync::atomic::AtomicUsize::new(0);
    let walker = WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(true)
        .git_global(true)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        .require_git(false)
        .follow_links(false)
        .threads(threads)
        .filter_entry(|e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !(is_dir
                && e.depth() > 0
                && SKIP_DIRS.contains(&e.file_name().to_string_lossy().as_ref()))
        })
        .build_parallel();
    let root_buf: PathBuf = root.to_path_buf();
    walker.run(|| {
        let files = &files;
        let notes = &notes;
        let count = &count;
        let tests = &tests;
        let root = &root_buf;
        let mut batch = Batch {
            files: Vec::new(),
            notes: Vec::new(),
            sink_files: files,
            sink_notes: notes,
        };
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            let is_file = match entry.file_type() {
                Some(t) if t.is_file() => true,
                // A linked file (`orders/.env -> ../shared.env`) is read when it stays
                // inside the audited tree; linked directories are never followed.
                Some(t) if t.is_symlink() => links_to_file_inside(entry.path(), root),
                _ => false,
            };
            if !is_file {
                return WalkState::Continue;
            }
            let name = entry.file_name().to_string_lossy();
            let parent = entry
                .path()
                .parent()
                .and_then(Path::file_name)
                .map(|p| p.to_string_lossy())
                .unwrap_or_default();
            let Some(kind) = readers::classify(&name, &parent) else {
                return WalkState::Continue;
            };
            let rel = rel_path(root, entry.path());
            if readers::is_test_path(&rel) {
                if kind != Kind::Marker {
                    tests.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                }
                return WalkState::Continue;
            }
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            match read_one(entry.path(), &rel, kind) {
                Ok(Some(parsed)) => batch.files.push(FileOut { rel, parsed }),
                Ok(None) => {}
                Err(message) => batch.notes.push(Note { file: rel, message }),
            }
            WalkState::Continue
        })
    });
    let mut files = files.into_inner().unwrap_or_default();
    let mut notes = notes.into_inner().unwrap_or_default();
    files.sort_by(|a: &FileOut, b: &FileOut| a.rel.cmp(&b.rel));
    notes.sort();
    Walked {
        files,
        notes,
        files_read: count.into_inner(),
        test_files: tests.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linked_files_inside_the_tree_are_read_and_loops_and_outside_links_are_not() {
        // Regression: `orders/.env -> ../shared.env` was silently skipped.
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("root");
        std::fs::create_dir_all(root.join("orders")).expect("mkdir");
        std::fs::write(root.join("orders/Dockerfile"), "FROM node:20\n").expect("write");
        std::fs::write(
            root.join("shared.env"),
            "DATABASE_URL=postgres://a:b@db/x\n",
        )
        .expect("write");
        let outside = tempfile::NamedTempFile::new().expect("outside");
        std::fs::write(outside.path(), "DATABASE_URL=postgres://a:b@db/secret\n").expect("write");
        #[cfg(unix)]
        {
            use std::os::unix::fs::symlink;
            symlink("../shared.env", root.join("orders/.env")).expect("link");
            symlink(outside.path(), root.join("orders/.env.production")).expect("link");
            symlink("..", root.join("orders/loop")).expect("link");
            symlink("/dev/zero", root.join("orders/.env.staging")).expect("link");
            let walked = walk(&root, 2);
            let rels: Vec<&str> = walked.files.iter().map(|f| f.rel.as_str()).collect();
            assert_eq!(rels, ["orders/.env", "orders/Dockerfile", "shared.env"]);
        }
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_key() {
        // Regression: `appsettings.json` saved by Visual Studio (with a BOM) was an
        // unparseable note, and a BOM `.env` lost its first variable.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("appsettings.json");
        std::fs::write(&path, b"\xEF\xBB\xBF{\r\n  \"ConnectionStrings\": { \"Db\": \"Host=pg;Database=shop\" }\r\n}\r\n")
            .expect("write");
        let parsed = read_one(&path, "Api/appsettings.json", Kind::AppSettings);
        let Ok(Some(Parsed::AppSettings(_, entries))) = parsed else {
            panic!("{parsed:?}");
        };
        assert_eq!(entries[0].key, "ConnectionStrings:Db");
        assert_eq!(entries[0].line, 2);
        let env = dir.path().join(".env");
        std::fs::write(&env, b"\xEF\xBB\xBFDATABASE_URL=postgres://a@b/c\r\n").expect("write");
        let parsed = read_one(&env, "svc/.env", Kind::Env);
        let Ok(Some(Parsed::Env(entries))) = parsed else {
            panic!("{parsed:?}");
        };
        assert_eq!(entries[0].key, "DATABASE_URL");
    }

    #[test]
    fn oversized_files_are_a_note_without_being_read_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.sql");
        let f = std::fs::File::create(&path).expect("create");
        f.set_len(MAX_FILE + 1).expect("sparse file");
        let err = read_one(
            &path,
            "big.sql",
            Kind::Source(crate::doctor::lexer::Lang::Sql),
        )
        .expect_err("too large");
        assert_eq!(err, "skipped: larger than 8 MiB");
    }
}
