//! Bounded reads of regular files. A file is opened without blocking (so opening a
//! FIFO returns at once), checked to be a regular file on the open descriptor (no
//! race with a swap), and read up to a cap (so `/proc` files that report size 0
//! and grow, or a multi-gigabyte dump, never exhaust memory).

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Why a file could not be read; the user's to fix (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// Opening or reading failed (missing, unreadable, a link where none may be).
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// Not a regular file: a FIFO, a device, a directory, a socket.
    #[error("`{}` is {found}, not a regular file\n  = help: dbps reads only regular files here; replace it with one", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
        /// What it is.
        found: &'static str,
    },
    /// Larger than dbps reads.
    #[error("`{}` is larger than {} KiB, more than dbps reads from such a file", path.display(), cap / 1024)]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The cap in bytes.
        cap: u64,
    },
    /// Not UTF-8 text.
    #[error("`{}` is not UTF-8 text (invalid byte at offset {offset})", path.display())]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Offset of the first invalid byte.
        offset: usize,
    },
}

impl ReadError {
    /// Whether the file simply does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// Open `path` for reading if it is a regular file, without blocking on a FIFO;
/// with `follow_links == false` a link at `path` itself is refused.
pub fn open_regular(path: &Path, follow_links: bool) -> Result<File, ReadError> {
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
    if !follow_links {
        flags |= libc::O_NOFOLLOW;
    }
    let io_err = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(io_err)?;
    let file_type = file.metadata().map_err(io_err)?.file_type();
    if !file_type.is_file() {
        return Err(ReadError::NotRegular {
            path: path.to_path_buf(),
            found: super::kind_name(file_type),
        });
    }
    Ok(file)
}

/// Read at most `cap` bytes from an open file; more is an error, not a truncation.
pub fn read_from(file: &mut File, path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let size = file.metadata().map_or(0, |m| m.len());
    if size > cap {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            cap,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            cap,
        });
    }
    Ok(bytes)
}

/// The bytes of the regular file at `path` (links followed: check the path with
/// [`super::Inside`] first), at most `cap`.
pub fn read_bytes(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    read_from(&mut open_regular(path, true)?, path, cap)
}

/// The UTF-8 text of the regular file at `path`, at most `cap` bytes.
pub fn read_text(path: &Path, cap: u64) -> Result<String, ReadError> {
    String::from_utf8(read_bytes(path, cap)?).map_err(|e| ReadError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn reads_a_regular_file_within_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, "hello").unwrap();
        assert_eq!(read_text(&p, 5).unwrap(), "hello");
        assert!(matches!(
            read_text(&p, 4),
            Err(ReadError::TooLarge { cap: 4, .. })
        ));
    }

    #[test]
    fn a_fifo_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap();
        assert!(made.success());
        let err = read_text(&p, 1024).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::NotRegular {
                    found: "a named pipe (FIFO)",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn devices_and_directories_are_refused() {
        assert!(matches!(
            read_bytes(Path::new("/dev/zero"), 1024),
            Err(ReadError::NotRegular {
                found: "a character device",
                ..
            })
        ));
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_bytes(dir.path(), 1024),
            Err(ReadError::NotRegular {
                found: "a directory",
                ..
            })
        ));
    }

    #[test]
    fn growing_proc_files_stop_at_the_cap() {
        // /proc files report size 0; the cap must hold on what is actually read.
        let err = read_bytes(Path::new("/proc/self/maps"), 16).unwrap_err();
        assert!(matches!(err, ReadError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn links_are_followed_only_when_asked_and_bad_text_is_located() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("t");
        std::fs::write(&target, b"ok\xff").unwrap();
        let link = dir.path().join("l");
        symlink(&target, &link).unwrap();
        assert!(open_regular(&link, true).is_ok());
        assert!(open_regular(&link, false).is_err());
        assert!(matches!(
            read_text(&link, 64),
            Err(ReadError::NotUtf8 { offset: 2, .. })
        ));
        assert!(
            read_text(&dir.path().join("missing"), 1)
                .unwrap_err()
                .is_not_found()
        );
    }
}
