//! Topic configurations (`config/topics.json`). OWNER: broker-management helper.
//! Minimal in-memory scaffold; to be completed (persistence, system topics, auto-create rules).

use std::collections::BTreeMap;

use ferrocket_protocol::body::{DataVersion, TopicConfig};
use parking_lot::RwLock;

use crate::config::BrokerConfig;
use crate::error::BrokerError;

pub struct TopicConfigManager {
    table: RwLock<BTreeMap<String, TopicConfig>>,
    version: RwLock<DataVersion>,
}

impl TopicConfigManager {
    pub fn load(_config: &BrokerConfig) -> Result<Self, BrokerError> {
        Ok(Self {
            table: RwLock::new(BTreeMap::new()),
            version: RwLock::new(DataVersion::new()),
        })
    }

    pub fn get(&self, topic: &str) -> Option<TopicConfig> {
        self.table.read().get(topic).cloned()
    }

    pub fn upsert(&self, tc: TopicConfig) {
        self.table.write().insert(tc.topic_name.clone(), tc);
        self.version.write().next_version();
    }

    pub fn all(&self) -> Vec<TopicConfig> {
        self.table.read().values().cloned().collect()
    }

    pub fn data_version(&self) -> DataVersion {
        self.version.read().clone()
    }
}
