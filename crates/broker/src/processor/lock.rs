//! LOCK_BATCH_MQ and UNLOCK_BATCH_MQ (remoting-protocol.md §7.7): ordered consumers lock the queues they consume.
//! This broker keeps its own locks only (`onlyThisBroker` makes no difference without replicas).

use std::sync::Arc;

use ferrocket_protocol::body::{
    LockBatchRequestBody, LockBatchResponseBody, UnlockBatchRequestBody,
};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_remoting::Connection;

use super::{reply, success, Failure, Outcome};
use crate::BrokerContext;

/// LOCK_BATCH_MQ: the body lists the queues wanted; the answer the ones now held by the requester.
pub async fn lock_batch_mq(
    ctx: &Arc<BrokerContext>,
    conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let body = LockBatchRequestBody::decode(&req.body)
        .map_err(|e| Failure::system(format!("lock batch body does not decode: {e}")))?;
    let locked = ctx.locks.try_lock_batch(
        &body.consumer_group,
        &body.mq_set,
        &body.client_id,
        conn.id(),
    );
    let resp = LockBatchResponseBody {
        lock_ok_mq_set: locked,
    };
    reply(success(req).with_body(resp.encode()))
}

/// UNLOCK_BATCH_MQ: releases the requester's locks on the listed queues.
pub async fn unlock_batch_mq(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let body = UnlockBatchRequestBody::decode(&req.body)
        .map_err(|e| Failure::system(format!("unlock batch body does not decode: {e}")))?;
    ctx.locks
        .unlock_batch(&body.consumer_group, &body.mq_set, &body.client_id);
    reply(success(req))
}
