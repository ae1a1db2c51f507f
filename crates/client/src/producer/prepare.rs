//! Turning messages into what goes on the wire, once per send (not once per attempt): UNIQ_KEY, compression,
//! transaction marks, the encoded properties, the batch body.

use bytes::Bytes;
use ferrocket_protocol::codes::request_code;
use ferrocket_protocol::message::batch::{encode_batch, BatchItem};
use ferrocket_protocol::message::compression::{compress, CompressionType};
use ferrocket_protocol::message::{next_uniq_key, properties, sysflag};

use super::config::ProducerConfig;
use crate::error::{ClientError, Result};
use crate::message::Message;

/// A message (or batch) ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    /// SEND_MESSAGE_V2 or SEND_BATCH_MESSAGE.
    pub code: i32,
    pub topic: String,
    /// As sent (compressed when the sysFlag says so; the batch encoding for batches).
    pub body: Bytes,
    pub flag: i32,
    pub sys_flag: i32,
    /// Encoded properties (§9).
    pub properties: String,
    /// UNIQ_KEY, or the comma-joined keys of a batch.
    pub msg_id: String,
    pub reconsume_times: Option<i32>,
    pub max_reconsume_times: Option<i32>,
    pub batch: bool,
}

/// Marks a message as a transactional half message of `group`.
pub(crate) fn mark_half(msg: &mut Message, group: &str) {
    msg.properties
        .insert(properties::TRAN_MSG.into(), "true".into());
    msg.properties
        .insert(properties::PGROUP.into(), group.into());
    // Half messages cannot be delayed.
    msg.properties.remove(properties::DELAY);
}

pub(crate) fn prepare_single(mut msg: Message, cfg: &ProducerConfig) -> Result<Prepared> {
    msg.validate(cfg.max_message_size)?;
    let msg_id = match msg.uniq_key() {
        Some(k) => k.to_owned(),
        None => {
            let k = next_uniq_key();
            msg.properties
                .insert(properties::UNIQ_KEY.into(), k.clone());
            k
        }
    };
    let mut sys_flag = 0;
    if msg.property(properties::TRAN_MSG) == Some("true") {
        sys_flag |= sysflag::TRANSACTION_PREPARED_TYPE;
    }
    let mut body = msg.body;
    if body.len() >= cfg.compress_over {
        body = Bytes::from(compress(&body, CompressionType::Zlib, cfg.compress_level)?);
        sys_flag = sysflag::set_compression(sys_flag, CompressionType::Zlib);
    }
    let (mut reconsume_times, mut max_reconsume_times) = (None, None);
    if msg.topic.starts_with("%RETRY%") {
        // Retry counters travel in the header for retry topics, not as properties.
        reconsume_times = msg
            .properties
            .remove(properties::RECONSUME_TIME)
            .and_then(|v| v.parse().ok());
        max_reconsume_times = msg
            .properties
            .remove(properties::MAX_RECONSUME_TIMES)
            .and_then(|v| v.parse().ok());
    }
    let props = properties::encode(&msg.properties);
    properties::check_len(&props)?;
    Ok(Prepared {
        code: request_code::SEND_MESSAGE_V2,
        topic: msg.topic,
        body,
        flag: msg.flag,
        sys_flag,
        properties: props,
        msg_id,
        reconsume_times,
        max_reconsume_times,
        batch: false,
    })
}

pub(crate) fn prepare_batch(msgs: Vec<Message>, cfg: &ProducerConfig) -> Result<Prepared> {
    let Some(first) = msgs.first() else {
        return Err(ClientError::InvalidMessage("batch is empty".into()));
    };
    let topic = first.topic.clone();
    let wait = first.property(properties::WAIT) != Some("false");
    let mut items = Vec::with_capacity(msgs.len());
    let mut ids = Vec::with_capacity(msgs.len());
    for mut m in msgs {
        m.validate(cfg.max_message_size)?;
        if m.topic != topic {
            return Err(ClientError::InvalidMessage(format!(
                "a batch goes to one topic; found {} and {}",
                topic, m.topic
            )));
        }
        if topic.starts_with("%RETRY%") {
            return Err(ClientError::InvalidMessage(
                "retry topics cannot take batches".into(),
            ));
        }
        if m.delay_level() > 0 {
            return Err(ClientError::InvalidMessage(
                "batched messages cannot be delayed".into(),
            ));
        }
        let id = match m.uniq_key() {
            Some(k) => k.to_owned(),
            None => {
                let k = next_uniq_key();
                m.properties.insert(properties::UNIQ_KEY.into(), k.clone());
                k
            }
        };
        ids.push(id);
        items.push(BatchItem::with_map(m.flag, m.body, &m.properties));
    }
    let body = encode_batch(&items)?;
    if body.len() > cfg.max_message_size {
        return Err(ClientError::InvalidMessage(format!(
            "batch body of {} bytes exceeds maxMessageSize {}",
            body.len(),
            cfg.max_message_size
        )));
    }
    // The batch's own properties carry only WAIT: brokers up to 5.3.3 copy them onto every inner message.
    let props = properties::encode_pairs([(properties::WAIT, if wait { "true" } else { "false" })]);
    Ok(Prepared {
        code: request_code::SEND_BATCH_MESSAGE,
        topic,
        body,
        flag: 0,
        sys_flag: 0,
        properties: props,
        msg_id: ids.join(","),
        reconsume_times: None,
        max_reconsume_times: None,
        batch: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::message::batch::decode_batch;
    use ferrocket_protocol::message::compression::zlib_decompress;

    #[test]
    fn single_gets_uniq_key_and_compression_over_threshold() {
        let cfg = ProducerConfig::default();
        let small = prepare_single(Message::new("T", "hello").with_tags("A"), &cfg).unwrap();
        assert_eq!(small.code, request_code::SEND_MESSAGE_V2);
        assert_eq!(small.sys_flag, 0);
        assert_eq!(&small.body[..], b"hello");
        assert_eq!(small.msg_id.len(), 32);
        assert_eq!(
            properties::get(&small.properties, properties::UNIQ_KEY),
            Some(small.msg_id.as_str())
        );
        assert_eq!(
            properties::get(&small.properties, properties::TAGS),
            Some("A")
        );

        let big_body = vec![b'x'; 4096];
        let big = prepare_single(Message::new("T", big_body.clone()), &cfg).unwrap();
        assert!(sysflag::is_compressed(big.sys_flag));
        assert_eq!(
            sysflag::compression_type(big.sys_flag).unwrap(),
            Some(CompressionType::Zlib)
        );
        assert!(big.body.len() < 4096);
        assert_eq!(zlib_decompress(&big.body, 1 << 20).unwrap(), big_body);

        let just_under = prepare_single(Message::new("T", vec![b'x'; 4095]), &cfg).unwrap();
        assert!(!sysflag::is_compressed(just_under.sys_flag));
    }

    #[test]
    fn half_message_and_retry_topic_fields() {
        let cfg = ProducerConfig::default();
        let mut m = Message::new("T", "x").with_delay_level(3);
        mark_half(&mut m, "PG");
        let p = prepare_single(m, &cfg).unwrap();
        assert_eq!(
            sysflag::transaction_type(p.sys_flag),
            sysflag::TRANSACTION_PREPARED_TYPE
        );
        assert_eq!(
            properties::get(&p.properties, properties::PGROUP),
            Some("PG")
        );
        assert_eq!(properties::get(&p.properties, properties::DELAY), None);

        let r = Message::new("%RETRY%G", "x")
            .with_property(properties::RECONSUME_TIME, "3")
            .with_property(properties::MAX_RECONSUME_TIMES, "16");
        let p = prepare_single(r, &cfg).unwrap();
        assert_eq!(
            (p.reconsume_times, p.max_reconsume_times),
            (Some(3), Some(16))
        );
        assert_eq!(
            properties::get(&p.properties, properties::RECONSUME_TIME),
            None
        );
    }

    #[test]
    fn batch_encodes_each_message_with_its_own_key() {
        let cfg = ProducerConfig::default();
        let msgs = vec![
            Message::new("T", "a").with_tags("x"),
            Message::new("T", "bb").with_key("k"),
        ];
        let p = prepare_batch(msgs, &cfg).unwrap();
        assert!(p.batch);
        assert_eq!(p.code, request_code::SEND_BATCH_MESSAGE);
        let items = decode_batch(&p.body).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(&items[1].body[..], b"bb");
        let ids: Vec<_> = items
            .iter()
            .map(|i| i.property(properties::UNIQ_KEY).unwrap().to_owned())
            .collect();
        assert_ne!(ids[0], ids[1]);
        assert_eq!(p.msg_id, ids.join(","));
        assert_eq!(
            properties::get(&p.properties, properties::WAIT),
            Some("true")
        );
        assert_eq!(properties::get(&p.properties, properties::UNIQ_KEY), None);

        assert!(prepare_batch(vec![], &cfg).is_err());
        assert!(prepare_batch(vec![Message::new("T", "a"), Message::new("U", "b")], &cfg).is_err());
        assert!(prepare_batch(vec![Message::new("T", "a").with_delay_level(2)], &cfg).is_err());
    }
}
