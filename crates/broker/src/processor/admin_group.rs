//! UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, DELETE_SUBSCRIPTIONGROUP, GET_ALL_SUBSCRIPTIONGROUP_CONFIG, GET_CONSUME_STATS, GET_CONSUMER_CONNECTION_LIST, GET_ALL_CONSUMER_OFFSET. OWNER: broker-management helper (scaffold: every function still answers "not implemented").

use std::sync::Arc;

use ferrocket_protocol::command::RemotingCommand;
use ferrocket_remoting::Connection;

use super::{Failure, Outcome};
use crate::BrokerContext;

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.
pub async fn create_group(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}

/// DELETE_SUBSCRIPTIONGROUP.
pub async fn delete_group(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG.
pub async fn all_group_config(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}

/// GET_CONSUME_STATS.
pub async fn consume_stats(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}

/// GET_CONSUMER_CONNECTION_LIST.
pub async fn consumer_connections(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}

/// GET_ALL_CONSUMER_OFFSET.
pub async fn all_consumer_offset(
    _ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    Err(Failure::system(format!(
        "request code {} is not implemented yet",
        req.code
    )))
}
