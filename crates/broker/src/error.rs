use thiserror::Error;

/// Errors starting or running the broker (request failures are answered with response codes instead).
#[derive(Debug, Error)]
pub enum BrokerError {
    #[error("store: {0}")]
    Store(#[from] ferrocket_store::StoreError),
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid JSON: {reason}")]
    BadConfigFile { path: String, reason: String },
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}
