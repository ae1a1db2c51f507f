//! VIEW_MESSAGE_BY_ID, QUERY_MESSAGE. OWNER: broker-management helper (scaffold: every function still answers "not implemented").

use std::sync::Arc;

use ferrocket_protocol::command::RemotingCommand;
use ferrocket_remoting::Connection;

use super::{Failure, Outcome};
use crate::BrokerContext;

/// VIEW_MESSAGE_BY_ID.
pub async fn view_message_by_id(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}

/// QUERY_MESSAGE.
pub async fn query_message(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}
