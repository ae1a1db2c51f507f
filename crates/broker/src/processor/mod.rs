//! Request processors, one module per request family. Each public function handles one request code and returns
//! an [`Outcome`]; [`crate::handler`] maps codes to them.

pub mod admin_broker;
pub mod admin_group;
pub mod admin_topic;
pub mod client_manage;
pub mod consumer_manage;
pub mod consumer_relay;
pub mod end_transaction;
pub mod lock;
pub mod pull;
pub mod query;
pub mod reset_offset;
pub mod send;
pub mod send_back;

use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::CommandHeader;
use ferrocket_remoting::Response;

/// A request that failed: the response code and remark to answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: i32,
    pub remark: String,
}

impl Failure {
    pub fn new(code: i32, remark: impl Into<String>) -> Self {
        Self {
            code,
            remark: remark.into(),
        }
    }

    pub fn system(remark: impl Into<String>) -> Self {
        Self::new(response_code::SYSTEM_ERROR, remark)
    }

    pub fn into_response(self, req: &RemotingCommand) -> RemotingCommand {
        RemotingCommand::response_to(req, self.code, Some(self.remark))
    }
}

impl From<ferrocket_protocol::ProtocolError> for Failure {
    fn from(e: ferrocket_protocol::ProtocolError) -> Self {
        Failure::new(response_code::INVALID_PARAMETER, e.to_string())
    }
}

/// What a processor returns. `Ok(None)` sends nothing (oneway requests, or a response sent later by someone else,
/// e.g. a parked long poll).
pub type Outcome = Result<Option<Response>, Failure>;

pub fn header<H: CommandHeader>(req: &RemotingCommand) -> Result<H, Failure> {
    Ok(req.decode_header::<H>()?)
}

/// A SUCCESS response to `req` with no remark.
pub fn success(req: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response_to(req, response_code::SUCCESS, None)
}

/// `Ok(Some(cmd))` — the usual processor result.
pub fn reply(cmd: RemotingCommand) -> Outcome {
    Ok(Some(cmd.into()))
}
