//! PULL_MESSAGE and LITE_PULL_MESSAGE. OWNER: broker-core helper (scaffold: every function still answers "not implemented").

use std::sync::Arc;

use ferrocket_protocol::command::RemotingCommand;
use ferrocket_remoting::Connection;

use super::{Failure, Outcome};
use crate::BrokerContext;

/// PULL_MESSAGE and LITE_PULL_MESSAGE.
pub async fn pull_message(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}
