//! The file system as dbps may touch it: every file dbps itself reads, writes,
//! chmods or deletes in a project goes through here (the doctor's walk has its own
//! reader for audited trees).
//!
//! - [`Inside`]: paths below the project root, checked after resolving symbolic
//!   links, so a link planted in a repository (`.dbps -> ~`, `services -> /etc`)
//!   never makes dbps write, chmod or delete outside the project.
//! - [`read_bytes`]/[`read_text`]: bounded reads of regular files only, opened
//!   without blocking, so a FIFO cannot hang dbps and `/dev/zero` cannot exhaust
//!   its memory.
//! - [`private_dir`]/[`open_private`]: directories and files only their owner may
//!   read (0700/0600), created so and tightened (with a warning) on every load.
//! - [`atomic_write`]: readers see the old file or the new one, never a torn one.
//!
//! Nothing here knows about services, manifests or secrets.

mod atomic;
mod inside;
mod private;
mod read;

use std::borrow::Cow;
use std::ffi::OsStr;
use std::io;
use std::path::PathBuf;

pub use atomic::atomic_write;
pub use inside::{Inside, UnsafePath};
pub use private::{Tightened, open_private, private_dir, private_dirs};
pub use read::{ReadError, open_regular, read_bytes, read_from, read_text};

/// A file-system operation on user input failed.
#[derive(Debug, thiserror::Error)]
pub enum FsError {
    /// The path is not one dbps may touch.
    #[error(transparent)]
    Unsafe(#[from] UnsafePath),
    /// The file could not be read as asked.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// An operation failed.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// On which path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
}

impl FsError {
    /// An I/O error while doing `action` on `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> FsError {
        let path = path.into();
        move |source| FsError::Io {
            action,
            path,
            source,
        }
    }

    /// Whether this is the user's input to fix (exit 2) rather than the environment.
    pub fn is_input(&self) -> bool {
        matches!(self, FsError::Unsafe(_) | FsError::Read(_))
    }
}

/// Whether an error in a chain is a problem with the user's files (exit 2).
pub fn is_input_error(cause: &(dyn std::error::Error + 'static)) -> bool {
    cause.is::<UnsafePath>()
        || cause.is::<ReadError>()
        || cause
            .downcast_ref::<FsError>()
            .is_some_and(FsError::is_input)
}

/// A file name as text without losing anything: valid UTF-8 as is, every invalid
/// byte as `\xNN`, so two names that differ only in invalid bytes stay two names.
pub fn lossless(name: &OsStr) -> Cow<'_, str> {
    use std::os::unix::ffi::OsStrExt;
    if let Some(text) = name.to_str() {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    for chunk in name.as_bytes().utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    Cow::Owned(out)
}

/// A short name for what a directory entry is, for messages.
pub fn kind_name(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_dir() {
        "a directory"
    } else if file_type.is_file() {
        "a regular file"
    } else if file_type.is_fifo() {
        "a named pipe (FIFO)"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else {
        "an unknown kind of file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStrExt;

    #[test]
    fn lossless_names_keep_invalid_bytes_apart() {
        let a = lossless(OsStr::from_bytes(b"orders\xff"));
        let b = lossless(OsStr::from_bytes(b"orders\xfe"));
        assert_eq!(a, "orders\\xFF");
        assert_eq!(b, "orders\\xFE");
        assert_eq!(lossless(OsStr::new("caf\u{e9}")), "caf\u{e9}");
    }

    #[test]
    fn input_errors_are_told_apart_from_the_environment() {
        let unsafe_path = FsError::from(UnsafePath::NotRelative {
            path: PathBuf::from("/x"),
        });
        assert!(is_input_error(&unsafe_path));
        let io = FsError::io("writing", "/x")(io::Error::other("disk full"));
        assert!(!is_input_error(&io));
    }
}
