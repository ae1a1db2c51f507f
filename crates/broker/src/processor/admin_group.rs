//! UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, DELETE_SUBSCRIPTIONGROUP, GET_ALL_SUBSCRIPTIONGROUP_CONFIG, GET_CONSUME_STATS,
//! GET_CONSUMER_CONNECTION_LIST, GET_ALL_CONSUMER_OFFSET (remoting-protocol.md §7.8, §8.4–§8.6).

use std::collections::BTreeSet;
use std::sync::Arc;

use ferrocket_protocol::body::{
    ConsumeStats, DataVersion, MessageQueue, OffsetWrapper, SubscriptionGroupConfig,
};
use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    DeleteSubscriptionGroupRequestHeader, GetAllSubscriptionGroupRequestHeader,
    GetAllSubscriptionGroupResponseHeader, GetConsumeStatsRequestHeader,
    GetConsumerConnectionListRequestHeader,
};
use ferrocket_remoting::Connection;

use super::{header, reply, success, Failure, Outcome};
use crate::topic_validator;
use crate::BrokerContext;

/// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP: body = SubscriptionGroupConfig JSON.
pub async fn create_group(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    if req.body.is_empty() {
        // Apache answers SUCCESS for a request without a config; nothing to do.
        return reply(success(req));
    }
    let config = SubscriptionGroupConfig::decode(&req.body).map_err(|e| {
        Failure::new(
            response_code::INVALID_PARAMETER,
            format!("subscription group body does not decode: {e}"),
        )
    })?;
    topic_validator::validate_group(&config.group_name)
        .map_err(|e| Failure::new(response_code::INVALID_PARAMETER, e))?;
    tracing::info!(group = %config.group_name, "subscription group created or updated by admin");
    ctx.groups.upsert(config);
    reply(success(req))
}

/// DELETE_SUBSCRIPTIONGROUP: drops the group config (and its offsets with `cleanOffset=true`).
pub async fn delete_group(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: DeleteSubscriptionGroupRequestHeader = header(req)?;
    if ctx.groups.delete(&h.group_name).is_none() {
        tracing::warn!(group = %h.group_name, "delete of unknown subscription group");
    }
    if h.clean_offset == Some(true) {
        ctx.offsets.remove_group(&h.group_name);
    }
    reply(success(req))
}

/// GET_ALL_SUBSCRIPTIONGROUP_CONFIG: everything, or a page (same rules as GET_ALL_TOPIC_CONFIG); header
/// `totalGroupNum`.
pub async fn all_group_config(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: GetAllSubscriptionGroupRequestHeader = header(req)?;
    let config = ctx.config();
    let paged = config.enable_split_metadata
        && (h.group_seq.is_some() || h.max_group_num.is_some() || h.data_version.is_some());
    let (wrapper, total) = if paged {
        let max = (config.split_metadata_size.max(0) as usize)
            .min(h.max_group_num.map_or(usize::MAX, |m| m.max(0) as usize));
        let caller: Option<DataVersion> = h
            .data_version
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .and_then(|s| DataVersion::decode(s.as_bytes()).ok());
        ctx.groups.page(
            h.group_seq.unwrap_or(0).max(0) as usize,
            max,
            caller.as_ref(),
        )
    } else {
        let w = ctx.groups.wrapper();
        let total = w.subscription_group_table.len();
        (w, total)
    };
    reply(
        success(req)
            .with_header(&GetAllSubscriptionGroupResponseHeader {
                total_group_num: Some(i32::try_from(total).unwrap_or(i32::MAX)),
            })
            .with_body(wrapper.encode()),
    )
}

/// The topics GET_CONSUME_STATS reports on, as Apache picks them: the `topicList` (`;`-separated) as given; else
/// `topic`, or every topic the group has offsets for, minus topics the online group does not subscribe to.
fn topics_for_stats(ctx: &BrokerContext, h: &GetConsumeStatsRequestHeader) -> BTreeSet<String> {
    let listed: BTreeSet<String> = h
        .topic_list
        .as_deref()
        .unwrap_or("")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if !listed.is_empty() {
        return listed;
    }
    let mut topics: BTreeSet<String> = match h.topic.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(t) => [t.to_string()].into(),
        None => ctx
            .offsets
            .topics_of_group(&h.consumer_group)
            .into_iter()
            .collect(),
    };
    if let Some(g) = ctx.clients.consumer_group(&h.consumer_group) {
        if !g.subscriptions.is_empty() {
            topics.retain(|t| g.subscriptions.contains_key(t));
        }
    }
    topics
}

/// GET_CONSUME_STATS: per readable queue the broker offset (max), the committed consumer offset, the pull offset and
/// the store time of the last consumed message.
pub async fn consume_stats(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: GetConsumeStatsRequestHeader = header(req)?;
    let broker_name = ctx.config().broker_name.clone();
    let group = &h.consumer_group;
    let mut stats = ConsumeStats::default();
    for topic in topics_for_stats(ctx, &h) {
        let Some(tc) = ctx.topics.get(&topic) else {
            tracing::warn!(topic = %topic, "consume stats: topic config does not exist");
            continue;
        };
        for queue_id in 0..tc.read_queue_nums {
            let broker_offset = ctx.store.max_offset_in_queue(&topic, queue_id).max(0);
            let consumer_offset = ctx
                .offsets
                .query(group, &topic, queue_id)
                .unwrap_or(0)
                .max(0);
            let pull_offset = ctx
                .offsets
                .query_pull_offset(group, &topic, queue_id)
                .unwrap_or(0)
                .max(consumer_offset);
            let last_timestamp = if consumer_offset > 0 {
                ctx.store
                    .message_store_time(&topic, queue_id, consumer_offset - 1)
                    .filter(|t| *t > 0)
                    .unwrap_or(0)
            } else {
                0
            };
            stats.offset_table.insert(
                MessageQueue::new(&topic, &broker_name, queue_id),
                OffsetWrapper {
                    broker_offset,
                    consumer_offset,
                    last_timestamp,
                    pull_offset,
                },
            );
        }
    }
    reply(success(req).with_body(stats.encode()))
}

/// GET_CONSUMER_CONNECTION_LIST: the group's connections and subscriptions; CONSUMER_NOT_ONLINE when none.
pub async fn consumer_connections(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: GetConsumerConnectionListRequestHeader = header(req)?;
    match ctx.clients.consumer_group(&h.consumer_group) {
        Some(g) => reply(success(req).with_body(g.to_connection_body().encode())),
        None => Err(Failure::new(
            response_code::CONSUMER_NOT_ONLINE,
            format!("the consumer group[{}] not online", h.consumer_group),
        )),
    }
}

/// GET_ALL_CONSUMER_OFFSET: the consumerOffset.json content (queue ids bare).
pub async fn all_consumer_offset(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    reply(success(req).with_body(ctx.offsets.encode()))
}
