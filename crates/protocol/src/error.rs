use thiserror::Error;
/// Errors of the frame and header layer.
#[derive(Debug, Error)]
pub enum ProtocolError {
    #[error("{0}")]
    Other(String),
}
