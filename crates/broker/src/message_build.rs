//! Turning a SEND request into commit-log records: the stored properties (UNIQ_KEY when absent, CLUSTER) and the
//! record bytes, encoded once, outside any lock, straight into the buffer handed to the store.

use std::net::SocketAddr;

use bytes::BytesMut;
use ferrocket_protocol::codes::response_code;
use ferrocket_protocol::message::properties::{self, CLUSTER, PROPERTY_SEPARATOR, UNIQ_KEY};
use ferrocket_protocol::message::{iter_batch, RecordBuilder, UniqKeyGenerator};

use crate::processor::Failure;

/// The fields every record of one SEND request shares.
#[derive(Debug, Clone, Copy)]
pub struct RecordMeta<'a> {
    pub topic: &'a str,
    pub queue_id: i32,
    pub sys_flag: i32,
    pub born_timestamp: i64,
    pub born_host: SocketAddr,
    pub store_host: SocketAddr,
    pub reconsume_times: i32,
}

/// Writes the properties to store into `out` (cleared first): the client's, then a generated UNIQ_KEY if the
/// client sent none, then `CLUSTER` (unless already equal).
pub fn stored_properties_into(out: &mut String, client: &str, cluster: &str) {
    out.clear();
    out.reserve(client.len() + 48 + cluster.len());
    out.push_str(client);
    if !client.is_empty() && !client.ends_with(PROPERTY_SEPARATOR) {
        // Close a last pair the client left open, so the appended pairs stay separate.
        out.push(PROPERTY_SEPARATOR);
    }
    if properties::get(client, UNIQ_KEY).is_none() {
        properties::append(out, UNIQ_KEY, &UniqKeyGenerator::global().next_key());
    }
    if !cluster.is_empty() && properties::get(client, CLUSTER) != Some(cluster) {
        properties::append(out, CLUSTER, cluster);
    }
}

/// [`stored_properties_into`] into a new string.
pub fn stored_properties(client: &str, cluster: &str) -> String {
    let mut s = String::new();
    stored_properties_into(&mut s, client, cluster);
    s
}

fn illegal(e: impl std::fmt::Display) -> Failure {
    Failure::new(
        response_code::MESSAGE_ILLEGAL,
        format!("the message is illegal: {e}"),
    )
}

/// Appends one record to `dst`.
pub fn encode_record(
    dst: &mut BytesMut,
    meta: &RecordMeta<'_>,
    flag: i32,
    body: &[u8],
    properties: &str,
) -> Result<(), Failure> {
    let builder = RecordBuilder {
        topic: meta.topic,
        queue_id: meta.queue_id,
        flag,
        sys_flag: meta.sys_flag,
        born_timestamp: meta.born_timestamp,
        born_host: meta.born_host,
        store_host: meta.store_host,
        reconsume_times: meta.reconsume_times,
        body,
        properties,
        ..RecordBuilder::default()
    };
    builder.encode_into(dst).map_err(illegal)
}

/// What a batch body held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchEncoded {
    pub count: usize,
}

/// Encodes every message of a SEND_BATCH_MESSAGE body as its own record, back to back in one buffer. Each inner
/// message keeps its own properties (plus UNIQ_KEY when absent and CLUSTER); the batch header's properties are not
/// copied into them. Bodies over `max_body` bytes are MESSAGE_ILLEGAL.
pub fn encode_batch(
    meta: &RecordMeta<'_>,
    batch_body: &[u8],
    cluster: &str,
    max_body: usize,
) -> Result<(BytesMut, BatchEncoded), Failure> {
    // Records are slightly larger than batch entries (host fields, topic): size the buffer once.
    let mut dst = BytesMut::with_capacity(batch_body.len() + batch_body.len() / 4 + 256);
    let mut props = String::new();
    let mut count = 0usize;
    for item in iter_batch(batch_body) {
        let item = item.map_err(|e| illegal(format!("bad batch body: {e}")))?;
        if item.body.len() > max_body {
            return Err(illegal(format!(
                "message body of {} bytes exceeds maxMessageSize {max_body}",
                item.body.len()
            )));
        }
        stored_properties_into(&mut props, item.properties, cluster);
        encode_record(&mut dst, meta, item.flag, item.body, &props)?;
        count += 1;
    }
    if count == 0 {
        return Err(illegal("the batch holds no message"));
    }
    Ok((dst, BatchEncoded { count }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use ferrocket_protocol::message::{encode_batch as client_batch, BatchItem, RecordView};

    fn meta() -> RecordMeta<'static> {
        RecordMeta {
            topic: "T",
            queue_id: 2,
            sys_flag: 0,
            born_timestamp: 1_700_000_000_000,
            born_host: "10.0.0.9:5555".parse().unwrap(),
            store_host: "127.0.0.1:10911".parse().unwrap(),
            reconsume_times: 0,
        }
    }

    #[test]
    fn uniq_key_added_only_when_absent_and_cluster_always() {
        let p = stored_properties("TAGS\u{1}a\u{2}", "C1");
        assert_eq!(properties::get(&p, "TAGS"), Some("a"));
        assert_eq!(properties::get(&p, CLUSTER), Some("C1"));
        let uniq = properties::get(&p, UNIQ_KEY).unwrap();
        assert_eq!(uniq.len(), 32);

        let p = stored_properties("UNIQ_KEY\u{1}ABC\u{2}CLUSTER\u{1}C1\u{2}", "C1");
        assert_eq!(
            p, "UNIQ_KEY\u{1}ABC\u{2}CLUSTER\u{1}C1\u{2}",
            "nothing to add"
        );

        // An unterminated last pair is closed before appending.
        let p = stored_properties("TAGS\u{1}a", "C1");
        assert_eq!(properties::get(&p, "TAGS"), Some("a"));
        assert_eq!(properties::get(&p, CLUSTER), Some("C1"));

        let p = stored_properties("", "C1");
        assert!(properties::get(&p, UNIQ_KEY).is_some());
    }

    #[test]
    fn batch_becomes_one_record_per_message_with_own_ids() {
        let items = vec![
            BatchItem::new(1, Bytes::from_static(b"one"), "TAGS\u{1}x\u{2}"),
            BatchItem::new(
                2,
                Bytes::from_static(b"two"),
                "UNIQ_KEY\u{1}K2\u{2}KEYS\u{1}k\u{2}",
            ),
        ];
        let body = client_batch(&items).unwrap();
        let (buf, enc) = encode_batch(&meta(), &body, "C", 1024).unwrap();
        assert_eq!(enc.count, 2);
        let views: Vec<_> = RecordView::iter(&buf).collect::<Result<_, _>>().unwrap();
        assert_eq!(views.len(), 2);
        assert_eq!(views[0].body, b"one");
        assert_eq!(views[0].flag, 1);
        assert_eq!(views[0].queue_id, 2);
        assert_eq!(views[0].tags(), Some("x"));
        assert_eq!(views[1].body, b"two");
        assert_eq!(views[1].uniq_key(), Some("K2"));
        assert_ne!(views[0].uniq_key(), views[1].uniq_key());
        assert!(views
            .iter()
            .all(|v| v.property(CLUSTER) == Some("C") && v.crc_ok()));
    }

    #[test]
    fn bad_batches_are_illegal() {
        let body = client_batch(&[BatchItem::new(0, Bytes::from(vec![0u8; 100]), "")]).unwrap();
        assert_eq!(
            encode_batch(&meta(), &body, "C", 99).unwrap_err().code,
            response_code::MESSAGE_ILLEGAL
        );
        assert_eq!(
            encode_batch(&meta(), &body[..body.len() - 1], "C", 1000)
                .unwrap_err()
                .code,
            response_code::MESSAGE_ILLEGAL
        );
        assert_eq!(
            encode_batch(&meta(), &[], "C", 1000).unwrap_err().code,
            response_code::MESSAGE_ILLEGAL
        );
    }
}
