//! Statistics bodies: GET_CONSUME_STATS (208) and GET_TOPIC_STATS_INFO (202) (§8.4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{json_body, MessageQueue};

/// Per-queue progress of a consumer group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OffsetWrapper {
    pub broker_offset: i64,
    pub consumer_offset: i64,
    /// Store timestamp of the last consumed message.
    pub last_timestamp: i64,
    pub pull_offset: i64,
}

json_body!(OffsetWrapper);

/// `{"consumeTps":0.0,"offsetTable":{<MessageQueue>:OffsetWrapper}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumeStats {
    pub consume_tps: f64,
    pub offset_table: BTreeMap<MessageQueue, OffsetWrapper>,
}

json_body!(ConsumeStats);

impl ConsumeStats {
    /// Sum over queues of brokerOffset − consumerOffset (the group's lag).
    pub fn total_diff(&self) -> i64 {
        self.offset_table
            .values()
            .map(|w| w.broker_offset - w.consumer_offset)
            .sum()
    }
}

/// Offsets of one queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicOffset {
    pub last_update_timestamp: i64,
    pub max_offset: i64,
    pub min_offset: i64,
}

json_body!(TopicOffset);

/// `{"offsetTable":{<MessageQueue>:TopicOffset},"topicPutTps":0.0}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicStatsTable {
    pub offset_table: BTreeMap<MessageQueue, TopicOffset>,
    pub topic_put_tps: f64,
}

json_body!(TopicStatsTable);
