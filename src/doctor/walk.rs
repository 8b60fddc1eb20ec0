//! The parallel walk: every file a reader wants, read once, parsed on the walker's threads.
//!
//! Uses `ignore::WalkParallel`, so `.gitignore`, `.ignore` and global git excludes are
//! honoured like in ripgrep. Hidden files are visited (`.env` matters). Files are
//! classified by name before they are opened; binaries (a NUL byte near the start) and
//! very large files are skipped, and so are tests, fixtures and docs
//! ([`readers::is_test_path`]), which are counted instead of read. Third-party,
//! generated and minified code is left out the way search tools leave it out, and
//! listed with the reason ([`skip`]). Nothing here knows about services or rules.

mod prefilter;
pub mod skip;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ignore::{WalkBuilder, WalkState};

use super::lexer::Lang;
use super::readers::{self, Kind, Parsed};
use skip::{Attributes, Reason, Skipped};

/// Files larger than this are skipped with a note (dumps, bundles).
const MAX_FILE: u64 = 8 * 1024 * 1024;

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
    /// Directories and files left out as vendored, generated or minified, sorted.
    pub skipped: Vec<Skipped>,
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

/// What reading one file gave.
enum Read {
    Parsed(Parsed),
    /// Binary content: nothing to read.
    Binary,
    /// Minified source: left out on purpose.
    Minified,
    /// A note's message.
    Failed(String),
}

/// Read and parse one file; `Ok(None)` when it is binary or minified.
pub fn read_one(path: &Path, rel: &str, kind: Kind) -> Result<Option<Parsed>, String> {
    match read_file(path, rel, kind) {
        Read::Parsed(p) => Ok(Some(p)),
        Read::Binary | Read::Minified => Ok(None),
        Read::Failed(e) => Err(e),
    }
}

fn read_file(path: &Path, rel: &str, kind: Kind) -> Read {
    if kind == Kind::Marker {
        return Read::Parsed(Parsed::Marker);
    }
    let bytes = match read_bytes(path) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Read::Binary,
        Err(e) => return Read::Failed(e),
    };
    // Decided on bytes, before the text is even validated as UTF-8.
    if matches!(kind, Kind::Source(lang) if lang != Lang::Sql) && skip::minified_text(&bytes) {
        return Read::Minified;
    }
    let generic = kind == Kind::Ini || (kind == Kind::Yaml && !prefilter::is_kubernetes(&bytes));
    if generic && !prefilter::could_hold_config_evidence(&bytes) {
        return Read::Parsed(Parsed::Config(Vec::new()));
    }
    let text = decode(bytes);
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let dir = rel.rsplit_once('/').map_or("", |(d, _)| d);
    match readers::read(kind, name, dir, &text) {
        Ok(parsed) => Read::Parsed(parsed),
        Err(e) => Read::Failed(e),
    }
}

/// A file's text, the way every reader wants it: at most [`MAX_FILE`] bytes, invalid
/// UTF-8 replaced, a byte-order mark dropped (Visual Studio writes `appsettings.json`
/// with one); `Ok(None)` when it is binary.
pub fn read_text(path: &Path) -> Result<Option<String>, String> {
    Ok(read_bytes(path)?.map(decode))
}

/// A file's bytes, at most [`MAX_FILE`], without a byte-order mark; `Ok(None)` when it
/// is binary.
fn read_bytes(path: &Path) -> Result<Option<Vec<u8>>, String> {
    // Size first: a multi-gigabyte dump must not be read into memory to be skipped.
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let size = file.metadata().map_or(0, |m| m.len());
    let too_large = || format!("skipped: larger than {} MiB", MAX_FILE / 1024 / 1024);
    if size > MAX_FILE {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut file, MAX_FILE + 1),
        &mut bytes,
    )
    .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(too_large());
    }
    if bytes[..bytes.len().min(1024)].contains(&0) {
        return Ok(None);
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    Ok(Some(bytes))
}

/// Text from bytes: valid UTF-8 (nearly every file) without a copy, else with
/// replacement characters.
fn decode(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
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
    skipped: Vec<Skipped>,
    sink: &'a Sink,
}

/// Where the threads' batches end up.
#[derive(Default)]
struct Sink {
    files: Mutex<Vec<FileOut>>,
    notes: Mutex<Vec<Note>>,
    /// Shared with the directory filter, which runs outside any visitor.
    skipped: Arc<Mutex<Vec<Skipped>>>,
    read: AtomicUsize,
    tests: AtomicUsize,
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if let Ok(mut f) = self.sink.files.lock() {
            f.append(&mut self.files);
        }
        if let Ok(mut n) = self.sink.notes.lock() {
            n.append(&mut self.notes);
        }
        if let Ok(mut s) = self.sink.skipped.lock() {
            s.append(&mut self.skipped);
        }
    }
}

/// What the audit knows before walking.
struct Ctx {
    root: PathBuf,
    attributes: Attributes,
}

/// Walk `root` in parallel.
pub fn walk(root: &Path, threads: usize) -> Walked {
    let ctx = Ctx {
        root: root.to_path_buf(),
        attributes: read_attributes(root),
    };
    let sink = Sink::default();
    builder(root, threads, Arc::clone(&sink.skipped))
        .build_parallel()
        .run(|| {
            let mut batch = Batch {
                files: Vec::new(),
                notes: Vec::new(),
                skipped: Vec::new(),
                sink: &sink,
            };
            let ctx = &ctx;
            Box::new(move |entry| {
                if let Ok(entry) = entry {
                    visit(&entry, ctx, &mut batch);
                }
                WalkState::Continue
            })
        });
    let mut files = sink.files.into_inner().unwrap_or_default();
    let mut notes = sink.notes.into_inner().unwrap_or_default();
    let mut skipped = sink
        .skipped
        .lock()
        .map(|mut s| std::mem::take(&mut *s))
        .unwrap_or_default();
    files.sort_by(|a: &FileOut, b: &FileOut| a.rel.cmp(&b.rel));
    notes.sort();
    skipped.sort();
    Walked {
        files,
        notes,
        files_read: sink.read.into_inner(),
        test_files: sink.tests.into_inner(),
        skipped,
    }
}

/// The walker: ignore files honoured, hidden files visited, links not followed, and
/// dependency, build-output and tool directories pruned (the loud ones recorded).
fn builder(root: &Path, threads: usize, skipped: Arc<Mutex<Vec<Skipped>>>) -> WalkBuilder {
    let root_buf = root.to_path_buf();
    let mut b = WalkBuilder::new(root);
    b.hidden(false)
        .git_ignore(true)
        .git_global(true)
        .git_exclude(true)
        .ignore(true)
        .parents(true)
        .require_git(false)
        .follow_links(false)
        .threads(threads)
        .filter_entry(move |e| {
            if e.depth() == 0 || !e.file_type().is_some_and(|t| t.is_dir()) {
                return true;
            }
            let Some(why) = skip::pruned_dir(&e.file_name().to_string_lossy()) else {
                return true;
            };
            if let (Some(reason), Ok(mut list)) = (why, skipped.lock()) {
                list.push(Skipped {
                    path: format!("{}/", rel_path(&root_buf, e.path())),
                    reason,
                });
            }
            false
        });
    b
}

/// The root `.gitattributes`' linguist marks (none when it is missing or unreadable).
fn read_attributes(root: &Path) -> Attributes {
    match read_text(&root.join(".gitattributes")) {
        Ok(Some(text)) => Attributes::parse(root, &text),
        _ => Attributes::default(),
    }
}

/// One walked entry: read it, count it, skip it, or note why it could not be used.
fn visit(entry: &ignore::DirEntry, ctx: &Ctx, batch: &mut Batch<'_>) {
    let is_file = match entry.file_type() {
        Some(t) if t.is_file() => true,
        // A linked file (`orders/.env -> ../shared.env`) is read when it stays
        // inside the audited tree; linked directories are never followed.
        Some(t) if t.is_symlink() => links_to_file_inside(entry.path(), &ctx.root),
        _ => false,
    };
    if !is_file {
        return;
    }
    let name = entry.file_name().to_string_lossy();
    let parent = entry
        .path()
        .parent()
        .and_then(Path::file_name)
        .map(|p| p.to_string_lossy())
        .unwrap_or_default();
    let rel = rel_path(&ctx.root, entry.path());
    let Some(kind) = readers::classify(&name, &parent) else {
        if skip::minified_name(&name) && !readers::is_test_path(&rel) {
            batch.skip(rel, Reason::Minified);
        }
        return;
    };
    if readers::is_test_path(&rel) {
        if kind != Kind::Marker {
            batch.sink.tests.fetch_add(1, Ordering::Relaxed);
        }
        return;
    }
    if let Some(reason) = ctx.attributes.reason(&rel) {
        // A vendored or generated build file marks no service root either.
        if kind != Kind::Marker {
            batch.skip(rel, reason);
        }
        return;
    }
    batch.sink.read.fetch_add(1, Ordering::Relaxed);
    match read_file(entry.path(), &rel, kind) {
        Read::Parsed(parsed) => batch.files.push(FileOut { rel, parsed }),
        Read::Binary => {}
        Read::Minified => {
            batch.sink.read.fetch_sub(1, Ordering::Relaxed);
            batch.skip(rel, Reason::Minified);
        }
        Read::Failed(message) => batch.notes.push(Note { file: rel, message }),
    }
}

impl Batch<'_> {
    fn skip(&mut self, path: String, reason: Reason) {
        self.skipped.push(Skipped { path, reason });
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
