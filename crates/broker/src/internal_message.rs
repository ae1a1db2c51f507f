//! Messages the broker writes on its own behalf: retries and dead letters (send back), committed transactional
//! messages, transaction op records, re-appended half messages. Each starts from a stored record (or from
//! scratch), changes topic, queue, flags and properties, and is appended like a sent message — through the
//! schedule module's delay hook when asked, so a DELAY property parks it in `SCHEDULE_TOPIC_XXXX`.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::message::{properties, RecordBuilder, RecordView, UniqKeyGenerator};
use ferrocket_store::{PutMessageResult, PutMessageStatus};

use crate::message_build::RecordMeta;
use crate::processor::Failure;
use crate::BrokerContext;

/// An owned message about to be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalMessage {
    pub topic: String,
    pub queue_id: i32,
    pub flag: i32,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: i64,
    pub body: Bytes,
    /// Encoded properties (remoting-protocol.md §9).
    pub properties: String,
}

/// Whether the message may be parked for later delivery (DELAY / timer properties) or is stored where it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Through [`crate::schedule::redirect_for_delivery`].
    Scheduled,
    /// Exactly at `topic`/`queue_id` (dead letters, op records, half messages).
    Direct,
}

impl InternalMessage {
    /// A copy of a stored record's content (topic, queue, flags, hosts, body, properties).
    pub fn from_record(v: &RecordView<'_>, body: Bytes) -> Self {
        InternalMessage {
            topic: v.topic.to_owned(),
            queue_id: v.queue_id,
            flag: v.flag,
            sys_flag: v.sys_flag,
            born_timestamp: v.born_timestamp,
            born_host: v.born_host,
            reconsume_times: v.reconsume_times,
            prepared_transaction_offset: v.prepared_transaction_offset,
            body,
            properties: v.properties.to_owned(),
        }
    }

    pub fn property(&self, name: &str) -> Option<&str> {
        properties::get(&self.properties, name)
    }

    /// Sets (or replaces) a property, keeping the others in their order.
    pub fn set_property(&mut self, name: &str, value: &str) {
        self.properties = with_property(&self.properties, name, Some(value));
    }

    /// Removes a property.
    pub fn clear_property(&mut self, name: &str) {
        if self.property(name).is_some() {
            self.properties = with_property(&self.properties, name, None);
        }
    }

    /// Sets UNIQ_KEY when the message has none.
    pub fn ensure_uniq_key(&mut self) {
        if self.property(properties::UNIQ_KEY).is_none() {
            let key = UniqKeyGenerator::global().next_key();
            self.set_property(properties::UNIQ_KEY, &key);
        }
    }
}

/// `props` with `name` replaced by `value` (appended at the end) or removed (`None`).
pub fn with_property(props: &str, name: &str, value: Option<&str>) -> String {
    let mut out = String::with_capacity(props.len() + name.len() + 16);
    for (n, v) in properties::iter(props) {
        if n != name {
            properties::append(&mut out, n, v);
        }
    }
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        properties::append(&mut out, name, v);
    }
    out
}

/// The record of a stored message, looked up by commit-log offset, with the view's body as shared bytes.
pub fn read_record(ctx: &BrokerContext, phys_offset: i64) -> Option<(Bytes, InternalMessage)> {
    let bytes = ctx.store.message_by_phys_offset(phys_offset)?;
    let msg = {
        let v = RecordView::parse(&bytes).ok()?;
        InternalMessage::from_record(&v, bytes.slice_ref(v.body))
    };
    Some((bytes, msg))
}

/// Where and how a message was stored.
#[derive(Debug, Clone)]
pub struct Stored {
    pub result: PutMessageResult,
    /// The topic and queue it was written to (the schedule topic when parked).
    pub topic: String,
    pub queue_id: i32,
}

/// Appends `msg` (through the delay hook for [`Delivery::Scheduled`]) and waits for the flush when the store asks
/// for it and the message says WAIT. Failures to store become SYSTEM_ERROR with the store's status name.
pub async fn put(
    ctx: &BrokerContext,
    msg: &InternalMessage,
    delivery: Delivery,
) -> Result<Stored, Failure> {
    let meta = RecordMeta {
        topic: &msg.topic,
        queue_id: msg.queue_id,
        sys_flag: msg.sys_flag,
        born_timestamp: msg.born_timestamp,
        born_host: msg.born_host,
        store_host: ctx.store_host,
        reconsume_times: msg.reconsume_times,
    };
    let redirect = match delivery {
        Delivery::Scheduled => crate::schedule::redirect_for_delivery(ctx, &meta, &msg.properties)?,
        Delivery::Direct => None,
    };
    let (topic, queue_id, props) = match &redirect {
        Some(r) => (r.topic.as_str(), r.queue_id, r.properties.as_str()),
        None => (msg.topic.as_str(), msg.queue_id, msg.properties.as_str()),
    };
    let builder = RecordBuilder {
        topic,
        queue_id,
        flag: msg.flag,
        sys_flag: msg.sys_flag,
        born_timestamp: msg.born_timestamp,
        born_host: msg.born_host,
        store_host: ctx.store_host,
        reconsume_times: msg.reconsume_times,
        prepared_transaction_offset: msg.prepared_transaction_offset,
        body: &msg.body,
        properties: props,
        ..RecordBuilder::default()
    };
    let mut record = BytesMut::new();
    builder.encode_into(&mut record).map_err(|e| {
        Failure::new(
            response_code::MESSAGE_ILLEGAL,
            format!("the message is illegal: {e}"),
        )
    })?;
    let mut result = ctx.store.put_message(record);
    let wait = properties::get(props, properties::WAIT) != Some("false");
    if let (Some(offset), true) = (result.flush_wait_offset, wait) {
        let limit = Duration::from_millis(ctx.config().store.sync_flush_timeout);
        if !ctx.store.wait_flushed(offset, limit).await {
            result.status = PutMessageStatus::FlushDiskTimeout;
        }
    }
    if !result.status.is_stored() {
        return Err(Failure::system(format!(
            "putting the message to {topic} failed: {} {}",
            result.status.name(),
            result.remark.as_deref().unwrap_or("")
        )));
    }
    Ok(Stored {
        topic: topic.to_owned(),
        queue_id,
        result,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_edits_keep_the_rest() {
        let p = properties::encode_pairs([("A", "1"), ("B", "2"), ("C", "3")]);
        let q = with_property(&p, "B", Some("x"));
        assert_eq!(properties::get(&q, "A"), Some("1"));
        assert_eq!(properties::get(&q, "B"), Some("x"));
        assert_eq!(properties::get(&q, "C"), Some("3"));
        assert_eq!(properties::iter(&q).count(), 3, "replaced, not duplicated");
        let r = with_property(&q, "A", None);
        assert_eq!(properties::get(&r, "A"), None);
        assert_eq!(properties::iter(&r).count(), 2);
        assert_eq!(with_property("", "K", Some("v")), "K\u{1}v\u{2}");
        assert_eq!(
            with_property("", "K", Some("")),
            "",
            "empty values are never stored"
        );
    }

    #[test]
    fn duplicates_collapse_to_the_new_value() {
        let p = "A\u{1}1\u{2}A\u{1}2\u{2}";
        let q = with_property(p, "A", Some("3"));
        assert_eq!(q, "A\u{1}3\u{2}");
    }
}
