//! PULL_MESSAGE (remoting-protocol.md §7.2) and the client-side work on its result: decode and inflate bodies,
//! re-check tags (brokers filter by tag hash only), stamp MIN_OFFSET / MAX_OFFSET, restore retried messages'
//! original topic.

use std::time::Duration;

use bytes::Bytes;
use ferrocket_protocol::body::{MessageQueue, SubscriptionData};
use ferrocket_protocol::codes::{pull_sys_flag, request_code, response_code};
use ferrocket_protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use ferrocket_protocol::message::{properties, MessageExt};

use crate::error::{ClientError, Result};
use crate::instance::remote::response_header;
use crate::instance::ClientInstance;

/// One pull.
#[derive(Debug, Clone)]
pub(crate) struct PullSpec<'a> {
    pub group: &'a str,
    pub mq: &'a MessageQueue,
    pub sub: &'a SubscriptionData,
    pub offset: i64,
    pub max_nums: i32,
    pub max_bytes: Option<i32>,
    /// Offset to have the broker persist (COMMIT_OFFSET bit); ignored when pulling from a slave.
    pub commit_offset: Option<i64>,
    /// Long-poll hold time (SUSPEND bit).
    pub suspend: Option<Duration>,
    /// Send the subscription expression with the pull (SUBSCRIPTION bit) instead of relying on the heartbeat.
    pub post_subscription: bool,
    /// The broker member the last answer suggested.
    pub broker_id: i64,
    pub timeout: Duration,
}

/// How a pull ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PullStatus {
    /// Messages came back (possibly none left after the tag re-check).
    Found,
    /// Nothing new at this offset (PULL_NOT_FOUND).
    NoNewMsg,
    /// Messages were there but none matched the subscription (PULL_RETRY_IMMEDIATELY).
    NoMatchedMsg,
    /// The offset is outside the queue; continue from `next_begin_offset` (PULL_OFFSET_MOVED).
    OffsetIllegal,
}

#[derive(Debug, Clone)]
pub struct PullResult {
    pub status: PullStatus,
    pub next_begin_offset: i64,
    pub suggest_which_broker_id: i64,
    pub messages: Vec<MessageExt>,
}

impl ClientInstance {
    /// Sends one pull and returns its processed result.
    pub(crate) async fn pull(&self, spec: &PullSpec<'_>) -> Result<PullResult> {
        let broker = &spec.mq.broker_name;
        let (addr, slave) = match self.pull_addr(broker, spec.broker_id) {
            Some(a) => a,
            None => {
                self.update_route(&spec.mq.topic).await?;
                self.pull_addr(broker, spec.broker_id)
                    .ok_or_else(|| ClientError::BrokerNotFound(broker.clone()))?
            }
        };
        let mut sys_flag = 0;
        if spec.commit_offset.is_some() && !slave {
            sys_flag |= pull_sys_flag::COMMIT_OFFSET;
        }
        if spec.suspend.is_some() {
            sys_flag |= pull_sys_flag::SUSPEND;
        }
        if spec.post_subscription {
            sys_flag |= pull_sys_flag::SUBSCRIPTION;
        }
        let header = PullMessageRequestHeader {
            consumer_group: spec.group.to_owned(),
            topic: spec.mq.topic.clone(),
            queue_id: spec.mq.queue_id,
            queue_offset: spec.offset,
            max_msg_nums: spec.max_nums,
            sys_flag,
            commit_offset: spec.commit_offset.unwrap_or(0),
            suspend_timeout_millis: spec.suspend.map_or(0, |d| d.as_millis() as i64),
            subscription: spec.post_subscription.then(|| spec.sub.sub_string.clone()),
            sub_version: spec.sub.sub_version,
            expression_type: Some(spec.sub.expression_type.clone()),
            max_msg_bytes: spec.max_bytes,
            request_source: None,
            proxy_forward_client_id: None,
            broker_name: Some(broker.clone()),
        };
        let req = self.request_with(request_code::PULL_MESSAGE, &header);
        let resp = self.invoke(&addr, req, spec.timeout).await?;
        let status = match resp.code {
            response_code::SUCCESS => PullStatus::Found,
            response_code::PULL_NOT_FOUND => PullStatus::NoNewMsg,
            response_code::PULL_RETRY_IMMEDIATELY => PullStatus::NoMatchedMsg,
            response_code::PULL_OFFSET_MOVED => PullStatus::OffsetIllegal,
            code => return Err(ClientError::broker(&addr, code, resp.remark)),
        };
        let h: PullMessageResponseHeader = response_header(&addr, &resp)?;
        let messages = if status == PullStatus::Found {
            decode_messages(
                resp.body.clone(),
                spec.group,
                spec.sub,
                h.min_offset,
                h.max_offset,
            )
            .map_err(|e| ClientError::bad_response(&addr, format!("pull body: {e}")))?
        } else {
            Vec::new()
        };
        Ok(PullResult {
            status,
            next_begin_offset: h.next_begin_offset,
            suggest_which_broker_id: h.suggest_which_broker_id,
            messages,
        })
    }
}

/// Decodes a pull body and applies the client-side processing.
pub(crate) fn decode_messages(
    body: Bytes,
    group: &str,
    sub: &SubscriptionData,
    min_offset: i64,
    max_offset: i64,
) -> Result<Vec<MessageExt>> {
    let mut msgs = MessageExt::decode_all_with(body, true)?;
    if !sub.tags_set.is_empty() && !sub.class_filter_mode {
        msgs.retain(|m| {
            m.tags()
                .is_some_and(|t| sub.tags_set.iter().any(|s| s == t))
        });
    }
    let retry_topic = retry_topic(group);
    let (min, max) = (min_offset.to_string(), max_offset.to_string());
    for m in &mut msgs {
        m.properties
            .insert(properties::MIN_OFFSET.into(), min.clone());
        m.properties
            .insert(properties::MAX_OFFSET.into(), max.clone());
        if m.topic == retry_topic {
            if let Some(origin) = m.properties.get(properties::RETRY_TOPIC) {
                m.topic = origin.clone();
            }
        }
    }
    Ok(msgs)
}

/// `%RETRY%<group>`.
pub fn retry_topic(group: &str) -> String {
    format!("%RETRY%{group}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use ferrocket_protocol::message::compression::zlib_compress;
    use ferrocket_protocol::message::{sysflag, RecordBuilder};

    fn record(
        topic: &str,
        tags: Option<&str>,
        body: &[u8],
        sys_flag: i32,
        extra: &[(&str, &str)],
    ) -> BytesMut {
        let mut props = String::new();
        if let Some(t) = tags {
            properties::append(&mut props, properties::TAGS, t);
        }
        for (k, v) in extra {
            properties::append(&mut props, k, v);
        }
        let mut b = RecordBuilder::new(topic, body, &props);
        b.sys_flag = sys_flag;
        b.encode().unwrap()
    }

    #[test]
    fn filters_tags_inflates_and_stamps_offsets() {
        let compressed = zlib_compress(b"big body", 5).unwrap();
        let mut all = BytesMut::new();
        all.extend_from_slice(&record("T", Some("A"), b"one", 0, &[]));
        all.extend_from_slice(&record("T", Some("B"), b"two", 0, &[]));
        all.extend_from_slice(&record("T", None, b"three", 0, &[]));
        all.extend_from_slice(&record(
            "T",
            Some("C"),
            &compressed,
            sysflag::set_compression(0, ferrocket_protocol::message::CompressionType::Zlib),
            &[],
        ));
        let body = all.freeze();
        let sub = SubscriptionData::tag("T", "A || C", 1);
        let msgs = decode_messages(body.clone(), "G", &sub, 3, 10).unwrap();
        let bodies: Vec<_> = msgs.iter().map(|m| m.body.to_vec()).collect();
        assert_eq!(bodies, vec![b"one".to_vec(), b"big body".to_vec()]);
        assert!(!sysflag::is_compressed(msgs[1].sys_flag));
        assert_eq!(msgs[0].property(properties::MIN_OFFSET), Some("3"));
        assert_eq!(msgs[0].property(properties::MAX_OFFSET), Some("10"));
        // `*` keeps everything, untagged included.
        let all_sub = SubscriptionData::tag("T", "*", 1);
        assert_eq!(decode_messages(body, "G", &all_sub, 0, 0).unwrap().len(), 4);
    }

    #[test]
    fn retry_messages_get_their_original_topic_back() {
        let rec = record(
            "%RETRY%G",
            None,
            b"x",
            0,
            &[(properties::RETRY_TOPIC, "Orig")],
        );
        let sub = SubscriptionData::tag("%RETRY%G", "*", 1);
        let msgs = decode_messages(rec.freeze(), "G", &sub, 0, 1).unwrap();
        assert_eq!(msgs[0].topic, "Orig");
        // Another group's retry topic is left alone.
        let rec = record(
            "%RETRY%H",
            None,
            b"x",
            0,
            &[(properties::RETRY_TOPIC, "Orig")],
        );
        let msgs = decode_messages(rec.freeze(), "G", &sub, 0, 1).unwrap();
        assert_eq!(msgs[0].topic, "%RETRY%H");
    }
}
