//! Consumer-group calls: member list, ordered-consumption locks, subscription check, send-back
//! (remoting-protocol.md §7.3, §7.5, §7.7, §16.1).

use std::collections::BTreeSet;

use ferrocket_protocol::body::{
    CheckClientRequestBody, GetConsumerListByGroupResponseBody, LockBatchRequestBody,
    LockBatchResponseBody, MessageQueue, SubscriptionData, UnlockBatchRequestBody,
};
use ferrocket_protocol::codes::request_code;
use ferrocket_protocol::header::{
    ConsumerSendMsgBackRequestHeader, GetConsumerListByGroupRequestHeader,
};

use crate::error::{ClientError, Result};
use crate::instance::ClientInstance;

impl ClientInstance {
    /// GET_CONSUMER_LIST_BY_GROUP at `addr`: the client ids of the group's live members.
    pub(crate) async fn consumer_ids(&self, addr: &str, group: &str) -> Result<Vec<String>> {
        let header = GetConsumerListByGroupRequestHeader {
            consumer_group: group.to_owned(),
        };
        let req = self.request_with(request_code::GET_CONSUMER_LIST_BY_GROUP, &header);
        let resp = self.invoke_ok(addr, req, self.config().api_timeout).await?;
        let body = GetConsumerListByGroupResponseBody::decode(&resp.body)
            .map_err(|e| ClientError::bad_response(addr, e.to_string()))?;
        Ok(body.consumer_id_list)
    }

    /// LOCK_BATCH_MQ at `addr`: the queues now locked by this client.
    pub(crate) async fn lock_batch(
        &self,
        addr: &str,
        group: &str,
        queues: BTreeSet<MessageQueue>,
    ) -> Result<BTreeSet<MessageQueue>> {
        let body = LockBatchRequestBody {
            client_id: self.client_id().to_owned(),
            consumer_group: group.to_owned(),
            mq_set: queues,
            only_this_broker: false,
        };
        let req = self
            .request(request_code::LOCK_BATCH_MQ)
            .with_body(body.encode());
        let resp = self.invoke_ok(addr, req, self.config().api_timeout).await?;
        let locked = LockBatchResponseBody::decode(&resp.body)
            .map_err(|e| ClientError::bad_response(addr, e.to_string()))?;
        Ok(locked.lock_ok_mq_set)
    }

    /// UNLOCK_BATCH_MQ at `addr`.
    pub(crate) async fn unlock_batch(
        &self,
        addr: &str,
        group: &str,
        queues: BTreeSet<MessageQueue>,
    ) -> Result<()> {
        let body = UnlockBatchRequestBody {
            client_id: self.client_id().to_owned(),
            consumer_group: group.to_owned(),
            mq_set: queues,
            only_this_broker: false,
        };
        let req = self
            .request(request_code::UNLOCK_BATCH_MQ)
            .with_body(body.encode());
        self.invoke_ok(addr, req, self.config().api_timeout)
            .await
            .map(|_| ())
    }

    /// CHECK_CLIENT_CONFIG at `addr`: does the broker accept this (non-TAG) subscription?
    pub(crate) async fn check_client_config(
        &self,
        addr: &str,
        group: &str,
        sub: &SubscriptionData,
    ) -> Result<()> {
        let body = CheckClientRequestBody {
            client_id: self.client_id().to_owned(),
            group: group.to_owned(),
            namespace: None,
            subscription_data: Some(sub.clone()),
        };
        let req = self
            .request(request_code::CHECK_CLIENT_CONFIG)
            .with_body(body.encode());
        self.invoke_ok(addr, req, self.config().api_timeout)
            .await
            .map(|_| ())
    }

    /// CONSUMER_SEND_MSG_BACK at `addr`: have the broker re-deliver the message at `commit_log_offset` through
    /// the group's retry topic after `delay_level` (0: the broker picks 3 + reconsumeTimes; < 0: dead-letter).
    pub(crate) async fn send_msg_back(
        &self,
        addr: &str,
        header: &ConsumerSendMsgBackRequestHeader,
    ) -> Result<()> {
        let req = self.request_with(request_code::CONSUMER_SEND_MSG_BACK, header);
        self.invoke_ok(addr, req, self.config().api_timeout)
            .await
            .map(|_| ())
    }
}
