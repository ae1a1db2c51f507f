//! fastjson-compatible JSON.
//!
//! Apache RocketMQ's Java side (fastjson) writes JSON that RFC 8259 parsers reject: non-string map keys unquoted,
//! e.g. `{0:"10.0.0.1:10911"}` and `{{"brokerName":"b","queueId":0,"topic":"T"}:42}` (§8.7).
//!
//! - [`parse`]: tolerant reader into a [`serde_json::Value`]; bare keys become key strings (`"0"`, or the canonical
//!   compact JSON of an object key).
//! - [`from_slice`] / [`from_value`]: typed decoding as lenient as fastjson (numbers as strings, enums as ordinals,
//!   struct-typed map keys parsed from their key string).
//! - [`to_vec`] / [`to_string`]: fastjson-style writer (fields sorted, nulls omitted) whose non-string keys are bare
//!   or quoted per [`KeyStyle`]; what is a "non-string key" follows the Rust key type.

mod canonical;
mod error;
mod escape;
mod lenient;
mod reader;
mod writer;

pub use canonical::canonical_string;
pub use error::JsonError;
pub use lenient::{from_slice, from_value};
pub use reader::{parse, MAX_DEPTH};
pub use writer::{to_string, to_vec, KeyStyle, STANDARD_JSON_ROUTE_VERSION};
