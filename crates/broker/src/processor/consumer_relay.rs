//! GET_CONSUMER_RUNNING_INFO (307) and CONSUME_MESSAGE_DIRECTLY (309): an admin asks the broker, the broker
//! passes the request on to one consumer's connection (found by group and client id) and hands the consumer's
//! answer back unchanged (remoting-protocol.md §16.3).

use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::codes::{request_code, response_code, version};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    ConsumeMessageDirectlyResultRequestHeader, GetConsumerRunningInfoRequestHeader,
};
use ferrocket_protocol::message::decode_offset_msg_id;
use ferrocket_remoting::{Connection, RemotingError};

use super::{header, reply, Failure, Outcome};
use crate::BrokerContext;

/// How long the broker waits for the consumer's answer (Apache's broker-to-client call timeout).
const CALL_CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Consumers older than this cannot answer these requests (Java's `V3_1_8_SNAPSHOT` ordinal).
const MIN_CLIENT_VERSION: i32 = 62;

/// GET_CONSUMER_RUNNING_INFO: relayed to the consumer as is.
pub async fn consumer_running_info(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: GetConsumerRunningInfoRequestHeader = header(req)?;
    let relayed = relay_request(req, request_code::GET_CONSUMER_RUNNING_INFO);
    call_consumer(ctx, req, relayed, &h.consumer_group, &h.client_id).await
}

/// CONSUME_MESSAGE_DIRECTLY: the stored record named by the offset `msgId` goes to the consumer as the body, with
/// `brokerName`, `topicSysFlag` and `groupSysFlag` added to the ext fields.
pub async fn consume_message_directly(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: ConsumeMessageDirectlyResultRequestHeader = header(req)?;
    let client_id = h.client_id.clone().unwrap_or_default();
    let msg_id = h.msg_id.as_deref().unwrap_or("").trim();
    if msg_id.is_empty() {
        return Err(Failure::new(
            response_code::INVALID_PARAMETER,
            "msgId is required (the offset message id)",
        ));
    }
    let (_, phys_offset) = decode_offset_msg_id(msg_id).map_err(|e| {
        Failure::new(
            response_code::INVALID_PARAMETER,
            format!("msgId {msg_id} is not an offset message id: {e}"),
        )
    })?;
    let record = ctx
        .store
        .message_by_phys_offset(phys_offset)
        .ok_or_else(|| {
            Failure::system(format!(
                "can not find message by the offset, {phys_offset} (msgId {msg_id})"
            ))
        })?;
    let mut relayed = relay_request(req, request_code::CONSUME_MESSAGE_DIRECTLY).with_body(record);
    relayed.set_ext("brokerName", ctx.config().broker_name.clone());
    if let Some(tc) = h
        .topic
        .as_deref()
        .filter(|t| !t.is_empty())
        .and_then(|t| ctx.topics.get(t))
    {
        relayed.set_ext("topicSysFlag", tc.topic_sys_flag.to_string());
    }
    if let Some(g) = ctx.groups.find(&h.consumer_group) {
        relayed.set_ext("groupSysFlag", g.group_sys_flag.to_string());
    }
    call_consumer(ctx, req, relayed, &h.consumer_group, &client_id).await
}

/// A new request with the admin's ext fields and body.
fn relay_request(req: &RemotingCommand, code: i32) -> RemotingCommand {
    let mut r = RemotingCommand::new_request(code).with_body(req.body.clone());
    r.ext_fields = req.ext_fields.clone();
    r
}

/// Sends `relayed` to the consumer `client_id` of `group` and turns its answer into the reply to `req`.
async fn call_consumer(
    ctx: &Arc<BrokerContext>,
    req: &RemotingCommand,
    relayed: RemotingCommand,
    group: &str,
    client_id: &str,
) -> Outcome {
    let Some(channel) = ctx.clients.find_consumer(group, client_id) else {
        return Err(Failure::system(format!(
            "The Consumer <{group}> <{client_id}> not online"
        )));
    };
    if channel.version < MIN_CLIENT_VERSION {
        return Err(Failure::system(format!(
            "The Consumer <{client_id}> Version <{}> too low to finish, please upgrade it to V3_1_8_SNAPSHOT",
            version::name(channel.version).unwrap_or("UNKNOWN")
        )));
    }
    match channel.conn.invoke(relayed, CALL_CLIENT_TIMEOUT).await {
        Ok(mut answer) => {
            // The consumer's answer, re-addressed to the admin's request.
            answer.opaque = req.opaque;
            answer.serialize_type = req.serialize_type;
            answer.mark_response();
            reply(answer)
        }
        Err(e @ RemotingError::Timeout { .. }) => Err(Failure::new(
            response_code::CONSUME_MSG_TIMEOUT,
            format!("consumer <{group}> <{client_id}> Timeout: {e}"),
        )),
        Err(e) => Err(Failure::system(format!(
            "invoke consumer <{group}> <{client_id}> Exception: {e}"
        ))),
    }
}
