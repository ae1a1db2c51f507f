//! Subscription groups (`config/subscriptionGroup.json`). OWNER: broker-management helper.
//! Minimal in-memory scaffold; to be completed.

use std::collections::BTreeMap;

use ferrocket_protocol::body::SubscriptionGroupConfig;
use parking_lot::RwLock;

pub struct SubscriptionGroupManager {
    table: RwLock<BTreeMap<String, SubscriptionGroupConfig>>,
    auto_create: bool,
}

impl SubscriptionGroupManager {
    pub fn new(auto_create: bool) -> Self {
        Self {
            table: RwLock::new(BTreeMap::new()),
            auto_create,
        }
    }

    /// The group's config, created with defaults when unknown and `autoCreateSubscriptionGroup` is on.
    pub fn find_or_create(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        if let Some(g) = self.table.read().get(group) {
            return Some(g.clone());
        }
        if !self.auto_create {
            return None;
        }
        let g = SubscriptionGroupConfig {
            group_name: group.to_string(),
            ..SubscriptionGroupConfig::default()
        };
        self.table.write().insert(group.to_string(), g.clone());
        Some(g)
    }
}
