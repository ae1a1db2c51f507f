//! GET_BROKER_RUNTIME_INFO, GET_BROKER_CONFIG, UPDATE_BROKER_CONFIG. OWNER: broker-management helper (scaffold: every function still answers "not implemented").

use std::sync::Arc;

use ferrocket_protocol::command::RemotingCommand;
use ferrocket_remoting::Connection;

use super::{Failure, Outcome};
use crate::BrokerContext;

/// GET_BROKER_RUNTIME_INFO.
pub async fn runtime_info(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}

/// GET_BROKER_CONFIG.
pub async fn broker_config(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}

/// UPDATE_BROKER_CONFIG.
pub async fn update_broker_config(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}
