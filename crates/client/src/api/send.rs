//! SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE (remoting-protocol.md §7.1) and END_TRANSACTION (§7.6).

use std::time::Duration;

use ferrocket_protocol::body::MessageQueue;
use ferrocket_protocol::codes::request_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    read_optional, read_required, EndTransactionRequestHeader, SendMessageRequestHeaderV2,
};

use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;
use crate::producer::prepare::Prepared;
use crate::producer::{SendResult, SendStatus};

/// Who sends, and how brokers may auto-create the topic.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SendContext<'a> {
    pub group: &'a str,
    pub create_topic_key: &'a str,
    pub default_topic_queue_nums: i32,
}

/// The request header of one send: built once (one copy of group, topic and properties), re-aimed at each
/// attempt's queue.
pub(crate) struct SendHeader(SendMessageRequestHeaderV2);

impl SendHeader {
    pub fn new(p: &Prepared, ctx: SendContext<'_>) -> Self {
        SendHeader(SendMessageRequestHeaderV2 {
            producer_group: ctx.group.to_owned(),
            topic: p.topic.clone(),
            default_topic: ctx.create_topic_key.to_owned(),
            default_topic_queue_nums: ctx.default_topic_queue_nums,
            queue_id: -1,
            sys_flag: p.sys_flag,
            born_timestamp: 0,
            flag: p.flag,
            properties: Some(p.properties.clone()),
            reconsume_times: p.reconsume_times.or(Some(0)),
            unit_mode: Some(false),
            max_reconsume_times: p.max_reconsume_times,
            batch: Some(p.batch),
            broker_name: None,
        })
    }

    fn aim(&mut self, mq: &MessageQueue) {
        let h = &mut self.0;
        h.queue_id = mq.queue_id;
        h.born_timestamp = now_millis();
        if h.broker_name.as_deref() != Some(mq.broker_name.as_str()) {
            h.broker_name = Some(mq.broker_name.clone());
        }
    }
}

impl ClientInstance {
    fn send_command(
        &self,
        mq: &MessageQueue,
        p: &Prepared,
        header: &mut SendHeader,
    ) -> RemotingCommand {
        header.aim(mq);
        // The body is reference-counted: attempts and retries share one buffer.
        self.request_with(p.code, &header.0)
            .with_body(p.body.clone())
    }

    /// One send attempt to `addr` (the master of `mq`'s broker).
    pub(crate) async fn send_message(
        &self,
        addr: &str,
        mq: &MessageQueue,
        p: &Prepared,
        header: &mut SendHeader,
        timeout: Duration,
    ) -> Result<SendResult> {
        let resp = self
            .invoke(addr, self.send_command(mq, p, header), timeout)
            .await?;
        parse_send_response(addr, mq, &p.msg_id, resp)
    }

    /// A send nobody waits for: no response, no retry.
    pub(crate) async fn send_message_oneway(
        &self,
        addr: &str,
        mq: &MessageQueue,
        p: &Prepared,
        header: &mut SendHeader,
    ) -> Result<()> {
        self.oneway(addr, self.send_command(mq, p, header)).await
    }

    /// END_TRANSACTION, oneway.
    pub(crate) async fn end_transaction(
        &self,
        addr: &str,
        header: &EndTransactionRequestHeader,
        remark: Option<String>,
    ) -> Result<()> {
        let mut req = self.request_with(request_code::END_TRANSACTION, header);
        req.remark = remark;
        self.oneway(addr, req).await
    }
}

fn parse_send_response(
    addr: &str,
    mq: &MessageQueue,
    msg_id: &str,
    resp: RemotingCommand,
) -> Result<SendResult> {
    let Some(status) = SendStatus::from_code(resp.code) else {
        return Err(ClientError::broker(addr, resp.code, resp.remark));
    };
    // The fields of SendMessageResponseHeader read one by one: only those the result keeps become Strings.
    const HEADER: &str = "SendMessageResponseHeader";
    let bad = |e: ferrocket_protocol::error::ProtocolError| {
        ClientError::bad_response(addr, e.to_string())
    };
    let ext = &resp.ext_fields;
    let offset_msg_id: String = read_required(ext, HEADER, "msgId").map_err(bad)?;
    let queue_id: i32 = read_required(ext, HEADER, "queueId").map_err(bad)?;
    let queue_offset: i64 = read_required(ext, HEADER, "queueOffset").map_err(bad)?;
    Ok(SendResult {
        status,
        msg_id: msg_id.to_owned(),
        offset_msg_id,
        queue: MessageQueue::new(mq.topic.clone(), mq.broker_name.clone(), queue_id),
        queue_offset,
        transaction_id: read_optional(ext, "transactionId"),
        region_id: read_optional(ext, "MSG_REGION"),
        trace_on: resp.ext("TRACE_ON") != Some("false"),
    })
}

pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::codes::response_code;

    #[test]
    fn header_is_built_once_and_aimed_per_attempt() {
        let cfg = crate::producer::ProducerConfig::default();
        let p = crate::producer::prepare::prepare_single(
            crate::Message::new("T", "x").with_tags("A"),
            &cfg,
        )
        .unwrap();
        let ctx = SendContext {
            group: "PG",
            create_topic_key: "TBW102",
            default_topic_queue_nums: 4,
        };
        let mut h = SendHeader::new(&p, ctx);
        h.aim(&MessageQueue::new("T", "broker-b", 3));
        let ext = ferrocket_protocol::header::CommandHeader::to_ext(&h.0);
        // SEND_MESSAGE_V2's single-letter keys, as Java clients send them.
        for (k, v) in [
            ("a", "PG"),
            ("b", "T"),
            ("c", "TBW102"),
            ("d", "4"),
            ("e", "3"),
            ("f", "0"),
            ("h", "0"),
            ("j", "0"),
            ("k", "false"),
            ("m", "false"),
            ("n", "broker-b"),
        ] {
            assert_eq!(ext.get(k), Some(v), "{k}");
        }
        assert!(ext["i"].contains("UNIQ_KEY") && ext["i"].contains("TAGS"));
        assert!(ext["g"].parse::<i64>().unwrap() > 1_600_000_000_000);
        h.aim(&MessageQueue::new("T", "broker-a", 0));
        let ext = ferrocket_protocol::header::CommandHeader::to_ext(&h.0);
        assert_eq!((&ext["e"], &ext["n"]), ("0", "broker-a"));
    }

    #[test]
    fn response_parsing() {
        let mq = MessageQueue::new("T", "b", 0);
        let ok = RemotingCommand::new_response(response_code::FLUSH_DISK_TIMEOUT, None)
            .with_ext("msgId", "0A0000010000297F0000000000000010")
            .with_ext("queueId", "3")
            .with_ext("queueOffset", "42")
            .with_ext("MSG_REGION", "DefaultRegion")
            .with_ext("TRACE_ON", "false");
        let r = parse_send_response("a", &mq, "UNIQ", ok).unwrap();
        assert_eq!(r.status, SendStatus::FlushDiskTimeout);
        assert_eq!(r.queue, MessageQueue::new("T", "b", 3));
        assert_eq!(r.queue_offset, 42);
        assert_eq!(r.msg_id, "UNIQ");
        assert!(!r.trace_on);
        let refused =
            RemotingCommand::new_response(response_code::NO_PERMISSION, Some("no".into()));
        let e = parse_send_response("a", &mq, "U", refused).unwrap_err();
        assert_eq!(e.response_code(), Some(response_code::NO_PERMISSION));
        let broken = RemotingCommand::new_response(0, None);
        assert!(matches!(
            parse_send_response("a", &mq, "U", broken),
            Err(ClientError::BadResponse { .. })
        ));
    }
}
