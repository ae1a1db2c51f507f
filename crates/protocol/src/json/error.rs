//! The one error type of the JSON layer.

use std::fmt::Display;

use thiserror::Error;

/// What went wrong while reading or writing fastjson-style JSON.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// The bytes are not JSON, not even fastjson's dialect of it.
    #[error("JSON syntax error at byte {offset}: {message}")]
    Syntax {
        offset: usize,
        message: &'static str,
    },
    /// Nesting deeper than [`super::MAX_DEPTH`]; refused so a hostile body cannot overflow the stack.
    #[error("JSON nested deeper than {limit} levels at byte {offset}")]
    TooDeep { offset: usize, limit: usize },
    /// The JSON is well formed but does not have the shape of the requested type.
    #[error("JSON shape error: {0}")]
    Shape(String),
}

impl JsonError {
    pub(crate) fn syntax(offset: usize, message: &'static str) -> Self {
        JsonError::Syntax { offset, message }
    }
}

impl serde::de::Error for JsonError {
    fn custom<T: Display>(msg: T) -> Self {
        JsonError::Shape(msg.to_string())
    }
}

impl serde::ser::Error for JsonError {
    fn custom<T: Display>(msg: T) -> Self {
        JsonError::Shape(msg.to_string())
    }
}
