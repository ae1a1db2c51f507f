//! Op records: one message in `RMQ_SYS_TRANS_OP_HALF_TOPIC` queue 0 per ended (committed, rolled back or
//! discarded) half message, tag `d`, body = the half queue offsets, each followed by a comma (`"12,"`).
//! Ferrocket adds the transaction id as `__transactionId__` so the checker need not re-read the half message;
//! records without it (written by Apache) are read all the same.

use bytes::Bytes;
use ferrocket_protocol::message::properties::{self, TAGS, TRANSACTION_ID, WAIT};
use ferrocket_protocol::message::RecordView;

use crate::internal_message::{self, Delivery, InternalMessage};
use crate::processor::Failure;
use crate::topic_validator::TRANS_OP_HALF_TOPIC;
use crate::BrokerContext;

/// Tag of an op record that removes half messages.
pub const REMOVE_TAG: &str = "d";

/// The body of an op record for these half queue offsets.
pub fn op_body(half_offsets: &[i64]) -> String {
    let mut s = String::with_capacity(half_offsets.len() * 8);
    for o in half_offsets {
        s.push_str(&o.to_string());
        s.push(',');
    }
    s
}

/// The half queue offsets an op record names (comma separated, a trailing comma or none; junk is skipped).
pub fn parse_op_body(body: &[u8]) -> Vec<i64> {
    std::str::from_utf8(body)
        .unwrap_or("")
        .split(',')
        .filter_map(|p| p.trim().parse::<i64>().ok())
        .collect()
}

/// What one op record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRecord {
    pub half_offsets: Vec<i64>,
    pub transaction_id: Option<String>,
}

/// Reads an op record; `None` for one that removes nothing (another tag).
pub fn read_op(v: &RecordView<'_>) -> Option<OpRecord> {
    if v.tags() != Some(REMOVE_TAG) {
        return None;
    }
    Some(OpRecord {
        half_offsets: parse_op_body(v.body),
        transaction_id: v.property(TRANSACTION_ID).map(str::to_owned),
    })
}

/// Appends an op record ending the half message at `half_offset` (queue 0 of the half topic).
pub async fn put_op(
    ctx: &BrokerContext,
    half_offset: i64,
    transaction_id: Option<&str>,
) -> Result<(), Failure> {
    let mut props = String::new();
    properties::append(&mut props, TAGS, REMOVE_TAG);
    properties::append(&mut props, WAIT, "false");
    if let Some(id) = transaction_id.filter(|id| !id.is_empty()) {
        properties::append(&mut props, TRANSACTION_ID, id);
    }
    let mut msg = InternalMessage {
        topic: TRANS_OP_HALF_TOPIC.to_owned(),
        queue_id: 0,
        flag: 0,
        sys_flag: 0,
        born_timestamp: ctx.store.now_ms(),
        born_host: ctx.store_host,
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body: Bytes::from(op_body(&[half_offset])),
        properties: props,
    };
    msg.ensure_uniq_key();
    internal_message::put(ctx, &msg, Delivery::Direct).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::message::RecordBuilder;

    #[test]
    fn bodies() {
        assert_eq!(op_body(&[12, 13]), "12,13,");
        assert_eq!(parse_op_body(b"12,13,"), vec![12, 13]);
        assert_eq!(parse_op_body(b"7"), vec![7], "Apache 4.x wrote no comma");
        assert_eq!(parse_op_body(b"1,x,,2"), vec![1, 2]);
        assert!(parse_op_body(&[0xff, b',']).is_empty());
    }

    #[test]
    fn only_remove_tags_count() {
        let props = properties::encode_pairs([(TAGS, "d"), (TRANSACTION_ID, "T1")]);
        let buf = RecordBuilder::new(TRANS_OP_HALF_TOPIC, b"5,", &props)
            .encode()
            .unwrap();
        let v = RecordView::parse(&buf).unwrap();
        assert_eq!(
            read_op(&v),
            Some(OpRecord {
                half_offsets: vec![5],
                transaction_id: Some("T1".into())
            })
        );
        let props = properties::encode_pairs([(TAGS, "x")]);
        let buf = RecordBuilder::new(TRANS_OP_HALF_TOPIC, b"5,", &props)
            .encode()
            .unwrap();
        assert_eq!(read_op(&RecordView::parse(&buf).unwrap()), None);
    }
}
