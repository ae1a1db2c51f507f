//! Half messages: how a transactional send is parked in `RMQ_SYS_TRANS_HALF_TOPIC` and how a commit turns it back
//! into the real message (remoting-protocol.md §7.6).

use bytes::{Bytes, BytesMut};
use ferrocket_protocol::header::SendMessageRequestHeader;
use ferrocket_protocol::message::properties::{
    PGROUP, REAL_QID, REAL_TOPIC, TRANSACTION_ID, TRAN_MSG, TRAN_PREPARED_QUEUE_OFFSET, UNIQ_KEY,
    WAIT,
};
use ferrocket_protocol::message::{properties, record, sysflag, RecordBuilder, RecordView};

use crate::internal_message::{with_property, InternalMessage};
use crate::processor::Failure;

/// The stored properties of a half message: the sent ones plus its real destination (`REAL_TOPIC`, `REAL_QID`),
/// its transaction id (`__transactionId__` = UNIQ_KEY) and, when the client left them out, `TRAN_MSG` / `PGROUP`.
pub fn half_properties(props: &str, h: &SendMessageRequestHeader, queue_id: i32) -> String {
    let mut out = with_property(props, REAL_TOPIC, Some(&h.topic));
    out = with_property(&out, REAL_QID, Some(&queue_id.to_string()));
    if let Some(uniq) = properties::get(props, UNIQ_KEY) {
        out = with_property(&out, TRANSACTION_ID, Some(uniq));
    }
    if properties::get(props, TRAN_MSG).is_none() {
        out = with_property(&out, TRAN_MSG, Some("true"));
    }
    if properties::get(props, PGROUP).is_none() && !h.producer_group.is_empty() {
        out = with_property(&out, PGROUP, Some(&h.producer_group));
    }
    out
}

/// The transaction id of a stored half message.
pub fn transaction_id<'a>(v: &RecordView<'a>) -> Option<&'a str> {
    v.property(TRANSACTION_ID).or_else(|| v.uniq_key())
}

/// The real topic and queue a half message was sent to.
pub fn real_destination(msg: &InternalMessage) -> Result<(String, i32), Failure> {
    let topic = msg
        .property(REAL_TOPIC)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Failure::system("the prepared message has no REAL_TOPIC"))?
        .to_owned();
    let queue = msg
        .property(REAL_QID)
        .and_then(|q| q.trim().parse::<i32>().ok())
        .ok_or_else(|| Failure::system("the prepared message has no valid REAL_QID"))?;
    Ok((topic, queue))
}

/// The message a commit stores: the half message back at its real topic and queue, with sysFlag COMMIT, the half
/// record's commit-log offset as `preparedTransactionOffset`, and the parking properties removed.
pub fn committed_message(
    half: &InternalMessage,
    half_commit_log_offset: i64,
) -> Result<InternalMessage, Failure> {
    let (topic, queue_id) = real_destination(half)?;
    let mut msg = half.clone();
    msg.topic = topic;
    msg.queue_id = queue_id;
    msg.sys_flag = sysflag::reset_transaction_type(msg.sys_flag, sysflag::TRANSACTION_COMMIT_TYPE);
    msg.prepared_transaction_offset = half_commit_log_offset;
    for name in [REAL_TOPIC, REAL_QID, TRAN_MSG, TRAN_PREPARED_QUEUE_OFFSET] {
        msg.clear_property(name);
    }
    msg.set_property(WAIT, "false");
    Ok(msg)
}

/// The CHECK_TRANSACTION_STATE body: the half record re-encoded with its real topic and queue (queue offset,
/// commit-log offset and store time kept), as Apache's check listener sends it.
pub fn check_body(v: &RecordView<'_>) -> Result<Bytes, Failure> {
    let topic = v.property(REAL_TOPIC).unwrap_or(v.topic).to_owned();
    let queue_id = v
        .property(REAL_QID)
        .and_then(|q| q.trim().parse().ok())
        .unwrap_or(v.queue_id);
    let builder = RecordBuilder {
        topic: &topic,
        queue_id,
        flag: v.flag,
        sys_flag: v.sys_flag,
        born_timestamp: v.born_timestamp,
        born_host: v.born_host,
        store_timestamp: v.store_timestamp,
        store_host: v.store_host,
        reconsume_times: v.reconsume_times,
        prepared_transaction_offset: v.prepared_transaction_offset,
        body: v.body,
        properties: v.properties,
        ..RecordBuilder::default()
    };
    let mut buf = BytesMut::new();
    builder
        .encode_into(&mut buf)
        .map_err(|e| Failure::system(format!("cannot encode the half message: {e}")))?;
    record::set_queue_offset(&mut buf, v.queue_offset);
    record::set_physical_offset(&mut buf, v.physical_offset);
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::message::MessageExt;

    fn header() -> SendMessageRequestHeader {
        SendMessageRequestHeader {
            producer_group: "PG".into(),
            topic: "T".into(),
            ..SendMessageRequestHeader::default()
        }
    }

    #[test]
    fn half_properties_keep_the_destination() {
        let sent = properties::encode_pairs([(UNIQ_KEY, "U1"), (TRAN_MSG, "true"), (PGROUP, "PG")]);
        let p = half_properties(&sent, &header(), 3);
        assert_eq!(properties::get(&p, REAL_TOPIC), Some("T"));
        assert_eq!(properties::get(&p, REAL_QID), Some("3"));
        assert_eq!(properties::get(&p, TRANSACTION_ID), Some("U1"));
        assert_eq!(properties::get(&p, PGROUP), Some("PG"));

        // A PREPARED sysFlag without the client's properties still gets them.
        let p = half_properties("", &header(), 0);
        assert_eq!(properties::get(&p, TRAN_MSG), Some("true"));
        assert_eq!(properties::get(&p, PGROUP), Some("PG"));
    }

    fn half_record() -> BytesMut {
        let props = properties::encode_pairs([
            (UNIQ_KEY, "U1"),
            (TRAN_MSG, "true"),
            (PGROUP, "PG"),
            (REAL_TOPIC, "Real"),
            (REAL_QID, "2"),
            ("k", "v"),
        ]);
        let mut buf = RecordBuilder {
            topic: "RMQ_SYS_TRANS_HALF_TOPIC",
            queue_id: 0,
            body: b"payload",
            properties: &props,
            born_timestamp: 1,
            store_timestamp: 2,
            born_host: "10.0.0.1:5000".parse().unwrap(),
            store_host: "10.0.0.2:10911".parse().unwrap(),
            ..RecordBuilder::default()
        }
        .encode()
        .unwrap();
        record::set_queue_offset(&mut buf, 7);
        record::set_physical_offset(&mut buf, 4096);
        buf
    }

    #[test]
    fn commit_restores_the_real_destination() {
        let buf = half_record();
        let v = RecordView::parse(&buf).unwrap();
        let half = InternalMessage::from_record(&v, Bytes::copy_from_slice(v.body));
        let c = committed_message(&half, 4096).unwrap();
        assert_eq!((c.topic.as_str(), c.queue_id), ("Real", 2));
        assert_eq!(
            sysflag::transaction_type(c.sys_flag),
            sysflag::TRANSACTION_COMMIT_TYPE
        );
        assert_eq!(c.prepared_transaction_offset, 4096);
        assert_eq!(c.property(REAL_TOPIC), None);
        assert_eq!(c.property(TRAN_MSG), None);
        assert_eq!(c.property("k"), Some("v"));
        assert_eq!(c.property(UNIQ_KEY), Some("U1"));

        let mut broken = half.clone();
        broken.clear_property(REAL_QID);
        assert!(committed_message(&broken, 0).is_err());
    }

    #[test]
    fn check_body_carries_the_real_topic_and_the_half_offsets() {
        let buf = half_record();
        let v = RecordView::parse(&buf).unwrap();
        let body = check_body(&v).unwrap();
        let m = MessageExt::decode(&body).unwrap();
        assert_eq!(m.topic, "Real");
        assert_eq!(m.queue_id, 2);
        assert_eq!(m.queue_offset, 7);
        assert_eq!(m.physical_offset, 4096);
        assert_eq!(m.store_timestamp, 2);
        assert_eq!(&m.body[..], b"payload");
        assert_eq!(m.properties.get(PGROUP).map(String::as_str), Some("PG"));
    }
}
