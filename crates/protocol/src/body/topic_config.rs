//! TopicConfig and the topic-table wrappers broker and name server exchange (§8.2, §7.8).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{json_body, BodyError, DataVersion};
use crate::json::{self, KeyStyle};

/// How tags are filtered; written by name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TopicFilterType {
    #[default]
    SingleTag,
    MultiTag,
}

impl TopicFilterType {
    pub fn as_str(self) -> &'static str {
        match self {
            TopicFilterType::SingleTag => "SINGLE_TAG",
            TopicFilterType::MultiTag => "MULTI_TAG",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "SINGLE_TAG" => Some(TopicFilterType::SingleTag),
            "MULTI_TAG" => Some(TopicFilterType::MultiTag),
            _ => None,
        }
    }
}

/// A topic's configuration on one broker. Defaults are Apache's: 16 read/write queues, perm 6 (RW).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicConfig {
    pub attributes: BTreeMap<String, String>,
    pub order: bool,
    pub perm: i32,
    pub read_queue_nums: i32,
    pub topic_filter_type: TopicFilterType,
    pub topic_name: String,
    pub topic_sys_flag: i32,
    pub write_queue_nums: i32,
}

json_body!(TopicConfig);

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            attributes: BTreeMap::new(),
            order: false,
            perm: Self::DEFAULT_PERM,
            read_queue_nums: Self::DEFAULT_QUEUE_NUMS,
            topic_filter_type: TopicFilterType::SingleTag,
            topic_name: String::new(),
            topic_sys_flag: 0,
            write_queue_nums: Self::DEFAULT_QUEUE_NUMS,
        }
    }
}

impl TopicConfig {
    pub const DEFAULT_QUEUE_NUMS: i32 = 16;
    /// PERM_READ | PERM_WRITE.
    pub const DEFAULT_PERM: i32 = 6;

    /// A topic with Apache's defaults.
    pub fn new(topic_name: impl Into<String>) -> Self {
        TopicConfig {
            topic_name: topic_name.into(),
            ..Default::default()
        }
    }

    /// The space-separated line of the compressed register body:
    /// `name read write perm filterType attributesJson`. (sysFlag and order are not part of it.)
    pub fn to_line(&self) -> String {
        let attributes = String::from_utf8(super::encode_json(&self.attributes, KeyStyle::Bare))
            .unwrap_or_default();
        format!(
            "{} {} {} {} {} {}",
            self.topic_name,
            self.read_queue_nums,
            self.write_queue_nums,
            self.perm,
            self.topic_filter_type.as_str(),
            attributes
        )
    }

    /// Parses [`TopicConfig::to_line`]'s form; the attributes part is optional (older brokers omit it).
    pub fn from_line(line: &str) -> Result<Self, BodyError> {
        let bad = |reason: &str| BodyError::TopicConfigLine {
            line: line.to_owned(),
            reason: reason.to_owned(),
        };
        // Five space-separated words, then the attributes JSON, which may itself contain spaces.
        let mut parts = line.splitn(6, ' ');
        let mut next = |what: &str| {
            parts
                .next()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| bad(what))
        };
        let topic_name = next("missing topic name")?.to_owned();
        let read_queue_nums = next("missing readQueueNums")?
            .parse()
            .map_err(|_| bad("bad readQueueNums"))?;
        let write_queue_nums = next("missing writeQueueNums")?
            .parse()
            .map_err(|_| bad("bad writeQueueNums"))?;
        let perm = next("missing perm")?.parse().map_err(|_| bad("bad perm"))?;
        let topic_filter_type = TopicFilterType::parse(next("missing topicFilterType")?)
            .ok_or_else(|| bad("bad topicFilterType"))?;
        let attributes = match parts.next().map(str::trim).filter(|s| !s.is_empty()) {
            Some(text) => json::from_slice(text.as_bytes())
                .map_err(|e| bad(&format!("bad attributes: {e}")))?,
            None => BTreeMap::new(),
        };
        Ok(TopicConfig {
            attributes,
            order: false,
            perm,
            read_queue_nums,
            topic_filter_type,
            topic_name,
            topic_sys_flag: 0,
            write_queue_nums,
        })
    }
}

/// `{"dataVersion":..,"topicConfigTable":{name: TopicConfig}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicConfigSerializeWrapper {
    pub data_version: DataVersion,
    pub topic_config_table: BTreeMap<String, TopicConfig>,
}

json_body!(TopicConfigSerializeWrapper);

/// The 5.x wrapper (GET_ALL_TOPIC_CONFIG, REGISTER_BROKER): topic table plus static-topic mapping tables, which
/// are kept as opaque JSON (static topics are not implemented; the values pass through unchanged).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicConfigAndMappingSerializeWrapper {
    pub data_version: DataVersion,
    pub mapping_data_version: DataVersion,
    pub topic_config_table: BTreeMap<String, TopicConfig>,
    /// topic → TopicQueueMappingDetail JSON.
    pub topic_queue_mapping_detail_map: BTreeMap<String, Value>,
    /// topic → TopicQueueMappingInfo JSON.
    pub topic_queue_mapping_info_map: BTreeMap<String, Value>,
}

json_body!(TopicConfigAndMappingSerializeWrapper);

impl From<TopicConfigSerializeWrapper> for TopicConfigAndMappingSerializeWrapper {
    fn from(w: TopicConfigSerializeWrapper) -> Self {
        TopicConfigAndMappingSerializeWrapper {
            data_version: w.data_version,
            topic_config_table: w.topic_config_table,
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_apache() {
        let t = TopicConfig::decode(br#"{"topicName":"T"}"#).unwrap();
        assert_eq!((t.read_queue_nums, t.write_queue_nums, t.perm), (16, 16, 6));
        assert_eq!(t.topic_filter_type, TopicFilterType::SingleTag);
        assert!(!t.order);
    }

    #[test]
    fn line_round_trip() {
        let mut t = TopicConfig::new("TopicA");
        t.read_queue_nums = 8;
        t.write_queue_nums = 4;
        t.perm = 7;
        t.topic_filter_type = TopicFilterType::MultiTag;
        t.attributes
            .insert("message.type".into(), "NORMAL x".into());
        let line = t.to_line();
        assert_eq!(
            line,
            r#"TopicA 8 4 7 MULTI_TAG {"message.type":"NORMAL x"}"#
        );
        assert_eq!(TopicConfig::from_line(&line).unwrap(), t);
    }

    #[test]
    fn line_without_attributes_and_bad_lines() {
        let t = TopicConfig::from_line("T 1 2 6 SINGLE_TAG").unwrap();
        assert_eq!((t.read_queue_nums, t.write_queue_nums), (1, 2));
        assert!(t.attributes.is_empty());
        for bad in [
            "",
            "T 1 2 6",
            "T x 2 6 SINGLE_TAG",
            "T 1 2 6 OTHER",
            "T 1 2 6 SINGLE_TAG {",
        ] {
            assert!(TopicConfig::from_line(bad).is_err(), "{bad}");
        }
    }
}
