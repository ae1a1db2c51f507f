//! RocketMQ classic remoting protocol. Pure: no sockets, no files.
//!
//! - [`codes`]: request/response/language codes and flag bits.
//! - [`command`]: [`command::RemotingCommand`] and its JSON / ROCKETMQ-binary header forms.
//! - [`codec`]: the tokio-util frame codec (length word, header word, 16 MiB limit).
//! - [`header`]: typed request/response headers that convert to and from `extFields`.
//! - [`message`]: the stored/wire message record, properties, batch body, message ids, compression.
//! - [`json`]: a tolerant reader/writer for fastjson's non-standard JSON (bare numeric and object map keys).
//! - [`body`]: JSON bodies (route data, broker registration, cluster info, heartbeat, ...).

pub mod body;
pub mod codec;
pub mod codes;
pub mod command;
pub mod consume_by_who;
pub mod error;
pub mod header;
pub mod json;
pub mod message;

pub use error::ProtocolError;
