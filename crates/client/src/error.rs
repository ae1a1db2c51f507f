//! The client's one error type.

use ferrocket_protocol::body::BodyError;
use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::message::MessageError;
use ferrocket_protocol::ProtocolError;
use ferrocket_remoting::RemotingError;
use thiserror::Error;

/// Everything a client call can fail with. Broker and name-server refusals keep the response code and remark.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The server answered with a non-success response code.
    #[error("{addr} answered code {code} ({}): {remark}", code_name(*.code))]
    Broker {
        addr: String,
        code: i32,
        remark: String,
    },
    /// Transport failure: connect, timeout, closed connection.
    #[error(transparent)]
    Remoting(#[from] RemotingError),
    /// A response that does not have the shape its request promises (missing header field, bad body).
    #[error("bad response from {addr}: {reason}")]
    BadResponse { addr: String, reason: String },
    /// No name server knows the topic (and no usable auto-create template route).
    #[error("no route info for topic {0}")]
    NoRoute(String),
    /// The topic's route names no usable address for a broker (e.g. no master).
    #[error("no address known for broker {0}")]
    BrokerNotFound(String),
    /// A message that cannot be sent as it is.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// A configuration value that cannot work.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Called in the wrong lifecycle state (not started, already shut down, group registered twice, ...).
    #[error("{0}")]
    State(String),
    /// Every send attempt failed within sendMsgTimeout; the last failure is kept.
    #[error("send to {topic} failed after {attempts} attempt(s) in {elapsed_ms} ms: {last}")]
    SendFailed {
        topic: String,
        attempts: u32,
        elapsed_ms: u64,
        last: Box<ClientError>,
    },
    /// The send timeout elapsed before an attempt could be made.
    #[error("send to {topic} timed out after {elapsed_ms} ms")]
    SendTimeout { topic: String, elapsed_ms: u64 },
    #[error(transparent)]
    Message(#[from] MessageError),
    #[error(transparent)]
    Body(#[from] BodyError),
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

fn code_name(code: i32) -> &'static str {
    response_code::name(code).unwrap_or("unknown code")
}

impl ClientError {
    /// The server's response code, when the server refused the request (looks through `SendFailed`).
    pub fn response_code(&self) -> Option<i32> {
        match self {
            ClientError::Broker { code, .. } => Some(*code),
            ClientError::SendFailed { last, .. } => last.response_code(),
            _ => None,
        }
    }

    /// The server's remark, when it refused the request.
    pub fn remark(&self) -> Option<&str> {
        match self {
            ClientError::Broker { remark, .. } => Some(remark),
            ClientError::SendFailed { last, .. } => last.remark(),
            _ => None,
        }
    }

    pub(crate) fn broker(addr: &str, code: i32, remark: Option<String>) -> Self {
        ClientError::Broker {
            addr: addr.to_owned(),
            code,
            remark: remark.unwrap_or_default(),
        }
    }

    pub(crate) fn bad_response(addr: &str, reason: impl Into<String>) -> Self {
        ClientError::BadResponse {
            addr: addr.to_owned(),
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = ClientError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_error_names_code_and_remark() {
        let e = ClientError::broker("127.0.0.1:1", 17, Some("topic X not exist".into()));
        let s = e.to_string();
        assert!(
            s.contains("17") && s.contains("TOPIC_NOT_EXIST") && s.contains("topic X"),
            "{s}"
        );
        assert_eq!(e.response_code(), Some(17));
        let wrapped = ClientError::SendFailed {
            topic: "T".into(),
            attempts: 3,
            elapsed_ms: 10,
            last: Box::new(e),
        };
        assert_eq!(wrapped.response_code(), Some(17));
        assert_eq!(wrapped.remark(), Some("topic X not exist"));
        assert_eq!(ClientError::NoRoute("T".into()).response_code(), None);
    }
}
