//! Looking messages up (remoting-protocol.md §7.4): VIEW_MESSAGE_BY_ID and QUERY_MESSAGE.

use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::header::{QueryMessageRequestHeader, ViewMessageRequestHeader};
use ferrocket_protocol::message::{decode_offset_msg_id, MessageExt};

use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;

/// A QUERY_MESSAGE lookup.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MessageQuery<'a> {
    pub topic: &'a str,
    pub key: &'a str,
    pub max_num: i32,
    pub begin_ms: i64,
    pub end_ms: i64,
    /// Search by UNIQ_KEY instead of KEYS.
    pub unique: bool,
}

impl ClientInstance {
    /// VIEW_MESSAGE_BY_ID: the message an offsetMsgId points at (its store host and commit-log offset).
    pub(crate) async fn view_message(&self, offset_msg_id: &str) -> Result<MessageExt> {
        let (store_host, offset) = decode_offset_msg_id(offset_msg_id)?;
        let addr = store_host.to_string();
        let header = ViewMessageRequestHeader {
            offset,
            topic: None,
        };
        let req = self.request_with(request_code::VIEW_MESSAGE_BY_ID, &header);
        let resp = self
            .invoke_ok(&addr, req, self.config().api_timeout)
            .await?;
        let mut msgs = MessageExt::decode_all_with(resp.body.clone(), true)?;
        if msgs.is_empty() {
            return Err(ClientError::bad_response(
                &addr,
                "VIEW_MESSAGE_BY_ID returned no record",
            ));
        }
        Ok(msgs.swap_remove(0))
    }

    /// QUERY_MESSAGE at `addr`: messages whose key (or UNIQ_KEY, with `unique`) hashes like the query's key;
    /// the caller filters on the real value. Empty when the broker finds nothing.
    pub(crate) async fn query_message(
        &self,
        addr: &str,
        q: &MessageQuery<'_>,
    ) -> Result<Vec<MessageExt>> {
        let header = QueryMessageRequestHeader {
            topic: q.topic.to_owned(),
            key: q.key.to_owned(),
            max_num: q.max_num,
            begin_timestamp: q.begin_ms,
            end_timestamp: q.end_ms,
            unique_key_query: q.unique.then_some(true),
            broker_name: None,
        };
        let req = self.request_with(request_code::QUERY_MESSAGE, &header);
        // Index lookups may touch many files; give them the longer pull-style timeout.
        let timeout = self
            .config()
            .api_timeout
            .max(std::time::Duration::from_secs(15));
        let resp = self.invoke(addr, req, timeout).await?;
        match resp.code {
            response_code::SUCCESS => Ok(MessageExt::decode_all_with(resp.body.clone(), true)?),
            response_code::QUERY_NOT_FOUND => Ok(Vec::new()),
            code => Err(ClientError::broker(addr, code, resp.remark)),
        }
    }
}
