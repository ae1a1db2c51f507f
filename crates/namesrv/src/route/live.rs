//! Broker liveness: when each registered broker address was last heard from.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Identifies one broker process: its cluster and address (Apache's BrokerAddrInfo).
pub type BrokerKey = (String, String);

#[derive(Debug, Clone)]
pub struct BrokerLiveInfo {
    pub broker_name: String,
    pub broker_id: i64,
    pub last_update: Instant,
    pub timeout: Duration,
    /// The registration's DataVersion as its JSON fields (stateVersion, counter, timestamp).
    pub data_version: (i64, i64, i64),
    pub ha_server_addr: String,
    /// The connection the broker registered over; its closing drops the broker at once.
    pub connection_id: u64,
}

#[derive(Debug, Default)]
pub struct LiveTable {
    pub(crate) entries: HashMap<BrokerKey, BrokerLiveInfo>,
}

impl LiveTable {
    pub fn get(&self, cluster: &str, addr: &str) -> Option<&BrokerLiveInfo> {
        self.entries.get(&(cluster.to_string(), addr.to_string()))
    }

    /// Refreshes a broker's last-heard time; false if it is not registered.
    pub fn touch(&mut self, cluster: &str, addr: &str, now: Instant) -> bool {
        match self
            .entries
            .get_mut(&(cluster.to_string(), addr.to_string()))
        {
            Some(e) => {
                e.last_update = now;
                true
            }
            None => false,
        }
    }

    /// Brokers not heard from within their timeout.
    pub fn expired(&self, now: Instant) -> Vec<(BrokerKey, BrokerLiveInfo)> {
        self.entries
            .iter()
            .filter(|(_, e)| now.saturating_duration_since(e.last_update) > e.timeout)
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect()
    }

    /// Brokers that registered over the given connection.
    pub fn on_connection(&self, connection_id: u64) -> Vec<(BrokerKey, BrokerLiveInfo)> {
        self.entries
            .iter()
            .filter(|(_, e)| e.connection_id == connection_id)
            .map(|(k, e)| (k.clone(), e.clone()))
            .collect()
    }
}
