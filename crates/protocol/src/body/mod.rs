//! Typed JSON bodies of the remoting protocol (§7, §8, §16 of the protocol fact sheet).
//!
//! Every body decodes through the tolerant fastjson reader ([`crate::json`]): unknown fields are ignored, missing
//! ones take Apache's defaults, numbers may come as strings, enums as names or ordinals. Every body encodes like
//! fastjson (fields sorted, nulls omitted); bodies with integer or `MessageQueue` map keys write them bare by default
//! (`encode`) and can be asked for standard JSON (`encode_with(KeyStyle::Quoted)`).
//! [`TopicRouteData::encode`] takes the style explicitly since the name server picks it per request (§8.7), and
//! [`RegisterBrokerBody`] has a JSON and a zlib-compressed binary form (§7.9).

mod cluster;
mod connection;
mod consumer_enums;
mod data_version;
mod error;
mod heartbeat;
mod lock;
mod message_queue;
mod offset_table;
mod register_broker;
mod reset_offset;
mod route;
mod running_info;
mod stats;
mod subscription_group;
mod topic_config;

pub use cluster::{ClusterInfo, KVTable, TopicList};
pub use connection::{
    Connection, ConsumerConnection, GetConsumerListByGroupResponseBody, ProducerConnection,
};
pub use consumer_enums::{ConsumeFromWhere, ConsumeType, MessageModel};
pub use data_version::DataVersion;
pub use error::BodyError;
pub use heartbeat::{
    java_string_hash, CheckClientRequestBody, ConsumerData, HeartbeatData, ProducerData,
    SubscriptionData, EXPRESSION_TYPE_SQL92, EXPRESSION_TYPE_TAG, SUB_ALL,
};
pub use lock::{LockBatchRequestBody, LockBatchResponseBody, UnlockBatchRequestBody};
pub use message_queue::MessageQueue;
pub use offset_table::{ConsumerOffsetSerializeWrapper, DelayOffsetSerializeWrapper};
pub use register_broker::RegisterBrokerBody;
pub use reset_offset::{MessageQueueForC, ResetOffsetBody, ResetOffsetBodyForC};
pub use route::{BrokerData, QueueData, TopicRouteData, MASTER_ID};
pub use running_info::{
    CMResult, ConsumeMessageDirectlyResult, ConsumeStatus, ConsumerRunningInfo,
    PopProcessQueueInfo, ProcessQueueInfo,
};
pub use stats::{ConsumeStats, OffsetWrapper, TopicOffset, TopicStatsTable};
pub use subscription_group::{
    GroupRetryPolicy, GroupRetryPolicyType, SimpleSubscriptionData, SubscriptionGroupConfig,
    SubscriptionGroupWrapper,
};
pub use topic_config::{
    TopicConfig, TopicConfigAndMappingSerializeWrapper, TopicConfigSerializeWrapper,
    TopicFilterType,
};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::json::{self, KeyStyle};

/// Generic access to any JSON body, for code that handles bodies of several types.
pub trait JsonBody: Serialize + DeserializeOwned {
    /// Decodes from fastjson-dialect bytes.
    fn from_json(bytes: &[u8]) -> Result<Self, BodyError> {
        decode_json(bytes)
    }
    /// Encodes with the given key style.
    fn to_json(&self, style: KeyStyle) -> Vec<u8> {
        encode_json(self, style)
    }
}

pub(crate) fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, BodyError> {
    Ok(json::from_slice(bytes)?)
}

/// Encodes a body type of this module.
pub(crate) fn encode_json<T: Serialize + ?Sized>(body: &T, style: KeyStyle) -> Vec<u8> {
    // The writer only fails for map keys it cannot represent (non-finite floats, data-carrying enum variants) or
    // custom Serialize errors; no body type of this module has either, so failure is a bug in this module.
    json::to_vec(body, style).expect("body types of this module always serialize")
}

/// Gives each listed body inherent `decode`, `encode` (fastjson default: bare keys) and `encode_with(style)`.
macro_rules! json_body {
    ($($ty:ty),* $(,)?) => {$(
        impl $ty {
            /// Decodes this body from fastjson-dialect JSON bytes.
            pub fn decode(bytes: &[u8]) -> Result<Self, $crate::body::BodyError> {
                $crate::body::decode_json(bytes)
            }

            /// Encodes as fastjson does by default (non-string map keys bare).
            pub fn encode(&self) -> Vec<u8> {
                $crate::body::encode_json(self, $crate::json::KeyStyle::Bare)
            }

            /// Encodes with the given key style.
            pub fn encode_with(&self, style: $crate::json::KeyStyle) -> Vec<u8> {
                $crate::body::encode_json(self, style)
            }
        }

        impl $crate::body::JsonBody for $ty {}
    )*};
}
pub(crate) use json_body;

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
