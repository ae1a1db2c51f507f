//! HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP, CHECK_CLIENT_CONFIG. OWNER: broker-management helper (scaffold: every function still answers "not implemented").

use std::sync::Arc;

use ferrocket_protocol::command::RemotingCommand;
use ferrocket_remoting::Connection;

use super::{Failure, Outcome};
use crate::BrokerContext;

/// HEART_BEAT.
pub async fn heartbeat(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}

/// UNREGISTER_CLIENT.
pub async fn unregister_client(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}

/// GET_CONSUMER_LIST_BY_GROUP.
pub async fn consumer_list(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}

/// CHECK_CLIENT_CONFIG.
pub async fn check_client_config(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}
