//! UPDATE_AND_CREATE_TOPIC, DELETE_TOPIC_IN_BROKER, GET_ALL_TOPIC_CONFIG, GET_TOPIC_STATS_INFO,
//! QUERY_TOPIC_CONSUME_BY_WHO (remoting-protocol.md §7.8, §8.2, §8.4).

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrocket_protocol::body::{
    DataVersion, MessageQueue, TopicConfig, TopicConfigAndMappingSerializeWrapper, TopicFilterType,
    TopicOffset, TopicStatsTable,
};
use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::consume_by_who::{GroupList, QueryTopicConsumeByWhoRequestHeader};
use ferrocket_protocol::header::{
    CreateTopicRequestHeader, DeleteTopicRequestHeader, GetAllTopicConfigRequestHeader,
    GetAllTopicConfigResponseHeader, GetTopicStatsInfoRequestHeader,
};
use ferrocket_remoting::Connection;

use super::{header, reply, success, Failure, Outcome};
use crate::topic_attributes;
use crate::topic_validator;
use crate::BrokerContext;

fn invalid(remark: impl Into<String>) -> Failure {
    Failure::new(response_code::INVALID_PARAMETER, remark)
}

/// Checks a topic name an admin request may create or delete: legal, and not a system topic.
fn check_admin_topic(ctx: &BrokerContext, topic: &str) -> Result<(), Failure> {
    topic_validator::validate_topic(topic).map_err(invalid)?;
    if ctx.topics.is_system_topic(topic) {
        return Err(invalid(format!(
            "The topic[{topic}] is conflict with system topic."
        )));
    }
    Ok(())
}

/// UPDATE_AND_CREATE_TOPIC: validates the name (29 for illegal or system names), applies the attribute edits to the
/// current attributes and stores the config.
pub async fn create_topic(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: CreateTopicRequestHeader = header(req)?;
    check_admin_topic(ctx, &h.topic)?;
    let filter_type = TopicFilterType::parse(&h.topic_filter_type).ok_or_else(|| {
        invalid(format!(
            "topicFilterType `{}` is not SINGLE_TAG or MULTI_TAG",
            h.topic_filter_type
        ))
    })?;
    if h.read_queue_nums < 0 || h.write_queue_nums < 0 {
        return Err(invalid(format!(
            "queue numbers must not be negative (read {}, write {})",
            h.read_queue_nums, h.write_queue_nums
        )));
    }
    if h.perm & !0xF != 0 || h.perm < 0 {
        return Err(invalid(format!(
            "perm {} is not a permission bit set",
            h.perm
        )));
    }
    let current = ctx.topics.get(&h.topic);
    let attributes = topic_attributes::alter(
        current.is_none(),
        &current.map(|c| c.attributes).unwrap_or_default(),
        h.attributes.as_deref().unwrap_or(""),
    )
    .map_err(invalid)?;
    let tc = TopicConfig {
        topic_name: h.topic.clone(),
        read_queue_nums: h.read_queue_nums,
        write_queue_nums: h.write_queue_nums,
        perm: h.perm,
        topic_filter_type: filter_type,
        topic_sys_flag: h.topic_sys_flag.unwrap_or(0),
        order: h.order,
        attributes,
    };
    tracing::info!(topic = %h.topic, read = tc.read_queue_nums, write = tc.write_queue_nums, perm = tc.perm, "topic created or updated by admin");
    ctx.topics.upsert(tc);
    reply(success(req))
}

/// DELETE_TOPIC_IN_BROKER: drops the topic config, the consumer offsets of the topic, its consume queues (commit-log
/// records stay until retention), and the POP retry topics of the groups that consumed it
/// (`clearRetryTopicWhenDeleteTopic`).
pub async fn delete_topic(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: DeleteTopicRequestHeader = header(req)?;
    if h.topic.trim().is_empty() {
        return Err(invalid("The specified topic is blank."));
    }
    if ctx.topics.is_system_topic(&h.topic) {
        return Err(invalid(format!(
            "The topic[{}] is conflict with system topic.",
            h.topic
        )));
    }
    let mut to_clean = vec![h.topic.clone()];
    for group in ctx.offsets.groups_of_topic(&h.topic) {
        for sep in ['_', '+'] {
            let pop_retry = format!(
                "{}{group}{sep}{}",
                topic_validator::RETRY_GROUP_TOPIC_PREFIX,
                h.topic
            );
            if ctx.topics.contains(&pop_retry) {
                to_clean.push(pop_retry);
            }
        }
    }
    for topic in &to_clean {
        ctx.topics.delete(topic);
        ctx.offsets.remove_topic(topic);
        ctx.store
            .delete_topic(topic)
            .map_err(|e| Failure::system(format!("deleting consume queues of {topic}: {e}")))?;
        tracing::info!(topic = %topic, "topic deleted by admin");
    }
    reply(success(req))
}

/// GET_ALL_TOPIC_CONFIG: everything, or (5.x paging, when `enableSplitMetadata` and any paging field is given)
/// up to min(`splitMetadataSize`, `maxTopicNum`) topics from `topicSeq`; header `totalTopicNum` either way.
pub async fn all_topic_config(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: GetAllTopicConfigRequestHeader = header(req)?;
    let config = ctx.config();
    let paged = config.enable_split_metadata
        && (h.topic_seq.is_some() || h.max_topic_num.is_some() || h.data_version.is_some());
    let (table, version, total) = if paged {
        let max = (config.split_metadata_size.max(0) as usize)
            .min(h.max_topic_num.map_or(usize::MAX, |m| m.max(0) as usize));
        let caller: Option<DataVersion> = h
            .data_version
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .and_then(|s| DataVersion::decode(s.as_bytes()).ok());
        let seq = h.topic_seq.unwrap_or(0).max(0) as usize;
        ctx.topics.page(seq, max, caller.as_ref())
    } else {
        let snap = ctx.topics.snapshot();
        let total = snap.topic_config_table.len();
        (snap.topic_config_table, snap.data_version, total)
    };
    let body = TopicConfigAndMappingSerializeWrapper {
        data_version: version,
        // Static topics are not implemented: an empty mapping table with a fixed version.
        mapping_data_version: DataVersion::default(),
        topic_config_table: table,
        topic_queue_mapping_detail_map: BTreeMap::new(),
        topic_queue_mapping_info_map: BTreeMap::new(),
    };
    let total_topic_num = i32::try_from(total).unwrap_or(i32::MAX);
    reply(
        success(req)
            .with_header(&GetAllTopicConfigResponseHeader {
                total_topic_num: Some(total_topic_num),
            })
            .with_body(body.encode()),
    )
}

/// GET_TOPIC_STATS_INFO: per queue min/max offset and the store time of the last message.
pub async fn topic_stats(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: GetTopicStatsInfoRequestHeader = header(req)?;
    let Some(tc) = ctx.topics.get(&h.topic) else {
        return Err(Failure::new(
            response_code::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist", h.topic),
        ));
    };
    let broker_name = ctx.config().broker_name.clone();
    let mut table = TopicStatsTable::default();
    for queue_id in 0..tc.read_queue_nums.max(tc.write_queue_nums) {
        let min = ctx.store.min_offset_in_queue(&h.topic, queue_id).max(0);
        let max = ctx.store.max_offset_in_queue(&h.topic, queue_id).max(0);
        let last = if max > 0 {
            ctx.store
                .message_store_time(&h.topic, queue_id, max - 1)
                .unwrap_or(0)
        } else {
            0
        };
        table.offset_table.insert(
            MessageQueue::new(&h.topic, &broker_name, queue_id),
            TopicOffset {
                last_update_timestamp: last,
                max_offset: max,
                min_offset: min,
            },
        );
    }
    reply(success(req).with_body(table.encode()))
}

/// QUERY_TOPIC_CONSUME_BY_WHO: the groups consuming `topic` here — online groups subscribed to it plus groups
/// with committed offsets on it (as Apache does). An unknown topic gives an empty list, not an error.
pub async fn topic_consumed_by(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: QueryTopicConsumeByWhoRequestHeader = header(req)?;
    let mut body = GroupList::default();
    body.group_list
        .extend(ctx.clients.groups_subscribed_to(&h.topic));
    body.group_list
        .extend(ctx.offsets.groups_of_topic(&h.topic));
    reply(success(req).with_body(body.encode()))
}
