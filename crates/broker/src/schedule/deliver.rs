//! Delivering a parked message: a new record for its real topic and queue (`REAL_TOPIC`, `REAL_QID`) with the same
//! body, flag, sysFlag, born time/host, reconsume times and properties (UNIQ_KEY included), minus the properties
//! that asked for the deferral, so a consumer that sends it on does not defer it again. The store gives it a new
//! store time and offsets. Like Apache, `REAL_TOPIC` / `REAL_QID` stay on the delivered message. Also re-parking a
//! long timer: a fresh copy of its parked record.

use bytes::BytesMut;
use ferrocket_protocol::message::properties::{CRC32, REAL_QID, REAL_TOPIC, TIMER_ROLL_TIMES};
use ferrocket_protocol::message::{RecordBuilder, RecordView};
use ferrocket_store::PutMessageStatus;

use super::props_edit;
use crate::BrokerContext;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliverError {
    /// The store refused for now (disk full, busy, shutting down): try again later.
    Retry(String),
    /// This record can never be delivered (damaged, no real topic): skip it.
    Skip(String),
}

/// A new record with `record`'s content for (topic, queue), its properties edited (`drop`, then `add`; the record
/// CRC slot is always dropped).
fn copy_record(
    v: &RecordView<'_>,
    topic: &str,
    queue_id: i32,
    drop_props: &[&str],
    add: &[(&str, &str)],
) -> Result<BytesMut, DeliverError> {
    let mut drop: Vec<&str> = Vec::with_capacity(drop_props.len() + 1);
    drop.extend_from_slice(drop_props);
    drop.push(CRC32);
    let props = props_edit::rewrite(v.properties, &drop, add);
    RecordBuilder {
        topic,
        queue_id,
        flag: v.flag,
        sys_flag: v.sys_flag,
        born_timestamp: v.born_timestamp,
        born_host: v.born_host,
        store_host: v.store_host,
        reconsume_times: v.reconsume_times,
        body: v.body,
        properties: &props,
        ..RecordBuilder::default()
    }
    .encode()
    .map_err(|e| DeliverError::Skip(format!("cannot re-encode: {e}")))
}

fn parse(record: &[u8]) -> Result<RecordView<'_>, DeliverError> {
    RecordView::parse(record).map_err(|e| DeliverError::Skip(format!("bad record: {e}")))
}

/// The record to store for a parked `record`, and its destination.
pub fn delivered_record(
    record: &[u8],
    drop_props: &[&str],
) -> Result<(BytesMut, String, i32), DeliverError> {
    let v = parse(record)?;
    let topic = v
        .property(REAL_TOPIC)
        .ok_or_else(|| DeliverError::Skip("no REAL_TOPIC property".into()))?;
    let queue_id = v
        .property(REAL_QID)
        .and_then(|q| q.trim().parse::<i32>().ok())
        .filter(|q| *q >= 0)
        .ok_or_else(|| DeliverError::Skip("no valid REAL_QID property".into()))?;
    let out = copy_record(&v, topic, queue_id, drop_props, &[])?;
    Ok((out, topic.to_string(), queue_id))
}

fn put(ctx: &BrokerContext, out: BytesMut, topic: &str, queue_id: i32) -> Result<(), DeliverError> {
    let r = ctx.store.put_message(out);
    if r.status.is_stored() {
        return Ok(());
    }
    let why = format!(
        "{} to {topic}/{queue_id}: {}",
        r.status.name(),
        r.remark.as_deref().unwrap_or("")
    );
    match r.status {
        PutMessageStatus::MessageIllegal | PutMessageStatus::PropertiesSizeExceeded => {
            Err(DeliverError::Skip(why))
        }
        _ => Err(DeliverError::Retry(why)),
    }
}

/// Stores the delivered copy of the parked `record`. Does not wait for a SYNC_FLUSH (the progress files are
/// written only once the log is durable, see `super::durable_now`).
pub fn deliver(
    ctx: &BrokerContext,
    record: &[u8],
    drop_props: &[&str],
) -> Result<(), DeliverError> {
    let (out, topic, queue_id) = delivered_record(record, drop_props)?;
    put(ctx, out, &topic, queue_id)
}

/// Parks a fresh copy of the parked timer `record` (same topic and queue), counting the roll in
/// `TIMER_ROLL_TIMES`.
pub fn repark(ctx: &BrokerContext, record: &[u8]) -> Result<(), DeliverError> {
    let v = parse(record)?;
    let rolls = v
        .property(TIMER_ROLL_TIMES)
        .and_then(|n| n.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let rolls = (rolls + 1).to_string();
    let out = copy_record(&v, v.topic, v.queue_id, &[], &[(TIMER_ROLL_TIMES, &rolls)])?;
    put(ctx, out, v.topic, v.queue_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::message::properties::{encode_pairs, DELAY, UNIQ_KEY};

    #[test]
    fn copy_keeps_everything_but_the_deferral() {
        let props = encode_pairs([
            ("TAGS", "t"),
            (UNIQ_KEY, "ABC"),
            (DELAY, "2"),
            (REAL_TOPIC, "Real"),
            (REAL_QID, "3"),
        ]);
        let parked = RecordBuilder {
            topic: "SCHEDULE_TOPIC_XXXX",
            queue_id: 1,
            flag: 9,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_123,
            born_host: "10.1.2.3:4567".parse().unwrap(),
            store_timestamp: 1_700_000_000_200,
            store_host: "127.0.0.1:10911".parse().unwrap(),
            reconsume_times: 2,
            body: b"hello",
            properties: &props,
            ..RecordBuilder::default()
        }
        .encode()
        .unwrap();
        let (out, topic, q) = delivered_record(&parked, &[DELAY]).unwrap();
        assert_eq!((topic.as_str(), q), ("Real", 3));
        let v = RecordView::parse(&out).unwrap();
        assert_eq!(v.topic, "Real");
        assert_eq!(v.queue_id, 3);
        assert_eq!(v.body, b"hello");
        assert_eq!(v.flag, 9);
        assert_eq!(v.reconsume_times, 2);
        assert_eq!(v.born_timestamp, 1_700_000_000_123);
        assert_eq!(v.born_host.to_string(), "10.1.2.3:4567");
        assert_eq!(v.property(DELAY), None);
        assert_eq!(v.uniq_key(), Some("ABC"));
        assert_eq!(v.tags(), Some("t"));
        assert_eq!(v.property(REAL_TOPIC), Some("Real"));
        assert!(v.crc_ok());
    }

    #[test]
    fn missing_destination_is_skipped() {
        let rec = RecordBuilder::new("SCHEDULE_TOPIC_XXXX", b"x", "DELAY\u{1}1\u{2}")
            .encode()
            .unwrap();
        assert!(matches!(
            delivered_record(&rec, &[DELAY]),
            Err(DeliverError::Skip(_))
        ));
        let rec = RecordBuilder::new("T", b"x", "REAL_TOPIC\u{1}A\u{2}REAL_QID\u{1}-1\u{2}")
            .encode()
            .unwrap();
        assert!(matches!(
            delivered_record(&rec, &[]),
            Err(DeliverError::Skip(_))
        ));
        assert!(matches!(
            delivered_record(b"junk", &[]),
            Err(DeliverError::Skip(_))
        ));
    }
}
