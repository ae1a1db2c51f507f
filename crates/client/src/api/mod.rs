//! Typed requests to brokers and name servers, grouped by family. Each is an `impl ClientInstance` block that
//! builds the request from a typed header, sends it, checks the code and decodes the answer.

pub(crate) mod client;
pub(crate) mod offset;
pub(crate) mod pull;
pub(crate) mod query;
pub(crate) mod send;
