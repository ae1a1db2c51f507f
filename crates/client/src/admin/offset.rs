//! Offsets: queue bounds, a group's offsets, reset by time (remoting-protocol.md §7.4, §7.7, §16.2).

use std::collections::BTreeMap;

use ferrocket_protocol::body::{MessageQueue, ResetOffsetBody};
use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::header::ResetOffsetRequestHeader;

use super::Admin;
use crate::api::offset::BoundaryType;
use crate::error::{ClientError, Result};

impl Admin {
    /// The readable queues of a topic.
    pub async fn topic_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        Ok(self.instance.update_route(topic).await?.subscribe.clone())
    }

    pub async fn min_offset(&self, mq: &MessageQueue) -> Result<i64> {
        self.instance.min_offset(mq).await
    }

    pub async fn max_offset(&self, mq: &MessageQueue) -> Result<i64> {
        self.instance.max_offset(mq).await
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP (lower boundary).
    pub async fn search_offset(&self, mq: &MessageQueue, timestamp_ms: i64) -> Result<i64> {
        self.instance
            .search_offset(mq, timestamp_ms, BoundaryType::Lower)
            .await
    }

    /// SEARCH_OFFSET_BY_TIMESTAMP with an explicit boundary (which end of a run of equal store times).
    pub async fn search_offset_with_boundary(
        &self,
        mq: &MessageQueue,
        timestamp_ms: i64,
        boundary: BoundaryType,
    ) -> Result<i64> {
        self.instance
            .search_offset(mq, timestamp_ms, boundary)
            .await
    }

    /// GET_EARLIEST_MSG_STORETIME.
    pub async fn earliest_msg_store_time(&self, mq: &MessageQueue) -> Result<i64> {
        self.instance.earliest_msg_store_time(mq).await
    }

    /// The group's stored offset of a queue (`None`: none stored).
    pub async fn query_consumer_offset(
        &self,
        group: &str,
        mq: &MessageQueue,
    ) -> Result<Option<i64>> {
        self.instance.query_consumer_offset(group, mq).await
    }

    /// Sets the group's stored offset of a queue.
    pub async fn update_consumer_offset(
        &self,
        group: &str,
        mq: &MessageQueue,
        offset: i64,
    ) -> Result<()> {
        self.instance
            .update_consumer_offset(group, mq, offset, false)
            .await
    }

    /// Moves `group` on `topic` back (or forward) to `timestamp_ms` (−1: to the end) with
    /// INVOKE_BROKER_TO_RESET_OFFSET at every broker of the topic. Where a broker answers CONSUMER_NOT_ONLINE (or
    /// does not know the command),
    /// the offsets are set directly instead (searched by time, never moved forward unless `force`). Returns the
    /// new offset of each queue.
    pub async fn reset_offset_by_time(
        &self,
        group: &str,
        topic: &str,
        timestamp_ms: i64,
        force: bool,
    ) -> Result<BTreeMap<MessageQueue, i64>> {
        let header = ResetOffsetRequestHeader {
            topic: topic.to_owned(),
            group: group.to_owned(),
            queue_id: Some(-1),
            offset: None,
            timestamp: timestamp_ms,
            is_force: force,
        };
        let mut result = BTreeMap::new();
        let queues = self.topic_queues(topic).await?;
        for (broker, addr) in self.topic_masters(topic).await? {
            let req = self
                .instance
                .request_with(request_code::INVOKE_BROKER_TO_RESET_OFFSET, &header);
            let resp = self.instance.invoke(&addr, req, self.timeout()).await?;
            match resp.code {
                response_code::SUCCESS => {
                    if !resp.body.is_empty() {
                        result.extend(ResetOffsetBody::decode(&resp.body)?.offset_table);
                    }
                }
                // No consumer online, or a broker without the command: set the offsets directly.
                response_code::CONSUMER_NOT_ONLINE | response_code::REQUEST_CODE_NOT_SUPPORTED => {
                    for mq in queues.iter().filter(|q| q.broker_name == broker) {
                        let mut offset = if timestamp_ms < 0 {
                            self.instance.max_offset(mq).await?
                        } else {
                            self.instance
                                .search_offset(mq, timestamp_ms, BoundaryType::Lower)
                                .await?
                        };
                        if !force {
                            if let Some(current) =
                                self.instance.query_consumer_offset(group, mq).await?
                            {
                                offset = offset.min(current);
                            }
                        }
                        self.instance
                            .update_consumer_offset(group, mq, offset, false)
                            .await?;
                        result.insert(mq.clone(), offset);
                    }
                }
                code => return Err(ClientError::broker(&addr, code, resp.remark)),
            }
        }
        Ok(result)
    }

    /// Moves `group` on one queue to `offset` with INVOKE_BROKER_TO_RESET_OFFSET (queueId + offset) at the
    /// queue's broker, which checks the offset against the queue and moves online consumers too. Where the broker
    /// answers CONSUMER_NOT_ONLINE or does not know the command, the stored offset is set directly.
    pub async fn reset_offset_of_queue(
        &self,
        group: &str,
        mq: &MessageQueue,
        offset: i64,
    ) -> Result<()> {
        let addr = self
            .topic_masters(&mq.topic)
            .await?
            .into_iter()
            .find(|(name, _)| *name == mq.broker_name)
            .map(|(_, addr)| addr)
            .ok_or_else(|| ClientError::BrokerNotFound(mq.broker_name.clone()))?;
        let header = ResetOffsetRequestHeader {
            topic: mq.topic.clone(),
            group: group.to_owned(),
            queue_id: Some(mq.queue_id),
            offset: Some(offset),
            // Not used when an offset is given.
            timestamp: -1,
            is_force: true,
        };
        let req = self
            .instance
            .request_with(request_code::INVOKE_BROKER_TO_RESET_OFFSET, &header);
        let resp = self.instance.invoke(&addr, req, self.timeout()).await?;
        match resp.code {
            response_code::SUCCESS => Ok(()),
            response_code::CONSUMER_NOT_ONLINE | response_code::REQUEST_CODE_NOT_SUPPORTED => {
                self.instance
                    .update_consumer_offset(group, mq, offset, false)
                    .await
            }
            code => Err(ClientError::broker(&addr, code, resp.remark)),
        }
    }
}
