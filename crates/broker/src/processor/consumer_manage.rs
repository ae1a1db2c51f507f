//! QUERY_CONSUMER_OFFSET, UPDATE_CONSUMER_OFFSET, GET_MAX_OFFSET, GET_MIN_OFFSET, SEARCH_OFFSET_BY_TIMESTAMP,
//! GET_EARLIEST_MSG_STORETIME (remoting-protocol.md §7.4).

use std::sync::Arc;

use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    GetEarliestMsgStoretimeRequestHeader, GetEarliestMsgStoretimeResponseHeader,
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, GetMinOffsetRequestHeader,
    GetMinOffsetResponseHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader, SearchOffsetResponseHeader,
    UpdateConsumerOffsetRequestHeader,
};
use ferrocket_remoting::Connection;
use ferrocket_store::{BoundaryType, GetMessageStatus};

use super::{header, reply, success, Failure, Outcome};
use crate::BrokerContext;

/// Whether the message at queue offset 0 exists and is still in memory (Apache's
/// `checkInMemByConsumeOffset(topic, queueId, 0, 1)`): a group that boots on such a queue starts at 0.
fn first_message_in_memory(ctx: &BrokerContext, topic: &str, queue_id: i32) -> bool {
    let r = ctx
        .store
        .get_message(topic, queue_id, 0, 1, usize::MAX, None);
    r.status == GetMessageStatus::Found && !r.suggest_pull_from_slave
}

/// QUERY_CONSUMER_OFFSET: the committed offset, or the setZeroIfNotFound rule when none is stored.
pub async fn query_consumer_offset(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: QueryConsumerOffsetRequestHeader = header(req)?;
    let offset = match ctx.offsets.query(&h.consumer_group, &h.topic, h.queue_id) {
        Some(o) if o >= 0 => o,
        _ => {
            if h.set_zero_if_not_found == Some(false) {
                return Err(Failure::new(
                    response_code::QUERY_NOT_FOUND,
                    "Not found, do not set to zero, maybe this group boot first",
                ));
            }
            let min = ctx.store.min_offset_in_queue(&h.topic, h.queue_id);
            if min <= 0 && first_message_in_memory(ctx, &h.topic, h.queue_id) {
                0
            } else {
                return Err(Failure::new(
                    response_code::QUERY_NOT_FOUND,
                    "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first",
                ));
            }
        }
    };
    reply(success(req).with_header(&QueryConsumerOffsetResponseHeader { offset }))
}

/// UPDATE_CONSUMER_OFFSET: commits an offset for a known group and topic.
pub async fn update_consumer_offset(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: UpdateConsumerOffsetRequestHeader = header(req)?;
    if ctx.groups.find(&h.consumer_group).is_none() {
        return Err(Failure::new(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("Group {} not exist!", h.consumer_group),
        ));
    }
    let Some(tc) = ctx.topics.get(&h.topic) else {
        return Err(Failure::new(
            response_code::TOPIC_NOT_EXIST,
            format!("Topic {} not exist!", h.topic),
        ));
    };
    if h.queue_id < 0 || h.queue_id >= tc.read_queue_nums.max(tc.write_queue_nums) {
        return Err(Failure::new(
            response_code::INVALID_PARAMETER,
            format!(
                "queueId {} out of range for topic {} (read {}, write {})",
                h.queue_id, h.topic, tc.read_queue_nums, tc.write_queue_nums
            ),
        ));
    }
    ctx.offsets
        .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    reply(success(req))
}

/// GET_MAX_OFFSET: the next offset to be written in the queue.
pub async fn max_offset(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: GetMaxOffsetRequestHeader = header(req)?;
    let offset = ctx.store.max_offset_in_queue(&h.topic, h.queue_id);
    reply(success(req).with_header(&GetMaxOffsetResponseHeader { offset }))
}

/// GET_MIN_OFFSET: the first readable offset of the queue.
pub async fn min_offset(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: GetMinOffsetRequestHeader = header(req)?;
    let offset = ctx.store.min_offset_in_queue(&h.topic, h.queue_id);
    reply(success(req).with_header(&GetMinOffsetResponseHeader { offset }))
}

/// SEARCH_OFFSET_BY_TIMESTAMP: the queue offset for a store time; `boundaryType` LOWER (default) or UPPER.
pub async fn search_offset(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: SearchOffsetRequestHeader = header(req)?;
    let boundary = match h.boundary_type.as_deref() {
        Some(b) if b.eq_ignore_ascii_case("UPPER") => BoundaryType::Upper,
        _ => BoundaryType::Lower,
    };
    let offset = ctx
        .store
        .offset_by_time(&h.topic, h.queue_id, h.timestamp, boundary);
    reply(success(req).with_header(&SearchOffsetResponseHeader { offset }))
}

/// GET_EARLIEST_MSG_STORETIME: store time of the queue's first readable message; −1 when it has none.
pub async fn earliest_msg_storetime(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: GetEarliestMsgStoretimeRequestHeader = header(req)?;
    let timestamp = ctx
        .store
        .earliest_message_time_in_queue(&h.topic, h.queue_id)
        .unwrap_or(-1);
    reply(success(req).with_header(&GetEarliestMsgStoretimeResponseHeader { timestamp }))
}
