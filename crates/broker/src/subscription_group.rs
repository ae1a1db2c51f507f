//! Subscription groups (`config/subscriptionGroup.json`, Apache's
//! `{"dataVersion":..,"forbiddenTable":{..},"subscriptionGroupTable":{..}}`). Unknown groups are created with
//! Apache's defaults (remoting-protocol.md §8.5) on first use when `autoCreateSubscriptionGroup` is on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ferrocket_protocol::body::{DataVersion, SubscriptionGroupConfig, SubscriptionGroupWrapper};
use ferrocket_protocol::json::KeyStyle;
use parking_lot::{Mutex, RwLock};

use crate::config::BrokerConfig;
use crate::config_file;
use crate::error::BrokerError;
use crate::topic_validator;

/// Groups Apache creates at start; the flag is `consumeBroadcastEnable`.
const BUILT_IN_GROUPS: &[&str] = &[
    "TOOLS_CONSUMER",
    "FILTERSRV_CONSUMER",
    "SELF_TEST_C_GROUP",
    "CID_ONS-HTTP-PROXY",
    "CID_ONSAPI_PULL",
    "CID_ONSAPI_PERMISSION",
    "CID_ONSAPI_OWNER",
    "CID_RMQ_SYS_TRANS",
];

pub struct SubscriptionGroupManager {
    /// `None`: in memory only.
    path: Option<PathBuf>,
    table: RwLock<Table>,
    persist_lock: Mutex<()>,
    auto_create: AtomicBool,
}

/// The wrapper's content, with shared group configs so the pull path need not copy one per request.
struct Table {
    data_version: DataVersion,
    forbidden_table: BTreeMap<String, BTreeMap<String, i32>>,
    subscription_group_table: BTreeMap<String, Arc<SubscriptionGroupConfig>>,
}

impl Table {
    fn to_wrapper(&self) -> SubscriptionGroupWrapper {
        SubscriptionGroupWrapper {
            data_version: self.data_version,
            forbidden_table: self.forbidden_table.clone(),
            subscription_group_table: self
                .subscription_group_table
                .iter()
                .map(|(k, v)| (k.clone(), (**v).clone()))
                .collect(),
        }
    }
}

fn with_built_ins(w: SubscriptionGroupWrapper) -> Table {
    let mut t = Table {
        data_version: w.data_version,
        forbidden_table: w.forbidden_table,
        subscription_group_table: w
            .subscription_group_table
            .into_iter()
            .map(|(k, v)| (k, Arc::new(v)))
            .collect(),
    };
    for name in BUILT_IN_GROUPS {
        t.subscription_group_table
            .entry(name.to_string())
            .or_insert_with(|| Arc::new(SubscriptionGroupConfig::new(*name)));
    }
    t
}

impl SubscriptionGroupManager {
    /// An in-memory manager (nothing persisted).
    pub fn new(auto_create: bool) -> Self {
        Self {
            path: None,
            table: RwLock::new(with_built_ins(SubscriptionGroupWrapper {
                data_version: DataVersion::new(),
                ..Default::default()
            })),
            persist_lock: Mutex::new(()),
            auto_create: AtomicBool::new(auto_create),
        }
    }

    /// Loads `path` (falling back to its `.bak`); a missing file gives the built-in groups only.
    pub fn load(path: impl Into<PathBuf>, auto_create: bool) -> Result<Self, BrokerError> {
        let path = path.into();
        let loaded = config_file::load(&path, |b| {
            SubscriptionGroupWrapper::decode(b).map_err(|e| e.to_string())
        })?;
        let fresh = loaded.is_none();
        let wrapper = loaded.unwrap_or_else(|| SubscriptionGroupWrapper {
            data_version: DataVersion::new(),
            ..Default::default()
        });
        let mgr = Self {
            path: Some(path),
            table: RwLock::new(with_built_ins(wrapper)),
            persist_lock: Mutex::new(()),
            auto_create: AtomicBool::new(auto_create),
        };
        if fresh {
            mgr.persist_logged();
        }
        Ok(mgr)
    }

    /// [`Self::load`] of `<storePathRootDir>/config/subscriptionGroup.json` with `autoCreateSubscriptionGroup`.
    pub fn load_for(config: &BrokerConfig) -> Result<Self, BrokerError> {
        Self::load(
            config_file::config_path(
                &config.store.store_path_root_dir,
                config_file::SUBSCRIPTION_GROUP_FILE,
            ),
            config.auto_create_subscription_group,
        )
    }

    /// Keeps `autoCreateSubscriptionGroup` current (UPDATE_BROKER_CONFIG).
    pub fn set_auto_create(&self, enable: bool) {
        self.auto_create.store(enable, Ordering::Relaxed);
    }

    /// The group's config, without creating it.
    pub fn find(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        self.find_arc(group).map(|g| (*g).clone())
    }

    /// The group's config without copying it.
    pub fn find_arc(&self, group: &str) -> Option<Arc<SubscriptionGroupConfig>> {
        self.table
            .read()
            .subscription_group_table
            .get(group)
            .cloned()
    }

    /// The group's config, created with defaults when unknown and `autoCreateSubscriptionGroup` is on (and the name
    /// is legal).
    pub fn find_or_create(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        self.find_or_create_arc(group).map(|g| (*g).clone())
    }

    /// [`Self::find_or_create`] without copying the config (the pull path calls it per request).
    pub fn find_or_create_arc(&self, group: &str) -> Option<Arc<SubscriptionGroupConfig>> {
        if let Some(g) = self.find_arc(group) {
            return Some(g);
        }
        if !self.auto_create.load(Ordering::Relaxed)
            || topic_validator::validate_group(group).is_err()
        {
            return None;
        }
        let created = {
            let mut t = self.table.write();
            let g = t
                .subscription_group_table
                .entry(group.to_string())
                .or_insert_with(|| Arc::new(SubscriptionGroupConfig::new(group)))
                .clone();
            t.data_version.next_version();
            g
        };
        tracing::info!(group, "auto-created subscription group");
        self.persist_logged();
        Some(created)
    }

    /// Creates or replaces a group config (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP).
    pub fn upsert(&self, config: SubscriptionGroupConfig) {
        {
            let mut t = self.table.write();
            t.subscription_group_table
                .insert(config.group_name.clone(), Arc::new(config));
            t.data_version.next_version();
        }
        self.persist_logged();
    }

    /// Removes a group and its forbidden entries.
    pub fn delete(&self, group: &str) -> Option<SubscriptionGroupConfig> {
        let removed = {
            let mut t = self.table.write();
            let removed = t
                .subscription_group_table
                .remove(group)
                .map(|g| (*g).clone());
            let had_forbidden = t.forbidden_table.remove(group).is_some();
            if removed.is_some() || had_forbidden {
                t.data_version.next_version();
            }
            removed
        };
        if removed.is_some() {
            self.persist_logged();
        }
        removed
    }

    /// Forbidden bits of (group, topic); 0 when none.
    pub fn forbidden(&self, group: &str, topic: &str) -> i32 {
        self.table
            .read()
            .forbidden_table
            .get(group)
            .and_then(|m| m.get(topic))
            .copied()
            .unwrap_or(0)
    }

    /// Sets (or, with 0, clears) the forbidden bits of (group, topic).
    pub fn set_forbidden(&self, group: &str, topic: &str, bits: i32) {
        {
            let mut t = self.table.write();
            if bits == 0 {
                if let Some(m) = t.forbidden_table.get_mut(group) {
                    m.remove(topic);
                    if m.is_empty() {
                        t.forbidden_table.remove(group);
                    }
                }
            } else {
                t.forbidden_table
                    .entry(group.to_string())
                    .or_default()
                    .insert(topic.to_string(), bits);
            }
            t.data_version.next_version();
        }
        self.persist_logged();
    }

    pub fn data_version(&self) -> DataVersion {
        self.table.read().data_version
    }

    pub fn len(&self) -> usize {
        self.table.read().subscription_group_table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Everything, as GET_ALL_SUBSCRIPTIONGROUP_CONFIG and the file carry it.
    pub fn wrapper(&self) -> SubscriptionGroupWrapper {
        self.table.read().to_wrapper()
    }

    /// Up to `max` groups in name order from index `seq` (from 0 when `caller_version` is absent or stale), with
    /// their forbidden entries, the current version and the total group count.
    pub fn page(
        &self,
        seq: usize,
        max: usize,
        caller_version: Option<&DataVersion>,
    ) -> (SubscriptionGroupWrapper, usize) {
        let t = self.table.read();
        let begin = match caller_version {
            Some(v) if *v == t.data_version => seq,
            _ => 0,
        };
        let groups: BTreeMap<String, SubscriptionGroupConfig> = t
            .subscription_group_table
            .iter()
            .skip(begin)
            .take(max)
            .map(|(k, v)| (k.clone(), (**v).clone()))
            .collect();
        let forbidden = t
            .forbidden_table
            .iter()
            .filter(|(g, _)| groups.contains_key(*g))
            .map(|(g, m)| (g.clone(), m.clone()))
            .collect();
        (
            SubscriptionGroupWrapper {
                data_version: t.data_version,
                forbidden_table: forbidden,
                subscription_group_table: groups,
            },
            t.subscription_group_table.len(),
        )
    }

    fn persist_logged(&self) {
        if let Err(e) = self.persist() {
            tracing::error!(error = %e, "persisting subscriptionGroup.json failed");
        }
    }

    /// Writes the file now (no-op in memory).
    pub fn persist(&self) -> Result<(), BrokerError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let _guard = self.persist_lock.lock();
        let text = config_file::pretty(&self.wrapper().encode_with(KeyStyle::Bare));
        config_file::persist(path, &text)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_create_follows_the_switch() {
        let m = SubscriptionGroupManager::new(false);
        assert!(m.find_or_create("G1").is_none());
        assert!(m.find("TOOLS_CONSUMER").is_some(), "built-in groups exist");
        m.set_auto_create(true);
        let v0 = m.data_version();
        let g = m.find_or_create("G1").unwrap();
        assert_eq!(g, SubscriptionGroupConfig::new("G1"));
        assert!(m.data_version() > v0);
        assert!(
            m.find_or_create("bad name").is_none(),
            "illegal names are not created"
        );
    }

    #[test]
    fn persist_round_trip_forbidden_and_bak() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config").join("subscriptionGroup.json");
        let m = SubscriptionGroupManager::load(&path, true).unwrap();
        let mut g = SubscriptionGroupConfig::new("G1");
        g.retry_queue_nums = 3;
        g.consume_message_orderly = true;
        m.upsert(g.clone());
        m.set_forbidden("G1", "T", 2);
        m.find_or_create("G2").unwrap();
        m.delete("G2").unwrap();
        let version = m.data_version();
        drop(m);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"forbiddenTable\":{"), "{text}");
        let m = SubscriptionGroupManager::load(&path, true).unwrap();
        assert_eq!(m.find("G1").unwrap(), g);
        assert!(m.find("G2").is_none());
        assert_eq!(m.forbidden("G1", "T"), 2);
        assert_eq!(m.data_version(), version);
        m.set_forbidden("G1", "T", 0);
        assert_eq!(m.forbidden("G1", "T"), 0);
        drop(m);
        std::fs::write(&path, "{oops").unwrap();
        let m = SubscriptionGroupManager::load(&path, true).unwrap();
        assert_eq!(
            m.forbidden("G1", "T"),
            2,
            "the .bak (previous version) was loaded"
        );
    }

    #[test]
    fn loads_apache_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("subscriptionGroup.json");
        std::fs::write(
            &path,
            r#"{
	"dataVersion":{
		"counter":3,
		"stateVersion":0,
		"timestamp":1700000000000
	},
	"forbiddenTable":{
		"G":{
			"T":1
		}
	},
	"subscriptionGroupTable":{
		"G":{
			"attributes":{},
			"brokerId":0,
			"consumeBroadcastEnable":true,
			"consumeEnable":true,
			"consumeFromMinEnable":true,
			"consumeMessageOrderly":false,
			"consumeTimeoutMinute":15,
			"groupName":"G",
			"groupRetryPolicy":{
				"type":"CUSTOMIZED"
			},
			"groupSysFlag":0,
			"notifyConsumerIdsChangedEnable":false,
			"retryMaxTimes":16,
			"retryQueueNums":1,
			"whichBrokerWhenConsumeSlowly":1
		}
	}
}"#,
        )
        .unwrap();
        let m = SubscriptionGroupManager::load(&path, false).unwrap();
        let g = m.find("G").unwrap();
        assert!(!g.notify_consumer_ids_changed_enable);
        assert_eq!(m.forbidden("G", "T"), 1);
        assert_eq!(m.data_version().counter, 3);
    }

    #[test]
    fn paging() {
        let m = SubscriptionGroupManager::new(true);
        for i in 0..5 {
            m.find_or_create(&format!("G{i}"));
        }
        let v = m.data_version();
        let total = m.len();
        let (p, n) = m.page(0, 4, Some(&v));
        assert_eq!((p.subscription_group_table.len(), n), (4, total));
        let (p2, _) = m.page(4, 100, Some(&v));
        assert_eq!(p2.subscription_group_table.len(), total - 4);
        let (p3, _) = m.page(4, 4, None);
        assert_eq!(p3.subscription_group_table, p.subscription_group_table);
    }
}
