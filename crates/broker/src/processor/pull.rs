//! PULL_MESSAGE and LITE_PULL_MESSAGE (remoting-protocol.md §7.2), with long polling.
//!
//! A pull is checked once ([`PullPlan::prepare`]), then executed against the store ([`execute`], synchronous, no
//! locks held across awaits). A PULL_NOT_FOUND with the SUSPEND bit parks the request on the long-poll service
//! until a message arrives for its queue or the suspend time passes, then runs it again without suspension. The
//! response body is the stored records as slices of the mapped commit log: nothing is copied.

use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::body::{SubscriptionData, SUB_ALL};
use ferrocket_protocol::codes::{perm, pull_sys_flag, request_code, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use ferrocket_protocol::message::java_string_hash;
use ferrocket_remoting::{Connection, Response};
use ferrocket_store::{GetMessageResult, GetMessageStatus};

use super::{header, Failure, Outcome};
use crate::config::BrokerConfig;
use crate::flow_control::{Family, Ticket};
use crate::long_poll::WakeReason;
use crate::sql_filter::{self, PropertyFilter};
use crate::topic_validator;
use crate::BrokerContext;

/// Which messages a pull wants, by consume-queue tags code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagMatch {
    All,
    /// Java hash codes of the subscribed tags (a message matches when its code, as i32, is one of them).
    Codes(Vec<i32>),
}

impl TagMatch {
    /// Parses a TAG expression as Java clients build it: `*` or empty → all; else tags split on `||`, trimmed.
    pub fn parse(expression: &str) -> Self {
        let expression = expression.trim();
        if expression.is_empty() || expression == SUB_ALL {
            return TagMatch::All;
        }
        let codes: Vec<i32> = expression
            .split("||")
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(java_string_hash)
            .collect();
        if codes.is_empty() {
            TagMatch::All
        } else {
            TagMatch::Codes(codes)
        }
    }

    fn from_subscription(s: &SubscriptionData) -> Self {
        if s.class_filter_mode || s.sub_string.trim() == SUB_ALL {
            return TagMatch::All;
        }
        if !s.code_set.is_empty() {
            return TagMatch::Codes(s.code_set.clone());
        }
        TagMatch::parse(&s.sub_string)
    }

    pub fn matches(&self, tags_code: i64) -> bool {
        match self {
            TagMatch::All => true,
            // Java compares `tagsCode.intValue()`.
            TagMatch::Codes(codes) => codes.contains(&(tags_code as i32)),
        }
    }
}

/// A validated pull: what to read and how to answer.
#[derive(Debug, Clone)]
pub struct PullPlan {
    pub topic: String,
    pub queue_id: i32,
    pub max_msgs: usize,
    pub max_bytes: usize,
    pub filter: TagMatch,
    /// Applied to the records read (SQL92 subscriptions, retry topics with `filterSupportRetry`).
    pub property_filter: Option<PropertyFilter>,
    pub topic_sys_flag: i32,
    pub group_sys_flag: i32,
    /// Broker id to suggest when the data is cold and slave reads are enabled.
    pub slow_broker_id: i64,
    pub group_broker_id: i64,
}

impl PullPlan {
    /// Apache's checks, in its order: broker readable, lite pull allowed, group, topic, queue id, subscription.
    pub fn prepare(
        ctx: &BrokerContext,
        config: &BrokerConfig,
        h: &PullMessageRequestHeader,
        code: i32,
    ) -> Result<Self, Failure> {
        if !perm::is_readable(config.broker_permission) {
            return Err(Failure::new(
                response_code::NO_PERMISSION,
                format!(
                    "the broker[{}] pulling message is forbidden",
                    config.broker_ip1
                ),
            ));
        }
        if code == request_code::LITE_PULL_MESSAGE && !config.lite_pull_message_enable {
            return Err(Failure::new(
                response_code::NO_PERMISSION,
                format!(
                    "the broker[{}] for lite pull consumer is forbidden",
                    config.broker_ip1
                ),
            ));
        }
        let Some(group) = ctx.groups.find_or_create_arc(&h.consumer_group) else {
            return Err(Failure::new(
                response_code::SUBSCRIPTION_GROUP_NOT_EXIST,
                format!("subscription group [{}] does not exist", h.consumer_group),
            ));
        };
        if !group.consume_enable {
            return Err(Failure::new(
                response_code::NO_PERMISSION,
                format!("subscription group no permission, {}", h.consumer_group),
            ));
        }
        let Some(topic) = ctx.topics.get_arc(&h.topic) else {
            return Err(Failure::new(
                response_code::TOPIC_NOT_EXIST,
                format!("topic[{}] not exist, apply first please!", h.topic),
            ));
        };
        if !perm::is_readable(topic.perm) {
            return Err(Failure::new(
                response_code::NO_PERMISSION,
                format!("the topic[{}] pulling message is forbidden", h.topic),
            ));
        }
        if h.queue_id < 0 || h.queue_id >= topic.read_queue_nums {
            return Err(Failure::new(
                response_code::INVALID_PARAMETER,
                format!(
                    "queueId[{}] is illegal, topic:[{}] topicConfig.readQueueNums:[{}] consumer:[{}]",
                    h.queue_id, h.topic, topic.read_queue_nums, h.consumer_group
                ),
            ));
        }
        let sql = |sub_version: i64, expression_type: &str, source: &str| {
            sql_filter::for_subscription(
                ctx,
                config,
                &h.consumer_group,
                &h.topic,
                sub_version,
                expression_type,
                source,
            )
        };
        let (filter, mut property_filter) = if h.sys_flag & pull_sys_flag::SUBSCRIPTION != 0 {
            let expression = h.subscription.as_deref().unwrap_or("");
            match h.expression_type.as_deref() {
                t if sql_filter::is_tag_type(t) => (TagMatch::parse(expression), None),
                t => (
                    TagMatch::All,
                    Some(sql(h.sub_version, t.unwrap_or(""), expression)?),
                ),
            }
        } else {
            let Some(sub) = ctx.clients.subscription(&h.consumer_group, &h.topic) else {
                return Err(Failure::new(
                    response_code::SUBSCRIPTION_NOT_EXIST,
                    format!(
                        "the consumer's subscription not exist, group: {} topic: {}",
                        h.consumer_group, h.topic
                    ),
                ));
            };
            if sub.sub_version < h.sub_version {
                return Err(Failure::new(
                    response_code::SUBSCRIPTION_NOT_LATEST,
                    format!(
                        "the consumer's subscription not latest, group: {} topic: {}",
                        h.consumer_group, h.topic
                    ),
                ));
            }
            if sql_filter::is_tag_type(Some(&sub.expression_type)) {
                (TagMatch::from_subscription(&sub), None)
            } else {
                (
                    TagMatch::All,
                    Some(sql(sub.sub_version, &sub.expression_type, &sub.sub_string)?),
                )
            }
        };
        if property_filter.is_none()
            && config.enable_property_filter
            && config.filter_support_retry
            && topic_validator::is_retry_topic(&h.topic)
        {
            property_filter = Some(PropertyFilter::RetryOf {
                group: h.consumer_group.clone(),
            });
        }
        let count_limit = config
            .max_transfer_count_on_message_in_memory
            .clamp(1, i32::MAX as u32);
        let max_msgs = h.max_msg_nums.clamp(1, count_limit as i32) as usize;
        let mut max_bytes = config.max_transfer_bytes_on_message_in_memory.max(1) as usize;
        if let Some(b) = h.max_msg_bytes.filter(|b| *b > 0) {
            max_bytes = max_bytes.min(b as usize);
        }
        Ok(PullPlan {
            topic: h.topic.clone(),
            queue_id: h.queue_id,
            max_msgs,
            max_bytes,
            filter,
            property_filter,
            topic_sys_flag: topic.topic_sys_flag,
            group_sys_flag: group.group_sys_flag,
            slow_broker_id: group.which_broker_when_consume_slowly,
            group_broker_id: group.broker_id,
        })
    }
}

/// The response code and next offset for a store result (the table of §7.2). `correct_offsets` is false on a slave
/// without `offsetCheckInSlave`: such a slave keeps the request offset and asks for a retry instead of moving it.
pub fn status_code(
    status: GetMessageStatus,
    request_offset: i64,
    store_next: i64,
    correct_offsets: bool,
) -> (i32, i64) {
    use GetMessageStatus as S;
    let (code, next) = match status {
        S::Found => return (response_code::SUCCESS, store_next),
        S::NoMatchedLogicQueue | S::NoMessageInQueue => {
            if request_offset != 0 {
                (response_code::PULL_OFFSET_MOVED, store_next)
            } else {
                (response_code::PULL_NOT_FOUND, store_next)
            }
        }
        S::OffsetOverflowOne => (response_code::PULL_NOT_FOUND, store_next),
        S::OffsetTooSmall | S::OffsetOverflowBadly => {
            (response_code::PULL_OFFSET_MOVED, store_next)
        }
        S::NoMatchedMessage | S::MessageWasRemoving | S::OffsetFoundNull => {
            (response_code::PULL_RETRY_IMMEDIATELY, store_next)
        }
    };
    if correct_offsets {
        (code, next)
    } else if code == response_code::PULL_OFFSET_MOVED {
        (response_code::PULL_RETRY_IMMEDIATELY, request_offset)
    } else {
        (code, request_offset)
    }
}

/// Reads from the store and builds the response. Synchronous: the store read is a few memory lookups.
pub fn execute(
    ctx: &BrokerContext,
    config: &BrokerConfig,
    plan: &PullPlan,
    offset: i64,
    req: &RemotingCommand,
) -> (i32, Response) {
    let filter = |code: i64| plan.filter.matches(code);
    let filter_ref: &dyn Fn(i64) -> bool = &filter;
    let mut result: GetMessageResult = ctx.store.get_message(
        &plan.topic,
        plan.queue_id,
        offset,
        plan.max_msgs,
        plan.max_bytes,
        match plan.filter {
            TagMatch::All => None,
            TagMatch::Codes(_) => Some(filter_ref),
        },
    );
    if let (Some(pf), GetMessageStatus::Found) = (&plan.property_filter, result.status) {
        apply_property_filter(ctx, pf, &mut result);
    }
    let correct = !config.is_slave() || config.offset_check_in_slave;
    let (code, next) = status_code(result.status, offset, result.next_begin_offset, correct);
    let suggest = if config.slave_read_enable {
        if result.suggest_pull_from_slave {
            plan.slow_broker_id
        } else {
            plan.group_broker_id
        }
    } else {
        0
    };
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: suggest,
        next_begin_offset: next,
        min_offset: result.min_offset,
        max_offset: result.max_offset,
        offset_delta: None,
        topic_sys_flag: Some(plan.topic_sys_flag),
        group_sys_flag: Some(plan.group_sys_flag),
        forbidden_type: None,
    };
    let cmd = RemotingCommand::response_to(req, code, Some(result.status.name().to_string()))
        .with_header(&header);
    let chunks = if code == response_code::SUCCESS {
        result.messages
    } else {
        Vec::new()
    };
    (code, Response::with_chunks(cmd, chunks))
}

/// Drops the records the property filter rejects. The store's next offset stays: the skipped records are
/// consumed. When none is left the pull answers PULL_RETRY_IMMEDIATELY from that offset (NO_MATCHED_MESSAGE).
fn apply_property_filter(ctx: &BrokerContext, pf: &PropertyFilter, result: &mut GetMessageResult) {
    let mut kept_bytes = 0usize;
    let mut messages = Vec::with_capacity(result.messages.len());
    let mut offsets = Vec::with_capacity(result.queue_offsets.len());
    for (record, offset) in result
        .messages
        .drain(..)
        .zip(result.queue_offsets.drain(..))
    {
        if pf.matches(ctx, &record) {
            kept_bytes += record.len();
            messages.push(record);
            offsets.push(offset);
        }
    }
    result.messages = messages;
    result.queue_offsets = offsets;
    result.total_bytes = kept_bytes;
    if result.messages.is_empty() {
        result.status = GetMessageStatus::NoMatchedMessage;
    }
}

/// The answer to a pull of a queue whose offset was reset on the broker (§7.2's last row): PULL_OFFSET_MOVED to
/// the new offset.
fn offset_reset_response(
    ctx: &BrokerContext,
    plan: &PullPlan,
    req: &RemotingCommand,
    offset: i64,
) -> Response {
    let header = PullMessageResponseHeader {
        suggest_which_broker_id: 0,
        next_begin_offset: offset,
        min_offset: ctx.store.min_offset_in_queue(&plan.topic, plan.queue_id),
        max_offset: ctx.store.max_offset_in_queue(&plan.topic, plan.queue_id),
        offset_delta: None,
        topic_sys_flag: Some(plan.topic_sys_flag),
        group_sys_flag: Some(plan.group_sys_flag),
        forbidden_type: None,
    };
    RemotingCommand::response_to(
        req,
        response_code::PULL_OFFSET_MOVED,
        Some("OFFSET_RESET".to_string()),
    )
    .with_header(&header)
    .into()
}

/// PULL_MESSAGE and LITE_PULL_MESSAGE. `ticket` is the request's flow-control place; it is given back while the
/// request is parked, so parked pulls never count against `pullThreadPoolQueueCapacity`.
pub async fn pull_message(
    ctx: &Arc<BrokerContext>,
    conn: &Arc<Connection>,
    req: &RemotingCommand,
    ticket: Ticket,
) -> Outcome {
    let h: PullMessageRequestHeader = header(req)?;
    let config = ctx.config.load_full();
    let plan = PullPlan::prepare(ctx, &config, &h, req.code)?;

    if config.use_server_side_reset_offset {
        // The consumer's commit offset predates the reset: do not store it.
        if let Some(offset) = ctx.resets.take(&h.consumer_group, &h.topic, h.queue_id) {
            return Ok(Some(offset_reset_response(ctx, &plan, req, offset)));
        }
    }
    if h.sys_flag & pull_sys_flag::COMMIT_OFFSET != 0 && ctx.is_master() && h.commit_offset >= 0 {
        ctx.offsets
            .commit(&h.consumer_group, &h.topic, h.queue_id, h.commit_offset);
    }

    let max_wait = config
        .broker_fast_failure_enable
        .then(|| Duration::from_millis(config.wait_time_mills_in_pull_queue));
    let slot = ctx.flow.run_slot(Family::Pull, max_wait).await?;
    let (code, resp) = execute(ctx, &config, &plan, h.queue_offset, req);
    drop(slot);

    let suspend = h.sys_flag & pull_sys_flag::SUSPEND != 0;
    if code != response_code::PULL_NOT_FOUND || !suspend {
        return Ok(Some(resp));
    }
    let hold_ms = if config.long_polling_enable {
        h.suspend_timeout_millis
    } else {
        config.short_polling_time_mills as i64
    };
    if hold_ms <= 0 {
        return Ok(Some(resp));
    }
    drop(ticket);
    let hold = Duration::from_millis(hold_ms as u64);
    if config.long_polling_enable {
        let parked = ctx.long_poll.park(&h.topic, h.queue_id, h.queue_offset);
        // A message may have arrived between the read above and the registration.
        if ctx.store.max_offset_in_queue(&h.topic, h.queue_id) <= h.queue_offset {
            tokio::select! {
                reason = parked.wait(hold) => {
                    tracing::trace!(?reason, topic = %h.topic, queue = h.queue_id, "long poll ended");
                    if reason == WakeReason::Released {
                        return Ok(Some(resp));
                    }
                }
                _ = conn.closed() => return Ok(None),
            }
        }
    } else {
        // Short polling: hold, then look again (Apache's behaviour with longPollingEnable=false).
        tokio::select! {
            _ = tokio::time::sleep(hold) => {}
            _ = conn.closed() => return Ok(None),
        }
    }
    // Woken by an offset reset of this queue (or anything else): the reset is the answer.
    if config.use_server_side_reset_offset {
        if let Some(offset) = ctx.resets.take(&h.consumer_group, &h.topic, h.queue_id) {
            return Ok(Some(offset_reset_response(ctx, &plan, req, offset)));
        }
    }
    let (_, resp) = execute(ctx, &config, &plan, h.queue_offset, req);
    Ok(Some(resp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use GetMessageStatus as S;

    #[test]
    fn expressions() {
        assert_eq!(TagMatch::parse("*"), TagMatch::All);
        assert_eq!(TagMatch::parse(" "), TagMatch::All);
        assert_eq!(
            TagMatch::parse("TagA || TagB"),
            TagMatch::Codes(vec![java_string_hash("TagA"), java_string_hash("TagB")])
        );
        let m = TagMatch::parse("TagA||TagB");
        assert!(m.matches(i64::from(java_string_hash("TagB"))));
        assert!(
            !m.matches(0),
            "untagged messages do not match a tag subscription"
        );
        assert!(TagMatch::All.matches(12345));
    }

    #[test]
    fn status_table() {
        let c = |s, off, next| status_code(s, off, next, true);
        assert_eq!(c(S::Found, 0, 5), (response_code::SUCCESS, 5));
        assert_eq!(
            c(S::NoMessageInQueue, 0, 0),
            (response_code::PULL_NOT_FOUND, 0)
        );
        assert_eq!(
            c(S::NoMessageInQueue, 3, 0),
            (response_code::PULL_OFFSET_MOVED, 0)
        );
        assert_eq!(
            c(S::NoMatchedLogicQueue, 0, 0),
            (response_code::PULL_NOT_FOUND, 0)
        );
        assert_eq!(
            c(S::OffsetTooSmall, 1, 10),
            (response_code::PULL_OFFSET_MOVED, 10)
        );
        assert_eq!(
            c(S::OffsetOverflowOne, 7, 7),
            (response_code::PULL_NOT_FOUND, 7)
        );
        assert_eq!(
            c(S::OffsetOverflowBadly, 99, 7),
            (response_code::PULL_OFFSET_MOVED, 7)
        );
        assert_eq!(
            c(S::NoMatchedMessage, 3, 9),
            (response_code::PULL_RETRY_IMMEDIATELY, 9)
        );
        // A slave without offsetCheckInSlave keeps the offset and asks for a retry.
        assert_eq!(
            status_code(S::OffsetOverflowBadly, 99, 7, false),
            (response_code::PULL_RETRY_IMMEDIATELY, 99)
        );
        assert_eq!(
            status_code(S::Found, 1, 4, false),
            (response_code::SUCCESS, 4)
        );
    }
}
