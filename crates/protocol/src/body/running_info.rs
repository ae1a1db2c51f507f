//! GET_CONSUMER_RUNNING_INFO (307) and CONSUME_MESSAGE_DIRECTLY (309) reply bodies (§16.3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{json_body, ConsumeType, MessageQueue, SubscriptionData};

/// State of one queue's local cache in a push consumer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProcessQueueInfo {
    pub cached_msg_count: i32,
    pub cached_msg_max_offset: i64,
    pub cached_msg_min_offset: i64,
    #[serde(rename = "cachedMsgSizeInMiB")]
    pub cached_msg_size_in_mib: i32,
    pub commit_offset: i64,
    /// Spelled `droped` on the wire.
    pub droped: bool,
    pub last_consume_timestamp: i64,
    pub last_lock_timestamp: i64,
    pub last_pull_timestamp: i64,
    pub locked: bool,
    pub transaction_msg_count: i32,
    pub transaction_msg_max_offset: i64,
    pub transaction_msg_min_offset: i64,
    pub try_unlock_times: i64,
}

/// State of one queue of a POP consumer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PopProcessQueueInfo {
    pub droped: bool,
    pub last_pop_timestamp: i64,
    pub wait_ack_count: i32,
}

/// Per-topic rates of a consumer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsumeStatus {
    #[serde(rename = "consumeFailedMsgs")]
    pub consume_failed_msgs: i64,
    #[serde(rename = "consumeFailedTPS")]
    pub consume_failed_tps: f64,
    #[serde(rename = "consumeOKTPS")]
    pub consume_ok_tps: f64,
    #[serde(rename = "consumeRT")]
    pub consume_rt: f64,
    #[serde(rename = "pullRT")]
    pub pull_rt: f64,
    #[serde(rename = "pullTPS")]
    pub pull_tps: f64,
}

/// A consumer's self-description. Apache tools need at least `PROP_CONSUME_TYPE` and
/// `PROP_CONSUMER_START_TIMESTAMP` in `properties` and the three tables present (possibly empty); see
/// [`ConsumerRunningInfo::with_required_properties`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumerRunningInfo {
    pub jstack: Option<String>,
    pub mq_pop_table: BTreeMap<MessageQueue, PopProcessQueueInfo>,
    pub mq_table: BTreeMap<MessageQueue, ProcessQueueInfo>,
    /// Every value is a string (numbers sent by other clients are converted).
    pub properties: BTreeMap<String, String>,
    /// topic → rates.
    pub status_table: BTreeMap<String, ConsumeStatus>,
    pub subscription_set: Vec<SubscriptionData>,
    pub user_consumer_info: BTreeMap<String, String>,
}

json_body!(ConsumerRunningInfo);

impl ConsumerRunningInfo {
    pub const PROP_NAMESERVER_ADDR: &'static str = "PROP_NAMESERVER_ADDR";
    pub const PROP_THREADPOOL_CORE_SIZE: &'static str = "PROP_THREADPOOL_CORE_SIZE";
    /// Note the missing underscore, as in Java.
    pub const PROP_CONSUME_ORDERLY: &'static str = "PROP_CONSUMEORDERLY";
    pub const PROP_CONSUME_TYPE: &'static str = "PROP_CONSUME_TYPE";
    pub const PROP_CLIENT_VERSION: &'static str = "PROP_CLIENT_VERSION";
    pub const PROP_CONSUMER_START_TIMESTAMP: &'static str = "PROP_CONSUMER_START_TIMESTAMP";

    /// An info with the properties Apache tools cannot do without.
    pub fn with_required_properties(
        consume_type: ConsumeType,
        start_timestamp_ms: i64,
        orderly: bool,
    ) -> Self {
        let mut info = ConsumerRunningInfo::default();
        info.properties
            .insert(Self::PROP_CONSUME_TYPE.into(), consume_type.as_str().into());
        info.properties.insert(
            Self::PROP_CONSUMER_START_TIMESTAMP.into(),
            start_timestamp_ms.to_string(),
        );
        info.properties
            .insert(Self::PROP_CONSUME_ORDERLY.into(), orderly.to_string());
        info
    }

    /// `PROP_CONSUME_TYPE`, if present and valid.
    pub fn consume_type(&self) -> Option<ConsumeType> {
        self.properties
            .get(Self::PROP_CONSUME_TYPE)
            .and_then(|s| ConsumeType::parse(s))
    }
}

/// Outcome of a CONSUME_MESSAGE_DIRECTLY call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CMResult {
    #[serde(rename = "CR_SUCCESS")]
    Success,
    #[serde(rename = "CR_LATER")]
    Later,
    #[serde(rename = "CR_ROLLBACK")]
    Rollback,
    #[serde(rename = "CR_COMMIT")]
    Commit,
    #[serde(rename = "CR_THROW_EXCEPTION")]
    ThrowException,
    #[serde(rename = "CR_RETURN_NULL")]
    ReturnNull,
}

/// CONSUME_MESSAGE_DIRECTLY reply body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumeMessageDirectlyResult {
    pub auto_commit: bool,
    pub consume_result: Option<CMResult>,
    pub order: bool,
    pub remark: Option<String>,
    pub spent_time_mills: i64,
}

json_body!(ConsumeMessageDirectlyResult);

impl Default for ConsumeMessageDirectlyResult {
    fn default() -> Self {
        ConsumeMessageDirectlyResult {
            auto_commit: true,
            consume_result: None,
            order: false,
            remark: None,
            spent_time_mills: 0,
        }
    }
}
