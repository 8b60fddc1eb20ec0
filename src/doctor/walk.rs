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
pub mod safe;
pub mod skip;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ignore::{WalkBuilder, WalkState};

use super::lexer::Lang;
use super::readers::{self, Kind, Parsed};
use skip::{Attributes, Reason, Skipped};

use safe::Target;

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
    /// Whether the file (or directory) could hold evidence the audit did not read:
    /// then it is also a DBPS009 finding, so the audit never fails open.
    pub unaudited: bool,
}

impl Note {
    /// A note about a file or directory that could hold evidence and was not read.
    pub fn unaudited(file: impl Into<String>, message: impl Into<String>) -> Self {
        Note {
            file: file.into(),
            message: message.into(),
            unaudited: true,
        }
    }

    /// A note about something that holds no evidence (a FIFO, a broken link).
    pub fn info(file: impl Into<String>, message: impl Into<String>) -> Self {
        Note {
            file: file.into(),
            message: message.into(),
            unaudited: false,
        }
    }
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
    let bytes = match safe::read_capped(path).map(text_bytes) {
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

/// A file's text, the way every reader wants it: a regular file of at most
/// [`safe::MAX_FILE`] bytes, invalid UTF-8 replaced, a byte-order mark dropped (Visual
/// Studio writes `appsettings.json` with one); `Ok(None)` when it is binary.
pub fn read_text(path: &Path) -> Result<Option<String>, String> {
    Ok(text_bytes(safe::read_capped(path)?).map(decode))
}

/// The text of `rel` under `root` when it is a regular file inside the tree (compose's
/// `env_file` and secrets, which the walk may have left out); `None` otherwise.
pub fn read_inside(root: &Path, rel: &str) -> Option<String> {
    safe::read_inside(root, rel)
        .ok()
        .flatten()
        .and_then(text_bytes)
        .map(decode)
}

/// Bytes as text: without a byte-order mark, NUL bytes as spaces (a stray NUL in a
/// comment does not make a text file binary); `None` when it is binary: NUL bytes make
/// up more than an eighth of its first 8 KiB.
fn text_bytes(mut bytes: Vec<u8>) -> Option<Vec<u8>> {
    let head = &bytes[..bytes.len().min(8 * 1024)];
    let nuls = head.iter().filter(|b| **b == 0).count();
    if nuls > 0 && nuls * 8 > head.len() {
        return None;
    }
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    if nuls > 0 || bytes.contains(&0) {
        for b in bytes.iter_mut().filter(|b| **b == 0) {
            *b = b' ';
        }
    }
    Some(bytes)
}

/// Text from bytes: valid UTF-8 (nearly every file) without a copy, else with
/// replacement characters.
fn decode(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
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
    /// Shared with the directory filter, which runs outside any visitor.
    notes: Arc<Mutex<Vec<Note>>>,
    /// Shared with the directory filter.
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
    /// The root with links resolved: what "inside the tree" is measured against.
    canonical: PathBuf,
    attributes: Attributes,
}

/// Walk `root` in parallel.
pub fn walk(root: &Path, threads: usize) -> Walked {
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let ctx = Ctx {
        root: root.to_path_buf(),
        attributes: read_attributes(&canonical),
        canonical,
    };
    let sink = Sink::default();
    if let Some(why) = safe::bad_ignore_file(&ctx.canonical, &ctx.canonical) {
        // The walker would read the root's ignore file first: nothing can be audited.
        return Walked {
            notes: vec![Note::unaudited(".", why)],
            ..Walked::default()
        };
    }
    builder(
        &ctx,
        threads,
        Arc::clone(&sink.skipped),
        Arc::clone(&sink.notes),
    )
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
            match entry {
                Ok(entry) => visit(&entry, ctx, &mut batch),
                Err(err) => batch.notes.push(walk_error(&ctx.root, &err)),
            }
            WalkState::Continue
        })
    });
    let mut files = sink.files.into_inner().unwrap_or_default();
    let mut notes = sink
        .notes
        .lock()
        .map(|mut n| std::mem::take(&mut *n))
        .unwrap_or_default();
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
fn builder(
    ctx: &Ctx,
    threads: usize,
    skipped: Arc<Mutex<Vec<Skipped>>>,
    notes: Arc<Mutex<Vec<Note>>>,
) -> WalkBuilder {
    let (root_buf, canonical) = (ctx.root.clone(), ctx.canonical.clone());
    let mut b = WalkBuilder::new(&ctx.root);
    // Only the tree's own ignore files: nothing outside the audited tree is read (no
    // parent directories, no global or per-clone excludes), which also makes the result
    // the same on every machine.
    b.hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(false)
        .ignore(true)
        .parents(false)
        .require_git(false)
        .follow_links(false)
        .threads(threads)
        .filter_entry(move |e| {
            if e.depth() == 0 || !e.file_type().is_some_and(|t| t.is_dir()) {
                return true;
            }
            let Some(why) = skip::pruned_dir(&e.file_name().to_string_lossy()) else {
                // The walker reads a directory's ignore files before its entries.
                if let Some(bad) = safe::bad_ignore_file(e.path(), &canonical) {
                    if let Ok(mut n) = notes.lock() {
                        n.push(Note::unaudited(rel_path(&root_buf, e.path()), bad));
                    }
                    return false;
                }
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
    match read_inside(root, ".gitattributes") {
        Some(text) => Attributes::parse(root, &text),
        None => Attributes::default(),
    }
}

/// A directory the walker could not read (or another walk error) as a note.
fn walk_error(root: &Path, err: &ignore::Error) -> Note {
    fn path_of(err: &ignore::Error) -> Option<&Path> {
        match err {
            ignore::Error::WithPath { path, .. } => Some(path),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                path_of(err)
            }
            ignore::Error::Loop { child, .. } => Some(child),
            _ => None,
        }
    }
    fn cause(err: &ignore::Error) -> String {
        match err {
            ignore::Error::WithPath { err, .. }
            | ignore::Error::WithDepth { err, .. }
            | ignore::Error::WithLineNumber { err, .. } => cause(err),
            other => other.to_string(),
        }
    }
    let file = path_of(err).map_or_else(|| ".".to_string(), |p| rel_path(root, p));
    Note::unaudited(file, format!("cannot read: {}", cause(err)))
}

/// One walked entry: read it, count it, skip it, or note why it could not be used.
fn visit(entry: &ignore::DirEntry, ctx: &Ctx, batch: &mut Batch<'_>) {
    if entry.file_type().is_none_or(|t| t.is_dir()) {
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
    // A linked file (`orders/.env -> ../shared.env`) is read when it stays inside the
    // audited tree; linked directories are never followed; FIFOs are never opened.
    let path = match safe::inspect(entry.path(), &ctx.canonical) {
        Target::File(path) => path,
        Target::Directory | Target::Missing => return,
        other => {
            if readers::classify(&name, &parent).is_some() && !readers::is_test_path(&rel) {
                let message = safe::refusal(&other).unwrap_or_default();
                batch.notes.push(match other {
                    // The target could hold evidence, but is not the project's text.
                    Target::Outside => Note::unaudited(rel, message),
                    _ => Note::info(rel, message),
                });
            }
            return;
        }
    };
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
    match read_file(&path, &rel, kind) {
        Read::Parsed(parsed) => batch.files.push(FileOut { rel, parsed }),
        Read::Binary => batch.notes.push(Note::unaudited(
            rel,
            "skipped: binary content (NUL bytes) in a file named like text a reader wants",
        )),
        Read::Minified => {
            batch.sink.read.fetch_sub(1, Ordering::Relaxed);
            batch.skip(rel, Reason::Minified);
        }
        Read::Failed(message) => batch.notes.push(Note::unaudited(rel, message)),
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
        f.set_len(safe::MAX_FILE + 1).expect("sparse file");
        let err = read_one(
            &path,
            "big.sql",
            Kind::Source(crate::doctor::lexer::Lang::Sql),
        )
        .expect_err("too large");
        assert_eq!(err, "skipped: larger than 8 MiB");
    }
}
