//! HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP, CHECK_CLIENT_CONFIG (remoting-protocol.md §7.3, §16.1).

use std::sync::Arc;

use ferrocket_protocol::body::{
    CheckClientRequestBody, GetConsumerListByGroupResponseBody, HeartbeatData,
};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    GetConsumerListByGroupRequestHeader, HeartbeatResponseHeader, UnregisterClientRequestHeader,
};
use ferrocket_remoting::Connection;

use super::{header, reply, success, Failure, Outcome};
use crate::client_manager::{ClientChannel, ConsumerRegistration};
use crate::BrokerContext;

/// TopicSysFlag of a unit-mode consumer's retry topic (UNIT_SUB bit).
const TOPIC_SYS_FLAG_UNIT_SUB: i32 = 0x2;

/// HEART_BEAT: registers the client's producer and consumer groups on this connection. Creates each consumer group
/// (if `autoCreateSubscriptionGroup`) and its `%RETRY%` topic. Answers `IS_SUPPORT_HEART_BEAT_V2=true` and
/// `IS_SUB_CHANGE` (true when a v2 heartbeat omitted subscriptions the broker does not have).
pub async fn heartbeat(
    ctx: &Arc<BrokerContext>,
    conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let data = HeartbeatData::decode(&req.body)
        .map_err(|e| Failure::system(format!("heartbeat body does not decode: {e}")))?;
    let config = ctx.config();
    let channel = || {
        let mut c = ClientChannel::new(conn.clone(), &data.client_id, req.language, req.version);
        c.fingerprint = data.heartbeat_fingerprint;
        c
    };
    let mut sub_change = false;
    for consumer in &data.consumer_data_set {
        let group_config = ctx.groups.find_or_create(&consumer.group_name);
        let group_notify = group_config
            .as_ref()
            .is_none_or(|g| g.notify_consumer_ids_changed_enable);
        if let Some(g) = &group_config {
            let sys_flag = if consumer.unit_mode {
                TOPIC_SYS_FLAG_UNIT_SUB
            } else {
                0
            };
            ctx.topics.create_if_absent(
                &crate::topic_validator::retry_topic(&consumer.group_name),
                g.retry_queue_nums,
                ferrocket_protocol::codes::perm::PERM_RW,
                sys_flag,
            );
        }
        // Heartbeat v2: subscriptions omitted because unchanged. Accept only if we hold them for this client.
        let without_sub = data.without_sub && data.heartbeat_fingerprint != 0;
        if without_sub
            && !ctx.clients.knows_fingerprint(
                &consumer.group_name,
                conn.id(),
                data.heartbeat_fingerprint,
            )
        {
            sub_change = true;
        }
        let reg = ConsumerRegistration {
            group: &consumer.group_name,
            consume_type: consumer.consume_type,
            message_model: consumer.message_model,
            consume_from_where: consumer.consume_from_where,
            subscriptions: (!without_sub).then_some(consumer.subscription_data_set.as_slice()),
            notify: config.notify_consumer_ids_changed_enable && group_notify,
        };
        if ctx.clients.register_consumer(reg, channel()) {
            tracing::info!(
                group = %consumer.group_name,
                client = %data.client_id,
                peer = %conn.peer_addr(),
                "consumer group membership or subscriptions changed"
            );
        }
    }
    for producer in &data.producer_data_set {
        ctx.clients
            .register_producer(&producer.group_name, channel());
    }
    reply(success(req).with_header(&HeartbeatResponseHeader {
        is_support_heart_beat_v2: Some(true),
        is_sub_change: Some(sub_change),
    }))
}

/// UNREGISTER_CLIENT: drops this connection from the named producer and/or consumer group.
pub async fn unregister_client(
    ctx: &Arc<BrokerContext>,
    conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: UnregisterClientRequestHeader = header(req)?;
    if let Some(group) = h.producer_group.as_deref().filter(|g| !g.is_empty()) {
        ctx.clients.unregister_producer(group, conn.id());
    }
    if let Some(group) = h.consumer_group.as_deref().filter(|g| !g.is_empty()) {
        ctx.clients.unregister_consumer(group, conn.id());
    }
    reply(success(req))
}

/// GET_CONSUMER_LIST_BY_GROUP: `{"consumerIdList":[...]}`, SYSTEM_ERROR when the group has no live consumer.
pub async fn consumer_list(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: GetConsumerListByGroupRequestHeader = header(req)?;
    let ids = ctx.clients.consumer_ids(&h.consumer_group);
    if ids.is_empty() {
        return Err(Failure::system(format!(
            "no consumer for this group, {}",
            h.consumer_group
        )));
    }
    let body = GetConsumerListByGroupResponseBody {
        consumer_id_list: ids,
    };
    reply(success(req).with_body(body.encode()))
}

/// CHECK_CLIENT_CONFIG (§16.1): TAG subscriptions pass; others fail unless `enablePropertyFilter`, then they must
/// compile (SUBSCRIPTION_PARSE_FAILED with the compiler's message otherwise).
pub async fn check_client_config(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    if req.body.is_empty() {
        return reply(success(req));
    }
    let body = CheckClientRequestBody::decode(&req.body)
        .map_err(|e| Failure::system(format!("check client body does not decode: {e}")))?;
    let Some(sub) = body.subscription_data else {
        return reply(success(req));
    };
    if sub.is_tag_type() {
        return reply(success(req));
    }
    if !ctx.config().enable_property_filter {
        return Err(Failure::system(format!(
            "The broker does not support consumer to filter message by {}",
            sub.expression_type
        )));
    }
    crate::sql_filter::compile(&sub.expression_type, &sub.sub_string)?;
    reply(success(req))
}
