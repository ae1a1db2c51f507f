use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use ferrocket_protocol::command::RemotingCommand;

use crate::Connection;

/// A response frame: the command (with its own body, often empty) followed by zero or more body chunks that are
/// written as they are — pull responses pass slices of the store's mapped files here without copying them.
#[derive(Debug)]
pub struct Response {
    pub command: RemotingCommand,
    pub chunks: Vec<Bytes>,
}

impl Response {
    pub fn with_chunks(command: RemotingCommand, chunks: Vec<Bytes>) -> Self {
        Self { command, chunks }
    }

    pub fn body_len(&self) -> usize {
        self.command.body.len() + self.chunks.iter().map(Bytes::len).sum::<usize>()
    }
}

impl From<RemotingCommand> for Response {
    fn from(command: RemotingCommand) -> Self {
        Self {
            command,
            chunks: Vec::new(),
        }
    }
}

/// Serves requests that arrive on a connection.
pub trait RequestHandler: Send + Sync + 'static {
    /// Handles one request. The returned response is written unless the request was oneway; `None` sends nothing.
    fn handle(
        self: Arc<Self>,
        conn: Arc<Connection>,
        request: RemotingCommand,
    ) -> impl Future<Output = Option<Response>> + Send;

    /// Called once when a connection has been accepted or established.
    fn on_open(&self, _conn: &Arc<Connection>) {}

    /// Called once when a connection closes, for whatever reason.
    fn on_close(&self, _conn: &Arc<Connection>) {}
}

/// A handler for client connections that expect no requests from the peer: answers every request with
/// REQUEST_CODE_NOT_SUPPORTED.
pub struct NoRequests;

impl RequestHandler for NoRequests {
    async fn handle(
        self: Arc<Self>,
        _conn: Arc<Connection>,
        request: RemotingCommand,
    ) -> Option<Response> {
        Some(crate::handler::not_supported(&request).into())
    }
}

/// The standard answer to an unknown request code.
pub fn not_supported(request: &RemotingCommand) -> RemotingCommand {
    RemotingCommand::response_to(
        request,
        ferrocket_protocol::codes::response_code::REQUEST_CODE_NOT_SUPPORTED,
        Some(format!(" request type {} not supported", request.code)),
    )
}
