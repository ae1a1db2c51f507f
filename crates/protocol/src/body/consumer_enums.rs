//! Consumer enums of heartbeats and admin bodies. Written by name; read by name or by Java ordinal
//! (real clients send ordinals, see compat/README.md) — the variant order below *is* the Java ordinal order.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How a consumer gets messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsumeType {
    /// Pull / lite-pull consumers (ordinal 0).
    ConsumeActively,
    /// Push consumers (ordinal 1).
    #[default]
    ConsumePassively,
    /// POP consumers (ordinal 2).
    ConsumePop,
}

/// Clustering (each message to one member of the group) or broadcasting (to all).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MessageModel {
    Broadcasting,
    #[default]
    Clustering,
}

/// Where a group with no stored offset starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConsumeFromWhere {
    #[default]
    ConsumeFromLastOffset,
    ConsumeFromLastOffsetAndFromMinWhenBootFirst,
    ConsumeFromMinOffset,
    ConsumeFromMaxOffset,
    ConsumeFromFirstOffset,
    ConsumeFromTimestamp,
}

impl ConsumeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumeType::ConsumeActively => "CONSUME_ACTIVELY",
            ConsumeType::ConsumePassively => "CONSUME_PASSIVELY",
            ConsumeType::ConsumePop => "CONSUME_POP",
        }
    }

    /// Parses the Java name (as found in ConsumerRunningInfo's `PROP_CONSUME_TYPE`).
    pub fn parse(s: &str) -> Option<Self> {
        [
            ConsumeType::ConsumeActively,
            ConsumeType::ConsumePassively,
            ConsumeType::ConsumePop,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

impl MessageModel {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageModel::Broadcasting => "BROADCASTING",
            MessageModel::Clustering => "CLUSTERING",
        }
    }
}

impl ConsumeFromWhere {
    pub fn as_str(self) -> &'static str {
        match self {
            ConsumeFromWhere::ConsumeFromLastOffset => "CONSUME_FROM_LAST_OFFSET",
            ConsumeFromWhere::ConsumeFromLastOffsetAndFromMinWhenBootFirst => {
                "CONSUME_FROM_LAST_OFFSET_AND_FROM_MIN_WHEN_BOOT_FIRST"
            }
            ConsumeFromWhere::ConsumeFromMinOffset => "CONSUME_FROM_MIN_OFFSET",
            ConsumeFromWhere::ConsumeFromMaxOffset => "CONSUME_FROM_MAX_OFFSET",
            ConsumeFromWhere::ConsumeFromFirstOffset => "CONSUME_FROM_FIRST_OFFSET",
            ConsumeFromWhere::ConsumeFromTimestamp => "CONSUME_FROM_TIMESTAMP",
        }
    }
}

macro_rules! display_as_str {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(ConsumeType, MessageModel, ConsumeFromWhere);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn names_and_ordinals() {
        for (i, name) in ["CONSUME_ACTIVELY", "CONSUME_PASSIVELY", "CONSUME_POP"]
            .iter()
            .enumerate()
        {
            let by_name: ConsumeType = json::from_slice(format!("\"{name}\"").as_bytes()).unwrap();
            let by_ordinal: ConsumeType = json::from_slice(i.to_string().as_bytes()).unwrap();
            assert_eq!(by_name, by_ordinal);
            assert_eq!(by_name.as_str(), *name);
            assert_eq!(ConsumeType::parse(name), Some(by_name));
        }
        let wheres: Vec<ConsumeFromWhere> = json::from_slice(b"[0,1,2,3,4,5]").unwrap();
        let names: Vec<&str> = wheres.iter().map(|w| w.as_str()).collect();
        let again: Vec<ConsumeFromWhere> =
            json::from_slice(json::to_vec(&names, Default::default()).unwrap().as_slice()).unwrap();
        assert_eq!(wheres, again);
        assert_eq!(wheres[5], ConsumeFromWhere::ConsumeFromTimestamp);
        let models: Vec<MessageModel> = json::from_slice(br#"[0,"1","CLUSTERING"]"#).unwrap();
        assert_eq!(
            models,
            [
                MessageModel::Broadcasting,
                MessageModel::Clustering,
                MessageModel::Clustering
            ]
        );
        assert!(json::from_slice::<MessageModel>(b"2").is_err());
    }
}
