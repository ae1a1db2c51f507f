//! The one error type of the message codec.

use thiserror::Error;

/// Everything that can go wrong while encoding or decoding message records, batches, properties, ids and bodies.
///
/// Variants carry plain data (no `io::Error`) so the type is `Clone + PartialEq` and cheap to match in tests.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MessageError {
    /// The buffer ends before the named field.
    #[error("truncated {what}: need {need} bytes, have {have}")]
    Truncated {
        what: &'static str,
        need: usize,
        have: usize,
    },

    /// The magic code is neither a record magic nor the blank magic.
    #[error("bad magic code {0:#010x}")]
    BadMagic(u32),

    /// The commit-log end-of-file blank record (storage-format.md §3.1): the rest of the file is padding.
    #[error("end-of-file blank record ({total_size} bytes to the end of the file)")]
    BlankRecord { total_size: i32 },

    /// A length field holds a negative value.
    #[error("negative {what} length {len}")]
    NegativeLength { what: &'static str, len: i64 },

    /// The declared TOTALSIZE disagrees with the length of the fields it contains.
    #[error("{what} TOTALSIZE {declared} does not match its fields ({actual} bytes)")]
    SizeMismatch {
        what: &'static str,
        declared: i64,
        actual: i64,
    },

    /// A text field (topic, properties) is not valid UTF-8.
    #[error("{what} is not valid UTF-8")]
    InvalidUtf8 { what: &'static str },

    /// A host port stored as i32 is outside 0..=65535.
    #[error("invalid port {0} in host address")]
    InvalidPort(i32),

    /// A field is longer than its length prefix (or the format) allows.
    #[error("{what} too long: {len} bytes (max {max})")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },

    /// A property name or value that cannot be encoded (empty, or containing a separator).
    #[error("invalid property {name:?}: {reason}")]
    InvalidProperty { name: String, reason: &'static str },

    /// A message id string (offsetMsgId or UNIQ_KEY) that cannot be decoded.
    #[error("invalid message id {id:?}: {reason}")]
    InvalidMsgId { id: String, reason: &'static str },

    /// The whole-record CRC property (`__CRC32#`) is missing its reserved slot or is malformed.
    #[error("record CRC property: {0}")]
    RecordCrc(&'static str),

    /// The sysFlag names a compression this build cannot handle (LZ4, ZSTD, or an unknown code).
    #[error("unsupported compression type bits {0:#x}")]
    UnsupportedCompression(i32),

    /// Compression failed.
    #[error("compression failed: {0}")]
    Compress(String),

    /// The compressed body is not a valid zlib stream.
    #[error("decompression failed: {0}")]
    Decompress(String),

    /// The body inflates to more than the allowed size (zip-bomb guard).
    #[error("decompressed body exceeds {limit} bytes")]
    DecompressedTooLarge { limit: usize },
}
