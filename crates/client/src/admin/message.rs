//! Message lookups (remoting-protocol.md §7.4, §13): by server id, by client id (UNIQ_KEY), by key; and
//! CONSUME_MESSAGE_DIRECTLY (§16.3), which hands one stored message to one consumer.

use ferrocket_protocol::body::ConsumeMessageDirectlyResult;
use ferrocket_protocol::codes::request_code;
use ferrocket_protocol::header::ConsumeMessageDirectlyResultRequestHeader;
use ferrocket_protocol::message::MessageExt;

use super::Admin;
use crate::api::query::MessageQuery;
use crate::error::{ClientError, Result};

/// Upper bound of the time range when the caller gives none.
const END_OF_TIME: i64 = i64::MAX;

impl Admin {
    /// VIEW_MESSAGE_BY_ID: the message an offsetMsgId names (it says which broker and where).
    pub async fn view_message(&self, offset_msg_id: &str) -> Result<MessageExt> {
        self.instance.view_message(offset_msg_id).await
    }

    /// QUERY_MESSAGE by key at every broker of `topic`, keeping messages whose KEYS really contain `key`.
    pub async fn query_message_by_key(
        &self,
        topic: &str,
        key: &str,
        max_num: i32,
        begin_ms: i64,
        end_ms: Option<i64>,
    ) -> Result<Vec<MessageExt>> {
        let end = end_ms.unwrap_or(END_OF_TIME);
        let mut out = Vec::new();
        for (_, addr) in self.topic_masters(topic).await? {
            let q = MessageQuery {
                topic,
                key,
                max_num,
                begin_ms,
                end_ms: end,
                unique: false,
            };
            let found = self.instance.query_message(&addr, &q).await?;
            out.extend(
                found
                    .into_iter()
                    .filter(|m| m.topic == topic && m.keys().any(|k| k == key)),
            );
        }
        out.sort_by_key(|m| m.store_timestamp);
        out.truncate(usize::try_from(max_num).unwrap_or(0));
        Ok(out)
    }

    /// QUERY_MESSAGE by UNIQ_KEY (the producer's msgId) at every broker of `topic`.
    pub async fn query_message_by_uniq_key(
        &self,
        topic: &str,
        uniq_key: &str,
    ) -> Result<Vec<MessageExt>> {
        let mut out = Vec::new();
        for (_, addr) in self.topic_masters(topic).await? {
            let q = MessageQuery {
                topic,
                key: uniq_key,
                max_num: 32,
                begin_ms: 0,
                end_ms: END_OF_TIME,
                unique: true,
            };
            let found = self.instance.query_message(&addr, &q).await?;
            out.extend(found.into_iter().filter(|m| m.uniq_key() == Some(uniq_key)));
        }
        Ok(out)
    }

    /// A message by either id, as `queryMsgById` does: an offsetMsgId first, then a UNIQ_KEY.
    pub async fn query_message_by_id(&self, topic: &str, id: &str) -> Result<MessageExt> {
        if let Ok(m) = self.view_message(id).await {
            return Ok(m);
        }
        self.query_message_by_uniq_key(topic, id)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| ClientError::InvalidMessage(format!("no message {id} in topic {topic}")))
    }

    /// CONSUME_MESSAGE_DIRECTLY: finds the message (`msg_id` is an offsetMsgId or a UNIQ_KEY, as for
    /// [`Admin::query_message_by_id`]) and asks the broker that stores it to hand it to the consumer `client_id` of
    /// `group`, which runs its listener on it (no offset commit, no retry) and reports the outcome. Fails when the
    /// consumer is not connected to that broker or cannot consume directly (not a push consumer).
    pub async fn consume_message_directly(
        &self,
        group: &str,
        client_id: &str,
        topic: &str,
        msg_id: &str,
    ) -> Result<ConsumeMessageDirectlyResult> {
        let msg = self.query_message_by_id(topic, msg_id).await?;
        let addr = msg.store_host.to_string();
        let header = ConsumeMessageDirectlyResultRequestHeader {
            consumer_group: group.to_owned(),
            client_id: Some(client_id.to_owned()),
            msg_id: Some(msg.offset_msg_id()),
            topic: Some(topic.to_owned()),
            broker_name: None,
            topic_sys_flag: None,
            group_sys_flag: None,
        };
        let req = self
            .instance
            .request_with(request_code::CONSUME_MESSAGE_DIRECTLY, &header);
        // The broker waits up to 10 s for the consumer's listener.
        let timeout = self.timeout().max(std::time::Duration::from_secs(12));
        let resp = self.instance.invoke_ok(&addr, req, timeout).await?;
        if resp.body.is_empty() {
            return Err(ClientError::bad_response(
                &addr,
                "consume-directly result without a body",
            ));
        }
        Ok(ConsumeMessageDirectlyResult::decode(&resp.body)?)
    }
}
