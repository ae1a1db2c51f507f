//! Tokio transport for the RocketMQ remoting protocol, shared by the name server, the broker and the client.
//!
//! A [`Connection`] is symmetric: either side may send requests (the broker calls clients back with
//! CHECK_TRANSACTION_STATE, NOTIFY_CONSUMER_IDS_CHANGED, ...). Responses are matched by opaque; incoming requests go to
//! a [`RequestHandler`], each on its own task so a parked long-poll never holds up the connection.

mod connection;
mod error;
mod handler;
mod server;
mod writer;

pub use connection::{connect, Connection, ConnectionConfig};
pub use error::RemotingError;
pub use handler::{not_supported, NoRequests, RequestHandler, Response};
pub use server::{RemotingServer, ServerConfig};
