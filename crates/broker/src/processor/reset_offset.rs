//! INVOKE_BROKER_TO_RESET_OFFSET (222, remoting-protocol.md §7.7, §16.2): rewind (or forward) a consumer group on
//! a topic to a point in time.
//!
//! With `useServerSideResetOffset=true` (the 5.x default) the broker records the new offsets, commits them, and
//! answers the group's next pull of each queue with PULL_OFFSET_MOVED. Otherwise it pushes
//! RESET_CONSUMER_CLIENT_OFFSET (220, oneway) to every connected consumer of the group and lets them move.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferrocket_protocol::body::{MessageQueue, ResetOffsetBody, ResetOffsetBodyForC};
use ferrocket_protocol::codes::{request_code, response_code, version, LanguageCode};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::ResetOffsetRequestHeader;
use ferrocket_remoting::Connection;
use ferrocket_store::BoundaryType;

use super::{header, reply, success, Failure, Outcome};
use crate::BrokerContext;

/// The offset of a queue for `timestamp` (−1: the end of the queue).
fn offset_for_time(ctx: &BrokerContext, topic: &str, queue_id: i32, timestamp: i64) -> i64 {
    if timestamp == -1 {
        ctx.store.max_offset_in_queue(topic, queue_id)
    } else {
        ctx.store
            .offset_by_time(topic, queue_id, timestamp, BoundaryType::Lower)
    }
}

/// INVOKE_BROKER_TO_RESET_OFFSET.
pub async fn reset_offset(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: ResetOffsetRequestHeader = header(req)?;
    tracing::info!(
        group = %h.group,
        topic = %h.topic,
        queue = ?h.queue_id,
        timestamp = h.timestamp,
        offset = ?h.offset,
        force = h.is_force,
        "reset offset requested"
    );
    if ctx.config().use_server_side_reset_offset {
        server_side(ctx, req, &h)
    } else {
        push_to_consumers(ctx, req, &h, req.language == LanguageCode::Cpp)
    }
}

/// The server-side reset: offsets recorded for the next pulls, committed, answered as a ResetOffsetBody.
fn server_side(
    ctx: &BrokerContext,
    req: &RemotingCommand,
    h: &ResetOffsetRequestHeader,
) -> Outcome {
    if !ctx.is_master() {
        return Err(Failure::system("Can not reset offset in slave broker"));
    }
    let Some(topic) = ctx.topics.get_arc(&h.topic) else {
        return Err(Failure::new(
            response_code::TOPIC_NOT_EXIST,
            format!("Topic {} does not exist", h.topic),
        ));
    };
    let mut offsets: BTreeMap<i32, i64> = BTreeMap::new();
    match h.queue_id {
        Some(q) if q >= 0 => {
            let offset = match h.offset {
                Some(o) if o != -1 => {
                    let min = ctx.store.min_offset_in_queue(&h.topic, q);
                    let max = ctx.store.max_offset_in_queue(&h.topic, q);
                    if o < min || o > max + 1 {
                        return Err(Failure::system(format!(
                            "Target offset {o} not in consume queue range [{min}-{max}]"
                        )));
                    }
                    o
                }
                _ => offset_for_time(ctx, &h.topic, q, h.timestamp),
            };
            offsets.insert(q, offset);
        }
        _ => {
            for q in 0..topic.read_queue_nums {
                offsets.insert(q, offset_for_time(ctx, &h.topic, q, h.timestamp));
            }
        }
    }
    if offsets.is_empty() {
        return Err(Failure::system("No queues to reset."));
    }
    let broker_name = ctx.config().broker_name.clone();
    let mut body = ResetOffsetBody::default();
    for (&q, &offset) in &offsets {
        ctx.resets.assign(&h.group, &h.topic, q, offset);
        ctx.offsets.commit(&h.group, &h.topic, q, offset);
        body.offset_table.insert(
            MessageQueue::new(h.topic.clone(), broker_name.clone(), q),
            offset,
        );
    }
    // Parked long polls of these queues answer now, so the consumer hears of the reset at once rather than after
    // its suspend time.
    for &q in offsets.keys() {
        ctx.long_poll.notify(&h.topic, q, i64::MAX);
    }
    tracing::info!(group = %h.group, topic = %h.topic, ?offsets, "offsets reset; next pulls move there");
    reply(success(req).with_body(body.encode()))
}

/// The push reset (Apache's Broker2Client.resetOffset): new offsets per writable queue (not moved forward past
/// the group's offset unless forced), sent to each connected consumer of the group.
fn push_to_consumers(
    ctx: &BrokerContext,
    req: &RemotingCommand,
    h: &ResetOffsetRequestHeader,
    list_form: bool,
) -> Outcome {
    let Some(topic) = ctx.topics.get_arc(&h.topic) else {
        return Err(Failure::new(
            response_code::TOPIC_NOT_EXIST,
            format!(
                "[reset-offset] reset offset failed, no topic in this broker. topic={}",
                h.topic
            ),
        ));
    };
    let broker_name = ctx.config().broker_name.clone();
    let mut table: BTreeMap<MessageQueue, i64> = BTreeMap::new();
    for q in 0..topic.write_queue_nums {
        let Some(current) = ctx.offsets.query(&h.group, &h.topic, q) else {
            return Err(Failure::system(format!(
                "THe consumer group <{}> not exist",
                h.group
            )));
        };
        let target = offset_for_time(ctx, &h.topic, q, h.timestamp).max(0);
        let offset = if h.is_force || target < current {
            target
        } else {
            current
        };
        table.insert(
            MessageQueue::new(h.topic.clone(), broker_name.clone(), q),
            offset,
        );
    }
    let map_body = ResetOffsetBody {
        offset_table: table,
    };
    let push_body = if list_form {
        ResetOffsetBodyForC::from(&map_body).encode()
    } else {
        map_body.encode()
    };
    let channels = ctx
        .clients
        .consumer_group(&h.group)
        .map(|g| g.channels.into_values().collect::<Vec<_>>())
        .unwrap_or_default();
    if channels.is_empty() {
        return Err(Failure::new(
            response_code::CONSUMER_NOT_ONLINE,
            format!(
                "Consumer not online, so can not reset offset, Group: {} Topic: {} Timestamp: {}",
                h.group, h.topic, h.timestamp
            ),
        ));
    }
    if let Some(old) = channels
        .iter()
        .find(|c| c.version < version::V3_0_7_SNAPSHOT)
    {
        return Err(Failure::system(format!(
            "the client does not support this feature. version={}",
            version::name(old.version).unwrap_or("unknown")
        )));
    }
    let push_header = ResetOffsetRequestHeader {
        topic: h.topic.clone(),
        group: h.group.clone(),
        queue_id: Some(-1),
        offset: None,
        timestamp: h.timestamp,
        is_force: false,
    };
    for c in &channels {
        let push = RemotingCommand::request_with_header(
            request_code::RESET_CONSUMER_CLIENT_OFFSET,
            &push_header,
        )
        .with_body(push_body.clone());
        match c.conn.send_oneway(push) {
            Ok(()) => tracing::info!(
                group = %h.group,
                client = %c.client_id,
                "reset offset pushed to consumer"
            ),
            Err(e) => tracing::warn!(
                group = %h.group,
                client = %c.client_id,
                error = %e,
                "pushing the offset reset failed"
            ),
        }
    }
    reply(success(req).with_body(map_body.encode()))
}
