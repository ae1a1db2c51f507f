//! TopicRouteData (GET_ROUTEINFO_BY_TOPIC 105) and its parts (§8.1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::json_body;
use crate::json::KeyStyle;

/// brokerId of a master.
pub const MASTER_ID: i64 = 0;

/// The queues one broker hosts for a topic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct QueueData {
    pub broker_name: String,
    pub perm: i32,
    pub read_queue_nums: i32,
    pub topic_sys_flag: i32,
    pub write_queue_nums: i32,
}

json_body!(QueueData);

/// One broker group: its cluster and the address of each member by brokerId (0 = master).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BrokerData {
    /// brokerId → "ip:port". Integer keys, so written bare (`{0:"..."}`) in fastjson's default style.
    pub broker_addrs: BTreeMap<i64, String>,
    pub broker_name: String,
    pub cluster: String,
    pub enable_acting_master: bool,
    pub zone_name: Option<String>,
}

json_body!(BrokerData);

impl BrokerData {
    pub fn new(cluster: impl Into<String>, broker_name: impl Into<String>) -> Self {
        BrokerData {
            cluster: cluster.into(),
            broker_name: broker_name.into(),
            ..Default::default()
        }
    }

    /// The master's address, if a master is registered.
    pub fn master_addr(&self) -> Option<&str> {
        self.broker_addrs.get(&MASTER_ID).map(String::as_str)
    }
}

/// The route of a topic: which brokers host it and with how many queues.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicRouteData {
    pub broker_datas: Vec<BrokerData>,
    /// Legacy filter servers: broker address → filter server addresses. Normally empty.
    pub filter_server_table: BTreeMap<String, Vec<String>>,
    /// `brokerName:queueNums;...` when ordered messages are configured on the name server.
    pub order_topic_conf: Option<String>,
    pub queue_datas: Vec<QueueData>,
    /// Static-topic mapping per broker (opaque JSON); normally empty.
    pub topic_queue_mapping_by_broker: BTreeMap<String, Value>,
}

impl super::JsonBody for TopicRouteData {}

impl TopicRouteData {
    pub fn decode(bytes: &[u8]) -> Result<Self, super::BodyError> {
        super::decode_json(bytes)
    }

    /// Encodes with the style the requester can read; see [`KeyStyle::for_route_request`].
    pub fn encode(&self, style: KeyStyle) -> Vec<u8> {
        super::encode_json(self, style)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_addr() {
        let mut b = BrokerData::new("c", "b");
        assert_eq!(b.master_addr(), None);
        b.broker_addrs.insert(1, "slave".into());
        b.broker_addrs.insert(0, "master".into());
        assert_eq!(b.master_addr(), Some("master"));
    }

    #[test]
    fn zone_name_omitted_when_absent() {
        let b = BrokerData::new("c", "b");
        assert_eq!(
            b.encode(),
            br#"{"brokerAddrs":{},"brokerName":"b","cluster":"c","enableActingMaster":false}"#
        );
    }
}
