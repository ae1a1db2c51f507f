//! Offsets (remoting-protocol.md §7.4): consumer offsets on the broker, queue min/max, search by time.

use ferrocket_protocol::body::MessageQueue;
use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::header::{
    GetEarliestMsgStoretimeRequestHeader, GetEarliestMsgStoretimeResponseHeader,
    GetMaxOffsetRequestHeader, GetMaxOffsetResponseHeader, GetMinOffsetRequestHeader,
    GetMinOffsetResponseHeader, QueryConsumerOffsetRequestHeader,
    QueryConsumerOffsetResponseHeader, SearchOffsetRequestHeader, SearchOffsetResponseHeader,
    UpdateConsumerOffsetRequestHeader,
};

use crate::error::{ClientError, Result};
use crate::instance::remote::response_header;
use crate::instance::ClientInstance;

/// Which end of a run of messages with the same store time SEARCH_OFFSET_BY_TIMESTAMP returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BoundaryType {
    #[default]
    Lower,
    Upper,
}

impl ClientInstance {
    async fn queue_master(&self, mq: &MessageQueue) -> Result<String> {
        self.master_addr_or_refresh(&mq.broker_name, &mq.topic)
            .await
    }

    /// QUERY_CONSUMER_OFFSET; `Ok(None)` when the broker has no offset for the group (QUERY_NOT_FOUND).
    pub(crate) async fn query_consumer_offset(
        &self,
        group: &str,
        mq: &MessageQueue,
    ) -> Result<Option<i64>> {
        let addr = self.queue_master(mq).await?;
        let header = QueryConsumerOffsetRequestHeader {
            consumer_group: group.to_owned(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            // Ask for the truth: with the field absent, brokers answer 0 for a group they never saw when the
            // queue still starts at 0, which would defeat CONSUME_FROM_LAST_OFFSET.
            set_zero_if_not_found: Some(false),
            broker_name: Some(mq.broker_name.clone()),
        };
        let req = self.request_with(request_code::QUERY_CONSUMER_OFFSET, &header);
        let resp = self.invoke(&addr, req, self.config().api_timeout).await?;
        match resp.code {
            response_code::SUCCESS => {
                let h: QueryConsumerOffsetResponseHeader = response_header(&addr, &resp)?;
                Ok(Some(h.offset))
            }
            response_code::QUERY_NOT_FOUND => Ok(None),
            code => Err(ClientError::broker(&addr, code, resp.remark)),
        }
    }

    /// UPDATE_CONSUMER_OFFSET, oneway (as the periodic persistence does) or waiting for the answer.
    pub(crate) async fn update_consumer_offset(
        &self,
        group: &str,
        mq: &MessageQueue,
        offset: i64,
        oneway: bool,
    ) -> Result<()> {
        let addr = self.queue_master(mq).await?;
        let header = UpdateConsumerOffsetRequestHeader {
            consumer_group: group.to_owned(),
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            commit_offset: offset,
            broker_name: Some(mq.broker_name.clone()),
        };
        let req = self.request_with(request_code::UPDATE_CONSUMER_OFFSET, &header);
        if oneway {
            self.oneway(&addr, req).await
        } else {
            self.invoke_ok(&addr, req, self.config().api_timeout)
                .await
                .map(|_| ())
        }
    }

    /// GET_MAX_OFFSET: the offset the next message of the queue will get.
    pub(crate) async fn max_offset(&self, mq: &MessageQueue) -> Result<i64> {
        let addr = self.queue_master(mq).await?;
        let header = GetMaxOffsetRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            committed: None,
            broker_name: Some(mq.broker_name.clone()),
        };
        let req = self.request_with(request_code::GET_MAX_OFFSET, &header);
        let resp = self
            .invoke_ok(&addr, req, self.config().api_timeout)
            .await?;
        Ok(response_header::<GetMaxOffsetResponseHeader>(&addr, &resp)?.offset)
    }

    /// GET_MIN_OFFSET.
    pub(crate) async fn min_offset(&self, mq: &MessageQueue) -> Result<i64> {
        let addr = self.queue_master(mq).await?;
        let header = GetMinOffsetRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            broker_name: Some(mq.broker_name.clone()),
        };
        let req = self.request_with(request_code::GET_MIN_OFFSET, &header);
        let resp = self
            .invoke_ok(&addr, req, self.config().api_timeout)
            .await?;
        Ok(response_header::<GetMinOffsetResponseHeader>(&addr, &resp)?.offset)
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP.
    pub(crate) async fn search_offset(
        &self,
        mq: &MessageQueue,
        timestamp_ms: i64,
        boundary: BoundaryType,
    ) -> Result<i64> {
        let addr = self.queue_master(mq).await?;
        let header = SearchOffsetRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            timestamp: timestamp_ms,
            boundary_type: Some(match boundary {
                BoundaryType::Lower => "LOWER".into(),
                BoundaryType::Upper => "UPPER".into(),
            }),
            broker_name: Some(mq.broker_name.clone()),
        };
        let req = self.request_with(request_code::SEARCH_OFFSET_BY_TIMESTAMP, &header);
        let resp = self
            .invoke_ok(&addr, req, self.config().api_timeout)
            .await?;
        Ok(response_header::<SearchOffsetResponseHeader>(&addr, &resp)?.offset)
    }

    /// GET_EARLIEST_MSG_STORETIME.
    pub(crate) async fn earliest_msg_store_time(&self, mq: &MessageQueue) -> Result<i64> {
        let addr = self.queue_master(mq).await?;
        let header = GetEarliestMsgStoretimeRequestHeader {
            topic: mq.topic.clone(),
            queue_id: mq.queue_id,
            broker_name: Some(mq.broker_name.clone()),
        };
        let req = self.request_with(request_code::GET_EARLIEST_MSG_STORETIME, &header);
        let resp = self
            .invoke_ok(&addr, req, self.config().api_timeout)
            .await?;
        Ok(response_header::<GetEarliestMsgStoretimeResponseHeader>(&addr, &resp)?.timestamp)
    }
}
