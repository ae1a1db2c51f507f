//! Ordered-consumption queue locks: LOCK_BATCH_MQ (41) and UNLOCK_BATCH_MQ (42) bodies (§7.7).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{json_body, MessageQueue};

/// LOCK_BATCH_MQ request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LockBatchRequestBody {
    pub client_id: String,
    pub consumer_group: String,
    pub mq_set: BTreeSet<MessageQueue>,
    pub only_this_broker: bool,
}

json_body!(LockBatchRequestBody);

/// LOCK_BATCH_MQ response: the queues now locked by the requester.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockBatchResponseBody {
    #[serde(rename = "lockOKMQSet")]
    pub lock_ok_mq_set: BTreeSet<MessageQueue>,
}

json_body!(LockBatchResponseBody);

/// UNLOCK_BATCH_MQ request (same shape as the lock request).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct UnlockBatchRequestBody {
    pub client_id: String,
    pub consumer_group: String,
    pub mq_set: BTreeSet<MessageQueue>,
    pub only_this_broker: bool,
}

json_body!(UnlockBatchRequestBody);
