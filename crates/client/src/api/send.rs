//! SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE (remoting-protocol.md §7.1) and END_TRANSACTION (§7.6).

use std::time::Duration;

use ferrocket_protocol::body::MessageQueue;
use ferrocket_protocol::codes::request_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{
    EndTransactionRequestHeader, SendMessageRequestHeaderV2, SendMessageResponseHeader,
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

impl ClientInstance {
    fn send_command(
        &self,
        mq: &MessageQueue,
        p: &Prepared,
        ctx: SendContext<'_>,
    ) -> RemotingCommand {
        let header = SendMessageRequestHeaderV2 {
            producer_group: ctx.group.to_owned(),
            topic: p.topic.clone(),
            default_topic: ctx.create_topic_key.to_owned(),
            default_topic_queue_nums: ctx.default_topic_queue_nums,
            queue_id: mq.queue_id,
            sys_flag: p.sys_flag,
            born_timestamp: now_millis(),
            flag: p.flag,
            properties: Some(p.properties.clone()),
            reconsume_times: p.reconsume_times.or(Some(0)),
            unit_mode: Some(false),
            max_reconsume_times: p.max_reconsume_times,
            batch: Some(p.batch),
            broker_name: Some(mq.broker_name.clone()),
        };
        // The body is reference-counted: attempts and retries share one buffer.
        self.request_with(p.code, &header).with_body(p.body.clone())
    }

    /// One send attempt to `addr` (the master of `mq`'s broker).
    pub(crate) async fn send_message(
        &self,
        addr: &str,
        mq: &MessageQueue,
        p: &Prepared,
        ctx: SendContext<'_>,
        timeout: Duration,
    ) -> Result<SendResult> {
        let resp = self
            .invoke(addr, self.send_command(mq, p, ctx), timeout)
            .await?;
        parse_send_response(addr, mq, &p.msg_id, resp)
    }

    /// A send nobody waits for: no response, no retry.
    pub(crate) async fn send_message_oneway(
        &self,
        addr: &str,
        mq: &MessageQueue,
        p: &Prepared,
        ctx: SendContext<'_>,
    ) -> Result<()> {
        self.oneway(addr, self.send_command(mq, p, ctx)).await
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
    let h: SendMessageResponseHeader = resp
        .decode_header()
        .map_err(|e| ClientError::bad_response(addr, e.to_string()))?;
    Ok(SendResult {
        status,
        msg_id: msg_id.to_owned(),
        offset_msg_id: h.msg_id,
        queue: MessageQueue::new(mq.topic.clone(), mq.broker_name.clone(), h.queue_id),
        queue_offset: h.queue_offset,
        transaction_id: h.transaction_id,
        region_id: h.msg_region,
        trace_on: h.trace_on.as_deref() != Some("false"),
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
