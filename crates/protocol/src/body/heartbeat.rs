//! HEART_BEAT (34) body and its parts (§7.3), plus CHECK_CLIENT_CONFIG's body (§16.1), which carries a
//! SubscriptionData.

use serde::{Deserialize, Serialize};

use super::{json_body, ConsumeFromWhere, ConsumeType, MessageModel};

/// `subString` that subscribes to every tag.
pub const SUB_ALL: &str = "*";
pub const EXPRESSION_TYPE_TAG: &str = "TAG";
pub const EXPRESSION_TYPE_SQL92: &str = "SQL92";

/// One subscription of a consumer group. Missing fields get Java's defaults (expressionType `TAG`), except
/// `subVersion`, which Java sets to "now" and which reads as 0 here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SubscriptionData {
    pub class_filter_mode: bool,
    /// Java `String.hashCode` of each tag.
    pub code_set: Vec<i32>,
    pub expression_type: String,
    pub sub_string: String,
    /// Milliseconds timestamp of the subscription; clients may send it as a string.
    pub sub_version: i64,
    pub tags_set: Vec<String>,
    pub topic: String,
}

json_body!(SubscriptionData);

impl Default for SubscriptionData {
    fn default() -> Self {
        SubscriptionData {
            class_filter_mode: false,
            code_set: Vec::new(),
            expression_type: EXPRESSION_TYPE_TAG.to_owned(),
            sub_string: String::new(),
            sub_version: 0,
            tags_set: Vec::new(),
            topic: String::new(),
        }
    }
}

impl SubscriptionData {
    /// A TAG subscription as Java builds it: `*` or empty → all; otherwise tags split on `||`, trimmed, with
    /// their hash codes.
    pub fn tag(topic: impl Into<String>, expression: &str, sub_version: i64) -> Self {
        let expression = expression.trim();
        let mut data = SubscriptionData {
            topic: topic.into(),
            sub_version,
            ..Default::default()
        };
        if expression.is_empty() || expression == SUB_ALL {
            data.sub_string = SUB_ALL.to_owned();
        } else {
            data.sub_string = expression.to_owned();
            for tag in expression
                .split("||")
                .map(str::trim)
                .filter(|t| !t.is_empty())
            {
                data.code_set.push(java_string_hash(tag));
                data.tags_set.push(tag.to_owned());
            }
        }
        data
    }

    /// True for subscriptions filtered by tag (type absent, empty or `TAG`).
    pub fn is_tag_type(&self) -> bool {
        self.expression_type.is_empty() || self.expression_type == EXPRESSION_TYPE_TAG
    }
}

/// Java's `String.hashCode` (over UTF-16 code units, wrapping), used for tag codes.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProducerData {
    pub group_name: String,
}

json_body!(ProducerData);

/// One consumer group of a client. Enums may arrive as ordinals; missing ones default to push / clustering /
/// last offset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConsumerData {
    pub consume_from_where: ConsumeFromWhere,
    pub consume_type: ConsumeType,
    pub group_name: String,
    pub message_model: MessageModel,
    pub subscription_data_set: Vec<SubscriptionData>,
    pub unit_mode: bool,
}

json_body!(ConsumerData);

/// HEART_BEAT body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HeartbeatData {
    #[serde(rename = "clientID", alias = "clientId")]
    pub client_id: String,
    pub consumer_data_set: Vec<ConsumerData>,
    /// 5.x heartbeat v2: non-zero when the client may omit unchanged subscriptions.
    pub heartbeat_fingerprint: i32,
    pub producer_data_set: Vec<ProducerData>,
    pub without_sub: bool,
}

json_body!(HeartbeatData);

/// CHECK_CLIENT_CONFIG (46) body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CheckClientRequestBody {
    pub client_id: String,
    pub group: String,
    pub namespace: Option<String>,
    pub subscription_data: Option<SubscriptionData>,
}

json_body!(CheckClientRequestBody);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hash_codes() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("TagA"), 2598919);
        assert_eq!(java_string_hash("hello world, this overflows"), {
            // computed independently with i64 arithmetic and truncation
            let mut h: i64 = 0;
            for u in "hello world, this overflows".encode_utf16() {
                h = (h * 31 + i64::from(u)) & 0xFFFF_FFFF;
            }
            h as u32 as i32
        });
    }

    #[test]
    fn tag_subscription() {
        let s = SubscriptionData::tag("T", " TagA || TagB ||", 5);
        assert_eq!(s.tags_set, ["TagA", "TagB"]);
        assert_eq!(s.code_set[0], 2598919);
        assert_eq!(s.sub_string, "TagA || TagB ||");
        let all = SubscriptionData::tag("T", "", 5);
        assert_eq!(all.sub_string, "*");
        assert!(all.tags_set.is_empty() && all.is_tag_type());
    }
}
