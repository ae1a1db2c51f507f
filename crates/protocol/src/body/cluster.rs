//! ClusterInfo, TopicList, KVTable (§8.3).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{json_body, BrokerData};

/// GET_BROKER_CLUSTER_INFO: brokers by name and broker names by cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ClusterInfo {
    pub broker_addr_table: BTreeMap<String, BrokerData>,
    pub cluster_addr_table: BTreeMap<String, BTreeSet<String>>,
}

json_body!(ClusterInfo);

/// A list of topic names (GET_ALL_TOPIC_LIST_FROM_NAMESERVER, GET_TOPICS_BY_CLUSTER, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TopicList {
    pub broker_addr: Option<String>,
    pub topic_list: BTreeSet<String>,
}

json_body!(TopicList);

/// A string → string table (`{"table":{...}}`): KV namespaces, broker runtime info.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct KVTable {
    pub table: BTreeMap<String, String>,
}

json_body!(KVTable);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_table_values_are_strings_even_if_sent_as_numbers() {
        let t = KVTable::decode(br#"{"table":{"a":"1","b":2,"c":true}}"#).unwrap();
        assert_eq!(t.table["b"], "2");
        assert_eq!(t.table["c"], "true");
        assert_eq!(t.encode(), br#"{"table":{"a":"1","b":"2","c":"true"}}"#);
    }

    #[test]
    fn topic_list_without_broker_addr() {
        let t = TopicList::decode(br#"{"topicList":["B","A"]}"#).unwrap();
        assert_eq!(t.broker_addr, None);
        assert_eq!(t.encode(), br#"{"topicList":["A","B"]}"#);
    }
}
