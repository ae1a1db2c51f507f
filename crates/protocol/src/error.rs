//! Errors of the frame and header layer.
//!
//! Any of these on a connection's read side means the peer sent something we cannot frame or parse; the server
//! closes that one connection (as Java's Netty decoder does), never the process.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ProtocolError {
    /// The length word says the frame (length word included) is larger than the configured maximum.
    #[error("frame of {len} bytes exceeds the limit of {max} bytes")]
    FrameTooLarge { len: usize, max: usize },

    /// The length word is negative or too small to hold the header word.
    #[error("invalid frame length {0} (must be at least 4)")]
    InvalidFrameLength(i32),

    /// The header word's length does not fit inside the frame.
    #[error("header length {header_len} does not fit in a frame of {frame_len} bytes")]
    InvalidHeaderLength { header_len: usize, frame_len: usize },

    /// The header word's high byte is neither JSON (0) nor ROCKETMQ (1).
    #[error("unknown serialize type {0}")]
    UnknownSerializeType(u8),

    #[error("bad JSON header: {0}")]
    BadJsonHeader(String),

    #[error("bad ROCKETMQ binary header: {0}")]
    BadBinaryHeader(String),

    /// An encoded header would not fit the 24-bit length of the header word.
    #[error("encoded header of {0} bytes is too large")]
    HeaderTooLarge(usize),

    /// A required ext field of a typed header is absent.
    #[error("{header}: missing required field `{field}`")]
    MissingField {
        header: &'static str,
        field: &'static str,
    },

    /// A required ext field of a typed header is present but cannot be parsed as its type.
    #[error("{header}: invalid value {value:?} for field `{field}`")]
    InvalidField {
        header: &'static str,
        field: &'static str,
        value: String,
    },

    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    #[error("{0}")]
    Other(String),
}
