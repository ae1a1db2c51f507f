//! Looking messages up (remoting-protocol.md §7.4): VIEW_MESSAGE_BY_ID and QUERY_MESSAGE.

use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::header::{QueryMessageRequestHeader, ViewMessageRequestHeader};
use ferrocket_protocol::message::{decode_offset_msg_id, MessageExt};

use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;

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

    /// QUERY_MESSAGE at `addr`: messages whose key (or UNIQ_KEY, with `unique`) hashes like `key`; the caller
    /// filters on the real value. Empty when the broker finds nothing.
    pub(crate) async fn query_message(
        &self,
        addr: &str,
        topic: &str,
        key: &str,
        max_num: i32,
        begin_ms: i64,
        end_ms: i64,
        unique: bool,
    ) -> Result<Vec<MessageExt>> {
        let header = QueryMessageRequestHeader {
            topic: topic.to_owned(),
            key: key.to_owned(),
            max_num,
            begin_timestamp: begin_ms,
            end_timestamp: end_ms,
            unique_key_query: unique.then_some(true),
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
