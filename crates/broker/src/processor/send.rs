//! SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE (remoting-protocol.md §7.1, §11).
//!
//! Checks run in Apache's order (broker and topic rules, topic lookup or auto-creation, queue id), then the request
//! waits for a send slot (flow control), encodes its record(s) once and appends them with one store call. A
//! SYNC_FLUSH wait happens after the slot is released, so slow disks do not hold up other senders' appends.

use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::body::{TopicConfig, TopicFilterType};
use ferrocket_protocol::codes::{perm, request_code, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{SendMessageRequestHeader, SendMessageResponseHeader};
use ferrocket_protocol::message::create_offset_msg_id;
use ferrocket_protocol::message::properties::{
    self, DELAY, DLQ_ORIGIN_MESSAGE_ID, DLQ_ORIGIN_TOPIC, RETRY_TOPIC, TRAN_MSG, UNIQ_KEY, WAIT,
};
use ferrocket_protocol::message::sysflag;
use ferrocket_remoting::Connection;
use ferrocket_store::{PutMessageResult, PutMessageStatus};

use super::{send_back, Failure, Outcome};
use crate::config::BrokerConfig;
use crate::flow_control::{Family, REJECT_REQUEST_REMARK};
use crate::internal_message::with_property;
use crate::message_build::{self, RecordMeta};
use crate::topic_validator;
use crate::transaction;
use crate::BrokerContext;

/// SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE.
pub async fn send_message(
    ctx: &Arc<BrokerContext>,
    conn: &Arc<Connection>,
    req: &RemotingCommand,
) -> Outcome {
    let h = SendMessageRequestHeader::from_command(req)?;
    let config = ctx.config.load_full();
    let batch = req.code == request_code::SEND_BATCH_MESSAGE;

    // Apache's rejectRequest: refuse before queueing while the append lock is held too long.
    if ctx.store.is_os_page_cache_busy() {
        return Err(Failure::new(
            response_code::SYSTEM_BUSY,
            REJECT_REQUEST_REMARK,
        ));
    }
    check_request(&config, &h, req, batch)?;
    let topic = topic_for_send(ctx, &h)?;
    if !perm::is_writeable(topic.perm) {
        return Err(Failure::new(
            response_code::NO_PERMISSION,
            format!("the topic[{}] sending message is forbidden", h.topic),
        ));
    }
    let queue_id = pick_queue(&topic, h.queue_id)?;
    if batch {
        // A batch is stored as sent, so none of its messages could be parked: refuse delayed ones outright.
        crate::schedule::batch::refuse_deferred(
            ctx,
            h.properties.as_deref().unwrap_or(""),
            &req.body,
        )?;
    }

    let max_wait = config
        .broker_fast_failure_enable
        .then(|| Duration::from_millis(config.wait_time_mills_in_send_queue));
    let slot = ctx.flow.run_slot(Family::Send, max_wait).await?;

    let mut sys_flag = h.sys_flag;
    if topic.topic_filter_type == TopicFilterType::MultiTag {
        sys_flag |= sysflag::MULTI_TAGS;
    }
    let meta = RecordMeta {
        topic: &h.topic,
        queue_id,
        sys_flag,
        born_timestamp: h.born_timestamp,
        born_host: conn.peer_addr(),
        store_host: ctx.store_host,
        reconsume_times: h.reconsume_times.unwrap_or(0),
    };
    let client_props = h.properties.as_deref().unwrap_or("");
    let (result, uniq_key, wait) = if batch {
        let (records, _) = message_build::encode_batch(
            &meta,
            &req.body,
            &config.broker_cluster_name,
            config.store.max_message_size as usize,
        )?;
        let result = ctx.store.put_messages(records);
        // The batch's own properties (not copied into the records) say whether to wait and carry the batch id.
        let uniq = properties::get(client_props, UNIQ_KEY).map(str::to_owned);
        let wait = properties::get(client_props, WAIT) != Some("false");
        (result, uniq, wait)
    } else {
        let mut props = message_build::stored_properties(client_props, &config.broker_cluster_name);
        // A retry message out of retries (or of a group consuming orderly) becomes a dead letter; a half message
        // is parked in the half topic. Neither is delayed.
        let mut target = StoreTarget::AsSent;
        if topic_validator::is_retry_topic(&h.topic) {
            if let Some(dlq) = retry_to_dead_letter(ctx, &h, req.version)? {
                props = dead_letter_properties(&props);
                target = StoreTarget::Elsewhere(dlq, 0);
            }
        }
        let half = half_message(&config, &h, sys_flag, &props)?;
        if half {
            props = transaction::half::half_properties(&props, &h, queue_id);
            sys_flag = sysflag::reset_transaction_type(sys_flag, sysflag::TRANSACTION_NOT_TYPE);
            target = StoreTarget::Elsewhere(topic_validator::TRANS_HALF_TOPIC.to_string(), 0);
        }
        let meta = match &target {
            StoreTarget::AsSent => meta,
            StoreTarget::Elsewhere(topic, queue) => RecordMeta {
                topic,
                queue_id: *queue,
                sys_flag,
                ..meta
            },
        };
        // Delay-level and timer messages are stored under the schedule/timer topic with their real destination
        // kept in properties; everything else goes where it was sent.
        let redirect = match target {
            StoreTarget::AsSent => crate::schedule::redirect_for_delivery(ctx, &meta, &props)?,
            StoreTarget::Elsewhere(..) => None,
        };
        let (meta, props) = match &redirect {
            Some(r) => (
                RecordMeta {
                    topic: &r.topic,
                    queue_id: r.queue_id,
                    ..meta
                },
                r.properties.as_str(),
            ),
            None => (meta, props.as_str()),
        };
        let mut record = bytes::BytesMut::new();
        message_build::encode_record(&mut record, &meta, h.flag, &req.body, props)?;
        // The store reads WAIT from the record itself.
        let result = ctx.store.put_message(record);
        let uniq = properties::get(props, UNIQ_KEY).map(str::to_owned);
        (result, uniq, true)
    };
    drop(slot);

    let mut result = result;
    if let (Some(offset), true) = (result.flush_wait_offset, wait) {
        let limit = Duration::from_millis(config.store.sync_flush_timeout);
        if !ctx.store.wait_flushed(offset, limit).await {
            result.status = PutMessageStatus::FlushDiskTimeout;
        }
    }
    respond(ctx, &config, req, queue_id, uniq_key, &result)
}

/// Checks that need neither the topic table nor the store.
fn check_request(
    config: &BrokerConfig,
    h: &SendMessageRequestHeader,
    req: &RemotingCommand,
    batch: bool,
) -> Result<(), Failure> {
    if !perm::is_writeable(config.broker_permission) {
        return Err(Failure::new(
            response_code::NO_PERMISSION,
            format!(
                "the broker[{}] sending message is forbidden",
                config.broker_ip1
            ),
        ));
    }
    topic_validator::validate_topic(&h.topic)
        .map_err(|remark| Failure::new(response_code::INVALID_PARAMETER, remark))?;
    if topic_validator::is_not_allowed_send_topic(&h.topic) {
        return Err(Failure::new(
            response_code::NO_PERMISSION,
            format!("Sending message to topic[{}] is forbidden.", h.topic),
        ));
    }
    let max = config.store.max_message_size as usize;
    if req.body.len() > max {
        return Err(Failure::new(
            response_code::MESSAGE_ILLEGAL,
            format!(
                "the message body size {} exceeds the limit maxMessageSize {max}",
                req.body.len()
            ),
        ));
    }
    let props = h.properties.as_deref().unwrap_or("");
    if props.len() > properties::MAX_PROPERTIES_LEN {
        return Err(Failure::new(
            response_code::MESSAGE_ILLEGAL,
            format!(
                "the message properties size {} exceeds the limit {}",
                props.len(),
                properties::MAX_PROPERTIES_LEN
            ),
        ));
    }
    if batch && topic_validator::is_retry_topic(&h.topic) {
        return Err(Failure::new(
            response_code::MESSAGE_ILLEGAL,
            format!("batch request does not support retry group {}", h.topic),
        ));
    }
    if batch && is_transactional(h.sys_flag, props) {
        return Err(Failure::new(
            response_code::MESSAGE_ILLEGAL,
            "batch request does not support transaction message",
        ));
    }
    Ok(())
}

/// Where a single message is stored instead of its topic and queue (before the delay hook).
enum StoreTarget {
    AsSent,
    Elsewhere(String, i32),
}

/// A half message of a transaction: `TRAN_MSG=true` (what Java clients set), or the PREPARED sysFlag.
fn is_transactional(sys_flag: i32, props: &str) -> bool {
    properties::get(props, TRAN_MSG).is_some_and(|v| v.eq_ignore_ascii_case("true"))
        || sysflag::transaction_type(sys_flag) == sysflag::TRANSACTION_PREPARED_TYPE
}

/// Whether to store the message as a half message; NO_PERMISSION when the broker rejects transactions. Like
/// Apache, a resent retry with a delay level is not treated as half (clients before 4.6.1 kept TRAN_MSG on it).
fn half_message(
    config: &BrokerConfig,
    h: &SendMessageRequestHeader,
    sys_flag: i32,
    props: &str,
) -> Result<bool, Failure> {
    if !is_transactional(sys_flag, props) {
        return Ok(false);
    }
    let delayed = properties::get(props, DELAY)
        .and_then(|d| d.trim().parse::<i32>().ok())
        .is_some_and(|d| d > 0);
    if h.reconsume_times.unwrap_or(0) > 0 && delayed {
        return Ok(false);
    }
    if config.reject_transaction_message {
        return Err(Failure::new(
            response_code::NO_PERMISSION,
            format!(
                "the broker[{}] sending transaction message is forbidden",
                config.broker_ip1
            ),
        ));
    }
    Ok(true)
}

/// A resent retry turned dead letter: `DELAY=-1` as Apache marks it, and where it came from (`DLQ_ORIGIN_TOPIC`
/// from `RETRY_TOPIC`, `DLQ_ORIGIN_MESSAGE_ID` = its UNIQ_KEY) like a dead letter made by CONSUMER_SEND_MSG_BACK.
fn dead_letter_properties(props: &str) -> String {
    let mut out = with_property(props, DELAY, Some("-1"));
    if let Some(origin) = properties::get(props, RETRY_TOPIC) {
        out = with_property(&out, DLQ_ORIGIN_TOPIC, Some(origin));
    }
    if let Some(id) = properties::get(props, UNIQ_KEY) {
        out = with_property(&out, DLQ_ORIGIN_MESSAGE_ID, Some(id));
    }
    out
}

/// §7.1's rule for a message sent to `%RETRY%<group>`: past the retry limit (the group's `retryMaxTimes`, or the
/// client's for V3_4_9 and later), or while the group holds ordered-consumption locks, it goes to `%DLQ%<group>`
/// queue 0. Returns that topic, or `None` to store the message where it was sent.
fn retry_to_dead_letter(
    ctx: &BrokerContext,
    h: &SendMessageRequestHeader,
    client_version: i32,
) -> Result<Option<String>, Failure> {
    let group = &h.topic[topic_validator::RETRY_GROUP_TOPIC_PREFIX.len()..];
    let Some(group_config) = ctx.groups.find_or_create_arc(group) else {
        return Err(Failure::new(
            response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
            format!("subscription group not exist, {group}"),
        ));
    };
    let max = send_back::max_reconsume_times(
        group_config.retry_max_times,
        h.max_reconsume_times,
        client_version,
    );
    let reconsume_times = h.reconsume_times.unwrap_or(0);
    let locked = ctx.locks.has_live_lock(group);
    if reconsume_times <= max && !locked {
        return Ok(None);
    }
    tracing::info!(
        group,
        reconsume_times,
        max,
        locked,
        "retry message sent to the dead-letter queue"
    );
    send_back::dead_letter_topic(ctx, group).map(Some)
}

/// The topic's config, auto-created from the request's template topic (normally TBW102) when unknown and the
/// template allows it (PERM_INHERIT; TBW102 loses it while `autoCreateTopicEnable` is off).
fn topic_for_send(
    ctx: &BrokerContext,
    h: &SendMessageRequestHeader,
) -> Result<Arc<TopicConfig>, Failure> {
    if let Some(tc) = ctx.topics.get_arc(&h.topic) {
        return Ok(tc);
    }
    let sys_flag = if h.unit_mode == Some(true) { 1 } else { 0 };
    if topic_validator::is_retry_topic(&h.topic) {
        // A client resending to a retry topic the broker does not know yet (Apache creates it with one queue).
        let tc = ctx
            .topics
            .create_if_absent(&h.topic, 1, perm::PERM_RW, sys_flag);
        return Ok(Arc::new(tc));
    }
    match ctx.topics.create_from_template(
        &h.topic,
        &h.default_topic,
        h.default_topic_queue_nums.max(1),
        sys_flag,
    ) {
        // A created topic wakes the registrar through the manager's change notification.
        Some(tc) => Ok(Arc::new(tc)),
        None => Err(Failure::new(
            response_code::TOPIC_NOT_EXIST,
            format!("topic[{}] not exist, apply first please!", h.topic),
        )),
    }
}

/// The queue to write: the requested one, or a random writable one when negative.
fn pick_queue(topic: &TopicConfig, requested: i32) -> Result<i32, Failure> {
    if requested < 0 {
        let n = topic.write_queue_nums.max(1);
        return Ok((rand::random::<u32>() % n as u32) as i32);
    }
    let valid = topic.write_queue_nums.max(topic.read_queue_nums);
    if requested >= valid {
        return Err(Failure::new(
            response_code::INVALID_PARAMETER,
            format!(
                "request queueId[{requested}] is illegal, topic:[{}] topicConfig.writeQueueNums:[{}] \
                 topicConfig.readQueueNums:[{}]",
                topic.topic_name, topic.write_queue_nums, topic.read_queue_nums
            ),
        ));
    }
    Ok(requested)
}

/// The response for a store result (Apache's handlePutMessageResult).
fn respond(
    ctx: &BrokerContext,
    config: &BrokerConfig,
    req: &RemotingCommand,
    queue_id: i32,
    uniq_key: Option<String>,
    r: &PutMessageResult,
) -> Outcome {
    let code = match r.status {
        PutMessageStatus::PutOk => response_code::SUCCESS,
        PutMessageStatus::FlushDiskTimeout => response_code::FLUSH_DISK_TIMEOUT,
        PutMessageStatus::FlushSlaveTimeout => response_code::FLUSH_SLAVE_TIMEOUT,
        PutMessageStatus::SlaveNotAvailable => response_code::SLAVE_NOT_AVAILABLE,
        PutMessageStatus::ServiceNotAvailable => {
            return Err(Failure::new(
                response_code::SERVICE_NOT_AVAILABLE,
                service_not_available_remark(ctx),
            ))
        }
        PutMessageStatus::OsPageCacheBusy => {
            return Err(Failure::new(
                response_code::SYSTEM_BUSY,
                "[PC_SYNCHRONIZED]broker busy, start flow control for a while",
            ))
        }
        PutMessageStatus::MessageIllegal | PutMessageStatus::PropertiesSizeExceeded => {
            return Err(Failure::new(
                response_code::MESSAGE_ILLEGAL,
                format!(
                    "the message is illegal, maybe msg body or properties length not matched: {}",
                    r.remark.as_deref().unwrap_or(r.status.name())
                ),
            ))
        }
        PutMessageStatus::CreateMappedFileFailed => {
            return Err(Failure::system(format!(
                "create mapped file failed, server is busy or broken: {}",
                r.remark.as_deref().unwrap_or("")
            )))
        }
        PutMessageStatus::UnknownError => {
            return Err(Failure::system(format!(
                "UNKNOWN_ERROR {}",
                r.remark.as_deref().unwrap_or("")
            )))
        }
    };
    let msg_id = if r.batch_phys_offsets.is_empty() {
        create_offset_msg_id(ctx.store_host, r.phys_offset)
    } else {
        let mut ids = String::with_capacity(r.batch_phys_offsets.len() * 33);
        for (i, off) in r.batch_phys_offsets.iter().enumerate() {
            if i > 0 {
                ids.push(',');
            }
            ids.push_str(&create_offset_msg_id(ctx.store_host, *off));
        }
        ids
    };
    let header = SendMessageResponseHeader {
        msg_id,
        queue_id,
        queue_offset: r.queue_offset,
        transaction_id: uniq_key,
        batch_uniq_id: None,
        recall_handle: None,
        msg_region: Some(config.region_id.clone()),
        trace_on: Some(if config.trace_on { "true" } else { "false" }.to_string()),
    };
    let remark = (code != response_code::SUCCESS).then(|| r.status.name().to_string());
    super::reply(RemotingCommand::response_to(req, code, remark).with_header(&header))
}

/// Apache's SERVICE_NOT_AVAILABLE remark (disk full, slave, or store shut down).
fn service_not_available_remark(ctx: &BrokerContext) -> String {
    let s = ctx.store.stats();
    format!(
        "service not available now. It may be caused by one of the following reasons: the broker's disk is full \
         [CL: {:5.2} CQ: {:5.2} INDEX: {:5.2}], messages are put to the slave, message store has been shut down, etc.",
        s.commit_log_disk_ratio, s.consume_queue_disk_ratio, s.consume_queue_disk_ratio
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topic(read: i32, write: i32) -> TopicConfig {
        TopicConfig {
            topic_name: "T".into(),
            read_queue_nums: read,
            write_queue_nums: write,
            ..TopicConfig::default()
        }
    }

    #[test]
    fn queue_choice() {
        let t = topic(4, 2);
        assert_eq!(pick_queue(&t, 3).unwrap(), 3, "below max(read, write)");
        assert_eq!(
            pick_queue(&t, 4).unwrap_err().code,
            response_code::INVALID_PARAMETER
        );
        for _ in 0..100 {
            let q = pick_queue(&t, -1).unwrap();
            assert!((0..2).contains(&q), "random among writable queues: {q}");
        }
    }
}
