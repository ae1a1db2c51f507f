//! SubscriptionGroupConfig (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP 200) and SubscriptionGroupWrapper
//! (GET_ALL_SUBSCRIPTIONGROUP_CONFIG 201, subscriptionGroup.json) (§8.5, §7.8).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{json_body, DataVersion};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GroupRetryPolicyType {
    Exponential,
    #[default]
    Customized,
}

/// Retry back-off policy of a group (5.x POP). The policy details are kept as opaque JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct GroupRetryPolicy {
    pub customized_retry_policy: Option<Value>,
    pub exponential_retry_policy: Option<Value>,
    #[serde(rename = "type")]
    pub policy_type: GroupRetryPolicyType,
}

/// One subscription of a group as configured on the broker (not as sent by clients).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SimpleSubscriptionData {
    pub expression: String,
    pub expression_type: String,
    pub topic: String,
    pub version: i64,
}

/// A consumer group's configuration, with Apache's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SubscriptionGroupConfig {
    pub attributes: BTreeMap<String, String>,
    pub broker_id: i64,
    pub consume_broadcast_enable: bool,
    pub consume_enable: bool,
    pub consume_from_min_enable: bool,
    pub consume_message_orderly: bool,
    pub consume_timeout_minute: i32,
    pub group_name: String,
    pub group_retry_policy: GroupRetryPolicy,
    pub group_sys_flag: i32,
    pub notify_consumer_ids_changed_enable: bool,
    pub retry_max_times: i32,
    pub retry_queue_nums: i32,
    pub subscription_data_set: Option<Vec<SimpleSubscriptionData>>,
    pub which_broker_when_consume_slowly: i64,
}

json_body!(SubscriptionGroupConfig);

impl Default for SubscriptionGroupConfig {
    fn default() -> Self {
        SubscriptionGroupConfig {
            attributes: BTreeMap::new(),
            broker_id: 0,
            consume_broadcast_enable: true,
            consume_enable: true,
            consume_from_min_enable: true,
            consume_message_orderly: false,
            consume_timeout_minute: 15,
            group_name: String::new(),
            group_retry_policy: GroupRetryPolicy::default(),
            group_sys_flag: 0,
            notify_consumer_ids_changed_enable: true,
            retry_max_times: 16,
            retry_queue_nums: 1,
            subscription_data_set: None,
            which_broker_when_consume_slowly: 1,
        }
    }
}

impl SubscriptionGroupConfig {
    pub fn new(group_name: impl Into<String>) -> Self {
        SubscriptionGroupConfig {
            group_name: group_name.into(),
            ..Default::default()
        }
    }
}

/// `{"dataVersion":..,"forbiddenTable":{},"subscriptionGroupTable":{"G":{..}}}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SubscriptionGroupWrapper {
    pub data_version: DataVersion,
    /// group → topic → forbidden bits.
    pub forbidden_table: BTreeMap<String, BTreeMap<String, i32>>,
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
}

json_body!(SubscriptionGroupWrapper);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_apache() {
        let g = SubscriptionGroupConfig::decode(br#"{"groupName":"G"}"#).unwrap();
        assert_eq!(g, SubscriptionGroupConfig::new("G"));
        assert!(g.consume_enable && g.consume_from_min_enable && g.consume_broadcast_enable);
        assert!(g.notify_consumer_ids_changed_enable && !g.consume_message_orderly);
        assert_eq!(
            (
                g.retry_queue_nums,
                g.retry_max_times,
                g.consume_timeout_minute
            ),
            (1, 16, 15)
        );
        assert_eq!((g.broker_id, g.which_broker_when_consume_slowly), (0, 1));
        assert_eq!(
            g.group_retry_policy.policy_type,
            GroupRetryPolicyType::Customized
        );
        let text = String::from_utf8(g.encode()).unwrap();
        assert!(
            text.contains(r#""groupRetryPolicy":{"type":"CUSTOMIZED"}"#),
            "{text}"
        );
        assert!(!text.contains("subscriptionDataSet"));
    }
}
