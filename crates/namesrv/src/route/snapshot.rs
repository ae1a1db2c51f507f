//! The immutable view of the route tables that readers load.

use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Queues one broker group serves for one topic (Apache's QueueData without the broker name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueInfo {
    pub read_queue_nums: i32,
    pub write_queue_nums: i32,
    pub perm: i32,
    pub topic_sys_flag: i32,
}

/// A master/slave group sharing one broker name (Apache's BrokerData).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerGroup {
    pub cluster: String,
    pub broker_name: String,
    /// brokerId → "ip:port"; id 0 is the master.
    pub addrs: BTreeMap<i64, String>,
    pub zone_name: Option<String>,
    pub enable_acting_master: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteSnapshot {
    /// topic → broker name → queues.
    pub topics: HashMap<String, BTreeMap<String, QueueInfo>>,
    /// broker name → group.
    pub brokers: HashMap<String, BrokerGroup>,
    /// cluster → broker names.
    pub clusters: HashMap<String, BTreeSet<String>>,
}

impl RouteSnapshot {
    /// Topics that have queues on at least one broker of `cluster`.
    pub fn topics_of_cluster(&self, cluster: &str) -> Vec<String> {
        let Some(names) = self.clusters.get(cluster) else {
            return Vec::new();
        };
        let mut out: Vec<String> = self
            .topics
            .iter()
            .filter(|(_, per_broker)| per_broker.keys().any(|b| names.contains(b)))
            .map(|(t, _)| t.clone())
            .collect();
        out.sort();
        out
    }
}
