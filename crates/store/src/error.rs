//! The store's error type.

use std::path::PathBuf;

use thiserror::Error;

/// Everything that can fail while opening, recovering or running the store.
///
/// Append/query outcomes that are part of normal operation (disk full, message illegal, offset overflow ...) are
/// statuses in the result types, not errors; this enum is for I/O faults and corrupt or inconsistent files.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A data file has a size other than the configured one (storage-format.md §1 aborts startup on this).
    #[error("file {path} has size {actual}, expected {expected}")]
    BadFileSize {
        path: PathBuf,
        actual: u64,
        expected: u64,
    },

    /// A file name that should be a 20-digit offset (or index timestamp) is not.
    #[error("unexpected file name {0}")]
    BadFileName(PathBuf),

    /// Files of one queue do not follow each other (a gap or overlap in their start offsets).
    #[error("files in {dir} are not contiguous: {detail}")]
    NotContiguous { dir: PathBuf, detail: String },

    /// Another process holds the store's lock file.
    #[error("store root {0} is locked by another process")]
    Locked(PathBuf),

    #[error("invalid configuration: {0}")]
    Config(String),

    /// An append does not fit in one commit-log file.
    #[error("record of {len} bytes cannot fit in a commit-log file of {file_size} bytes")]
    TooLarge { len: usize, file_size: u64 },

    /// A raw (replication) append does not continue the log at its end.
    #[error("raw append at offset {offset} does not continue the commit log at {expected}")]
    RawAppendOffset { offset: i64, expected: i64 },

    #[error("store is shut down")]
    Shutdown,
}

impl StoreError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
