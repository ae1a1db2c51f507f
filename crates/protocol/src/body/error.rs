//! The error type of body decoding.

use thiserror::Error;

use crate::json::JsonError;

/// Why a body could not be decoded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Not JSON, or JSON of the wrong shape.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// The zlib-compressed REGISTER_BROKER form is damaged.
    #[error("compressed register-broker body: {0}")]
    Compressed(String),
    /// A space-separated TopicConfig line (compressed register form) is malformed.
    #[error("bad topic config line {line:?}: {reason}")]
    TopicConfigLine { line: String, reason: String },
}
