//! Reading files a hostile repository controls: only regular files, only inside the
//! audited tree (after resolving links), never more than [`MAX_FILE`] bytes, never a
//! blocking open (a FIFO named `.env` must not hang the audit).
//!
//! Everything the doctor reads from an audited tree goes through here: the walk's
//! files, `.gitattributes`, files compose names (`env_file`, secrets), `dbps.yaml` and
//! `.dbps-doctor.yaml` under `--path`.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

/// Files larger than this are not read (dumps, bundles); a note says so.
pub const MAX_FILE: u64 = 8 * 1024 * 1024;

/// Ignore files larger than this prune their directory instead of being read.
const MAX_IGNORE_FILE: u64 = 1024 * 1024;

/// What a path is, seen from the audited tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A regular file inside the tree (the resolved path).
    File(PathBuf),
    /// Nothing there.
    Missing,
    /// A link that resolves outside the tree.
    Outside,
    /// A broken link or a link loop.
    BrokenLink,
    /// A directory.
    Directory,
    /// A FIFO, socket or device.
    Special(&'static str),
}

/// Resolve `path` (links followed) and say what it is, relative to `root` (canonical).
pub fn inspect(path: &Path, root: &Path) -> Target {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Target::Missing;
    };
    let Ok(resolved) = std::fs::canonicalize(path) else {
        return if meta.file_type().is_symlink() {
            Target::BrokenLink
        } else {
            Target::Missing
        };
    };
    if !resolved.starts_with(root) {
        return Target::Outside;
    }
    match std::fs::metadata(&resolved) {
        Ok(m) if m.is_file() => Target::File(resolved),
        Ok(m) if m.is_dir() => Target::Directory,
        Ok(m) => Target::Special(special_kind(&m)),
        Err(_) => Target::BrokenLink,
    }
}

#[cfg(unix)]
fn special_kind(m: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = m.file_type();
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_socket() {
        "a socket"
    } else {
        "a device"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &std::fs::Metadata) -> &'static str {
    "not a regular file"
}

/// Why a target cannot be read, as a note's message (`None` for a regular file).
pub fn refusal(target: &Target) -> Option<String> {
    Some(match target {
        Target::File(_) => return None,
        Target::Missing => "cannot read: not found".into(),
        Target::Outside => "skipped: a link to outside the audited tree".into(),
        Target::BrokenLink => "skipped: a broken link or a link loop".into(),
        Target::Directory => "skipped: a directory".into(),
        Target::Special(kind) => format!("skipped: {kind}, not a regular file"),
    })
}

/// Open a regular file without blocking (a FIFO swapped in after [`inspect`] fails
/// here instead of hanging), and check it is one.
fn open_regular(path: &Path) -> Result<(File, u64), String> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options
        .open(path)
        .map_err(|e| format!("cannot read: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("cannot read: {e}"))?;
    if !meta.is_file() {
        return Err("skipped: not a regular file".into());
    }
    Ok((file, meta.len()))
}

/// A regular file's bytes, at most [`MAX_FILE`] (the file is never read further).
pub fn read_capped(path: &Path) -> Result<Vec<u8>, String> {
    let (file, size) = open_regular(path)?;
    let too_large = || format!("skipped: larger than {} MiB", MAX_FILE / 1024 / 1024);
    if size > MAX_FILE {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The bytes of `rel` under `root` when it is a regular file inside the tree;
/// `Ok(None)` when it does not exist, `Err` (a note's message) when it may not be read.
pub fn read_inside(root: &Path, rel: &str) -> Result<Option<Vec<u8>>, String> {
    let root = root
        .canonicalize()
        .map_err(|e| format!("cannot read: {e}"))?;
    match inspect(&root.join(rel), &root) {
        Target::File(path) => read_capped(&path).map(Some),
        Target::Missing => Ok(None),
        other => Err(refusal(&other).unwrap_or_default()),
    }
}

/// Why the walker must not enter `dir`: an ignore file there that it would read but
/// may not (a FIFO would hang it, a link would read outside the tree, a huge one would
/// exhaust memory).
pub fn bad_ignore_file(dir: &Path, root: &Path) -> Option<String> {
    for name in [".gitignore", ".ignore"] {
        let path = dir.join(name);
        let why = match inspect(&path, root) {
            Target::Missing => continue,
            Target::File(p) => match std::fs::metadata(&p) {
                Ok(m) if m.len() <= MAX_IGNORE_FILE => continue,
                _ => "larger than 1 MiB".to_string(),
            },
            other => refusal(&other)
                .unwrap_or_default()
                .trim_start_matches("skipped: ")
                .to_string(),
        };
        return Some(format!("directory not audited: its `{name}` is {why}"));
    }
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_inside_the_tree_are_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().canonicalize().expect("root");
        std::fs::write(root.join("a.env"), "A=1\n").expect("write");
        std::os::unix::fs::symlink("/proc/self/environ", root.join("env")).expect("link");
        std::os::unix::fs::symlink("loop2", root.join("loop1")).expect("link");
        std::os::unix::fs::symlink("loop1", root.join("loop2")).expect("link");
        let fifo = root.join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .is_ok_and(|s| s.success())
        );
        assert_eq!(read_inside(&root, "a.env"), Ok(Some(b"A=1\n".to_vec())));
        assert_eq!(read_inside(&root, "missing"), Ok(None));
        assert_eq!(
            read_inside(&root, "env"),
            Err("skipped: a link to outside the audited tree".into())
        );
        assert_eq!(
            read_inside(&root, "loop1"),
            Err("skipped: a broken link or a link loop".into())
        );
        assert_eq!(
            read_inside(&root, "fifo"),
            Err("skipped: a FIFO, not a regular file".into())
        );
        assert_eq!(
            read_capped(&fifo),
            Err("skipped: not a regular file".into())
        );
    }
}
