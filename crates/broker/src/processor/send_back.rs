//! CONSUMER_SEND_MSG_BACK (remoting-protocol.md §7.5): a consumer hands back a message it failed to consume. The
//! broker re-reads it by commit-log offset and stores a copy in `%RETRY%<group>` with a back-off delay level (the
//! schedule module parks it until due), or — once the group's retries are used up, or when asked with a negative
//! level — in the dead-letter topic `%DLQ%<group>`.

use std::sync::Arc;

use ferrocket_protocol::codes::{perm, response_code, version};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::ConsumerSendMsgBackRequestHeader;
use ferrocket_protocol::message::create_offset_msg_id;
use ferrocket_protocol::message::properties::{
    DELAY, DLQ_ORIGIN_MESSAGE_ID, DLQ_ORIGIN_TOPIC, ORIGIN_MESSAGE_ID, RETRY_TOPIC, UNIQ_KEY, WAIT,
};
use ferrocket_remoting::Connection;

use super::{header, reply, success, Failure, Outcome};
use crate::internal_message::{self, Delivery};
use crate::topic_validator;
use crate::BrokerContext;

/// Dead-letter topics have one queue (Apache's DLQ_NUMS_PER_GROUP).
pub const DLQ_QUEUE_NUMS: i32 = 1;
/// The first retry waits level 3 (10 s by default); each further retry one level more.
pub const RETRY_BASE_LEVEL: i32 = 3;

/// Where a handed-back message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackTarget {
    /// The retry topic, delivered after this delay level.
    Retry {
        delay_level: i32,
    },
    DeadLetter,
}

/// Apache's decision: DLQ when the message already used `max_reconsume` retries or the consumer asked with a
/// negative level; otherwise level `3 + reconsumeTimes` for 0, or the level asked for, clamped to `max_level`.
pub fn back_target(
    reconsume_times: i32,
    max_reconsume: i32,
    requested_level: i32,
    max_level: i32,
) -> BackTarget {
    if reconsume_times >= max_reconsume || requested_level < 0 {
        return BackTarget::DeadLetter;
    }
    let level = if requested_level == 0 {
        RETRY_BASE_LEVEL.saturating_add(reconsume_times)
    } else {
        requested_level
    };
    BackTarget::Retry {
        delay_level: level.clamp(1, max_level.max(1)),
    }
}

/// The number of delay levels this broker is configured with (18 by default).
pub fn max_delay_level(ctx: &BrokerContext) -> i32 {
    ctx.config()
        .store
        .delay_levels_ms()
        .map(|v| v.len() as i32)
        .unwrap_or(18)
}

/// The group's retry limit: `retryMaxTimes`, unless a client of V3_4_9 or later sent its own.
pub fn max_reconsume_times(group_max: i32, header_max: Option<i32>, client_version: i32) -> i32 {
    match header_max {
        Some(m) if client_version >= version::V3_4_9 => m,
        _ => group_max,
    }
}

/// `%DLQ%<group>` (one queue, perm RW), created when absent; NO_PERMISSION when it is not writable.
pub fn dead_letter_topic(ctx: &BrokerContext, group: &str) -> Result<String, Failure> {
    let topic = topic_validator::dlq_topic(group);
    let tc = ctx
        .topics
        .create_if_absent(&topic, DLQ_QUEUE_NUMS, perm::PERM_RW, 0);
    if !perm::is_writeable(tc.perm) {
        return Err(Failure::new(
            response_code::NO_PERMISSION,
            format!("the topic[{topic}] sending message is forbidden"),
        ));
    }
    Ok(topic)
}

/// CONSUMER_SEND_MSG_BACK.
pub async fn send_msg_back(
    ctx: &Arc<BrokerContext>,
    _conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h: ConsumerSendMsgBackRequestHeader = header(req)?;
    let config = ctx.config.load_full();
    let Some(group) = ctx.groups.find_or_create_arc(&h.group) else {
        return Err(Failure::new(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group not exist, {}", h.group),
        ));
    };
    if !perm::is_writeable(config.broker_permission) {
        return Err(Failure::new(
            response_code::NO_PERMISSION,
            format!(
                "the broker[{}] sending message is forbidden",
                config.broker_ip1
            ),
        ));
    }
    // A group without retry queues drops failed messages (Apache answers SUCCESS).
    if group.retry_queue_nums <= 0 {
        return reply(success(req));
    }
    let retry_topic = topic_validator::retry_topic(&h.group);
    let sys_flag = if h.unit_mode == Some(true) { 0x2 } else { 0 };
    let retry_config = ctx.topics.create_if_absent(
        &retry_topic,
        group.retry_queue_nums,
        perm::PERM_RW,
        sys_flag,
    );
    if !perm::is_writeable(retry_config.perm) {
        return Err(Failure::new(
            response_code::NO_PERMISSION,
            format!("the topic[{retry_topic}] sending message is forbidden"),
        ));
    }
    let Some((record, mut msg)) = internal_message::read_record(ctx, h.offset) else {
        return Err(Failure::system(format!(
            "look message by offset failed, {}",
            h.offset
        )));
    };
    let offset_msg_id = create_offset_msg_id(ctx.store_host, h.offset);
    drop(record);

    let original_topic = msg
        .property(RETRY_TOPIC)
        .map(str::to_owned)
        .unwrap_or_else(|| msg.topic.clone());
    if msg.property(RETRY_TOPIC).is_none() {
        msg.set_property(RETRY_TOPIC, &original_topic);
    }
    if msg.property(ORIGIN_MESSAGE_ID).is_none() {
        msg.set_property(ORIGIN_MESSAGE_ID, &offset_msg_id);
    }
    msg.set_property(WAIT, "false");

    let max_reconsume =
        max_reconsume_times(group.retry_max_times, h.max_reconsume_times, req.version);
    let target = back_target(
        msg.reconsume_times,
        max_reconsume,
        h.delay_level,
        max_delay_level(ctx),
    );
    let delivery = match target {
        BackTarget::DeadLetter => {
            msg.topic = dead_letter_topic(ctx, &h.group)?;
            msg.queue_id = 0;
            msg.clear_property(DELAY);
            msg.set_property(DLQ_ORIGIN_TOPIC, &original_topic);
            let origin_id = msg
                .property(UNIQ_KEY)
                .map(str::to_owned)
                .unwrap_or_else(|| offset_msg_id.clone());
            msg.set_property(DLQ_ORIGIN_MESSAGE_ID, &origin_id);
            tracing::info!(
                group = %h.group,
                topic = %original_topic,
                msg_id = %origin_id,
                reconsume_times = msg.reconsume_times,
                "message moved to the dead-letter queue"
            );
            Delivery::Direct
        }
        BackTarget::Retry { delay_level } => {
            msg.topic = retry_topic;
            msg.queue_id =
                (rand::random::<u32>() % retry_config.write_queue_nums.max(1) as u32) as i32;
            msg.set_property(DELAY, &delay_level.to_string());
            Delivery::Scheduled
        }
    };
    msg.reconsume_times = msg.reconsume_times.saturating_add(1);
    msg.prepared_transaction_offset = 0;
    internal_message::put(ctx, &msg, delivery).await?;
    reply(success(req))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_dead_letters() {
        use BackTarget::*;
        assert_eq!(back_target(0, 16, 0, 18), Retry { delay_level: 3 });
        assert_eq!(back_target(5, 16, 0, 18), Retry { delay_level: 8 });
        assert_eq!(back_target(15, 16, 0, 18), Retry { delay_level: 18 });
        assert_eq!(back_target(16, 16, 0, 18), DeadLetter, "retries used up");
        assert_eq!(back_target(0, 16, -1, 18), DeadLetter, "negative level");
        assert_eq!(
            back_target(2, 16, 7, 18),
            Retry { delay_level: 7 },
            "asked level"
        );
        assert_eq!(
            back_target(2, 16, 40, 18),
            Retry { delay_level: 18 },
            "clamped"
        );
        assert_eq!(back_target(14, 100, 0, 18), Retry { delay_level: 17 });
        assert_eq!(back_target(30, 100, 0, 18), Retry { delay_level: 18 });
        assert_eq!(back_target(3, 3, 0, 18), DeadLetter);
    }

    #[test]
    fn header_max_needs_a_recent_client() {
        assert_eq!(max_reconsume_times(16, Some(3), version::V5_3_3), 3);
        assert_eq!(max_reconsume_times(16, Some(3), version::V3_4_9), 3);
        assert_eq!(max_reconsume_times(16, Some(3), version::V3_0_11), 16);
        assert_eq!(max_reconsume_times(16, None, version::V5_3_3), 16);
    }
}
