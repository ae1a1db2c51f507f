//! Persisted offset tables: consumer offsets (GET_ALL_CONSUMER_OFFSET 43, consumerOffset.json) and delay offsets
//! (GET_ALL_DELAY_OFFSET 45, delayOffset.json) (§8.6).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize, Serializer};

use super::{json_body, DataVersion};

/// `{"dataVersion":..,"groupTopicMap":{"G":["T"]},"offsetTable":{"T@G":{0:15,1:9}}}`. `groupTopicMap` is derived
/// from the offset table when writing and ignored when reading.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumerOffsetSerializeWrapper {
    pub data_version: DataVersion,
    /// `topic@group` → queueId → committed offset.
    pub offset_table: BTreeMap<String, BTreeMap<i32, i64>>,
}

json_body!(ConsumerOffsetSerializeWrapper);

impl ConsumerOffsetSerializeWrapper {
    /// The offset-table key of a (topic, group) pair.
    pub fn key(topic: &str, group: &str) -> String {
        format!("{topic}@{group}")
    }

    /// Splits an offset-table key into (topic, group). Neither may contain '@', so the first one separates them.
    pub fn split_key(key: &str) -> Option<(&str, &str)> {
        key.split_once('@')
    }

    fn group_topic_map(&self) -> BTreeMap<&str, BTreeSet<&str>> {
        let mut map: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for key in self.offset_table.keys() {
            if let Some((topic, group)) = Self::split_key(key) {
                map.entry(group).or_default().insert(topic);
            }
        }
        map
    }
}

impl Serialize for ConsumerOffsetSerializeWrapper {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct View<'a> {
            data_version: &'a DataVersion,
            group_topic_map: BTreeMap<&'a str, BTreeSet<&'a str>>,
            offset_table: &'a BTreeMap<String, BTreeMap<i32, i64>>,
        }
        View {
            data_version: &self.data_version,
            group_topic_map: self.group_topic_map(),
            offset_table: &self.offset_table,
        }
        .serialize(serializer)
    }
}

/// `{"dataVersion":..,"offsetTable":{1:0,3:57}}`: delay level → consume-queue offset of SCHEDULE_TOPIC_XXXX
/// queue level − 1.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DelayOffsetSerializeWrapper {
    pub data_version: DataVersion,
    pub offset_table: BTreeMap<i32, i64>,
}

json_body!(DelayOffsetSerializeWrapper);
