use ferrocket_protocol::ProtocolError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum RemotingError {
    #[error("connecting to {addr}: {source}")]
    Connect {
        addr: String,
        source: std::io::Error,
    },
    #[error("request {code} to {addr} timed out after {millis} ms")]
    Timeout {
        addr: String,
        code: i32,
        millis: u64,
    },
    #[error("connection to {addr} closed")]
    Closed { addr: String },
    #[error("connection to {addr} is too busy (write queue full)")]
    Busy { addr: String },
    #[error("encoding request: {0}")]
    Protocol(#[from] ProtocolError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}
