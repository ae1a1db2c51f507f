//! Topic configurations (`config/topics.json`, Apache's `{"dataVersion":..,"topicConfigTable":{..}}`).
//!
//! Every change bumps the data version, is persisted at once (with a `.bak`, see [`crate::config_file`]) and wakes
//! [`TopicConfigManager::changed`] so the name-server registrar can re-register without waiting for its period.
//! System topics are created at start as Apache does (remoting-protocol.md §14).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ferrocket_protocol::body::{DataVersion, TopicConfig, TopicConfigSerializeWrapper};
use ferrocket_protocol::codes::perm;
use ferrocket_protocol::json::KeyStyle;
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

use crate::config::BrokerConfig;
use crate::config_file;
use crate::error::BrokerError;
use crate::topic_validator as tv;

struct Table {
    /// Shared configs: the send and pull paths take an `Arc` instead of cloning on every request.
    topics: BTreeMap<String, Arc<TopicConfig>>,
    version: DataVersion,
}

pub struct TopicConfigManager {
    /// `None`: in memory only (tests).
    path: Option<PathBuf>,
    table: RwLock<Table>,
    /// Serializes file writes so a slower persist never overwrites a newer one.
    persist_lock: Mutex<()>,
    /// Names reserved at start (fixed ones plus cluster/broker-name derived ones).
    system_topics: BTreeSet<String>,
    /// Mirrors `autoCreateTopicEnable` (UPDATE_BROKER_CONFIG updates it): when false, TBW102 stops acting as a
    /// template.
    auto_create_topic_enable: AtomicBool,
    /// Notified (`notify_one`, so a change made while nobody waits is not lost) after every change. Meant for one
    /// listener: the registrar's loop, which re-registers with the name servers.
    pub changed: Notify,
}

/// The system topics Apache creates at start, for this broker's config: (name, read=write queues, perm).
fn system_topic_configs(config: &BrokerConfig) -> Vec<TopicConfig> {
    let tc = |name: &str, queues: i32, perm: i32| TopicConfig {
        topic_name: name.to_string(),
        read_queue_nums: queues,
        write_queue_nums: queues,
        perm,
        ..TopicConfig::default()
    };
    let rw = perm::PERM_RW;
    let name_topic_perm = |enabled: bool| {
        if enabled {
            perm::PERM_INHERIT | rw
        } else {
            perm::PERM_INHERIT
        }
    };
    let mut v = vec![tc(tv::SELF_TEST_TOPIC, 1, rw)];
    if config.auto_create_topic_enable {
        v.push(tc(
            tv::AUTO_CREATE_TOPIC_KEY_TOPIC,
            config.default_topic_queue_nums,
            perm::PERM_INHERIT | rw,
        ));
    }
    v.push(tc(tv::BENCHMARK_TOPIC, tv::BENCHMARK_TOPIC_QUEUE_NUM, rw));
    v.push(tc(
        &config.broker_cluster_name,
        TopicConfig::DEFAULT_QUEUE_NUMS,
        name_topic_perm(config.cluster_topic_enable),
    ));
    v.push(tc(
        &config.broker_name,
        1,
        name_topic_perm(config.broker_topic_enable),
    ));
    v.push(tc(tv::OFFSET_MOVED_EVENT, 1, rw));
    v.push(tc(tv::SCHEDULE_TOPIC, tv::SCHEDULE_TOPIC_QUEUE_NUM, rw));
    if config.trace_topic_enable {
        v.push(tc(&config.msg_trace_topic_name, 1, rw));
    }
    v.push(tc(
        &format!("{}_{}", config.broker_cluster_name, tv::REPLY_TOPIC_POSTFIX),
        1,
        rw,
    ));
    v.push(tc(
        &format!("{}{}", tv::REVIVE_TOPIC_PREFIX, config.broker_cluster_name),
        tv::REVIVE_QUEUE_NUM,
        rw,
    ));
    v.push(tc(
        &format!(
            "{}{}",
            tv::SYNC_BROKER_MEMBER_GROUP_PREFIX,
            config.broker_name
        ),
        1,
        perm::PERM_INHERIT,
    ));
    v.push(tc(tv::TRANS_HALF_TOPIC, 1, rw));
    v.push(tc(tv::TRANS_OP_HALF_TOPIC, 1, rw));
    v.push(tc(tv::TRANS_CHECK_MAX_TIME_TOPIC, 1, rw));
    v
}

fn decode_table(bytes: &[u8]) -> Result<TopicConfigSerializeWrapper, String> {
    TopicConfigSerializeWrapper::decode(bytes).map_err(|e| e.to_string())
}

impl TopicConfigManager {
    /// Loads `<storePathRootDir>/config/topics.json` (falling back to its `.bak`) and adds the system topics that
    /// are missing; persists when that changed anything.
    pub fn load(config: &BrokerConfig) -> Result<Self, BrokerError> {
        let path =
            config_file::config_path(&config.store.store_path_root_dir, config_file::TOPICS_FILE);
        let loaded = config_file::load(&path, decode_table)?;
        let mgr = Self::build(Some(path), config, loaded);
        Ok(mgr)
    }

    /// A manager that never touches the disk, with the system topics of `config`.
    pub fn in_memory(config: &BrokerConfig) -> Self {
        Self::build(None, config, None)
    }

    fn build(
        path: Option<PathBuf>,
        config: &BrokerConfig,
        loaded: Option<TopicConfigSerializeWrapper>,
    ) -> Self {
        let fresh = loaded.is_none();
        let (topics, version) = match loaded {
            Some(w) => (
                w.topic_config_table
                    .into_iter()
                    .map(|(k, v)| (k, Arc::new(v)))
                    .collect(),
                w.data_version,
            ),
            None => (BTreeMap::new(), DataVersion::new()),
        };
        let mut system_topics: BTreeSet<String> = tv::FIXED_SYSTEM_TOPICS
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut table = Table { topics, version };
        let mut added = false;
        for tc in system_topic_configs(config) {
            system_topics.insert(tc.topic_name.clone());
            if !table.topics.contains_key(&tc.topic_name) {
                table.topics.insert(tc.topic_name.clone(), Arc::new(tc));
                added = true;
            }
        }
        if added {
            table.version.next_version();
        }
        let mgr = Self {
            path,
            table: RwLock::new(table),
            persist_lock: Mutex::new(()),
            system_topics,
            auto_create_topic_enable: AtomicBool::new(config.auto_create_topic_enable),
            changed: Notify::new(),
        };
        if added || fresh {
            mgr.persist_logged();
        }
        mgr
    }

    pub fn get(&self, topic: &str) -> Option<TopicConfig> {
        self.table.read().topics.get(topic).map(|t| (**t).clone())
    }

    /// The topic's config without copying it (hot paths).
    pub fn get_arc(&self, topic: &str) -> Option<Arc<TopicConfig>> {
        self.table.read().topics.get(topic).cloned()
    }

    pub fn contains(&self, topic: &str) -> bool {
        self.table.read().topics.contains_key(topic)
    }

    /// Creates or replaces a topic config; bumps the version, persists and notifies.
    pub fn upsert(&self, tc: TopicConfig) {
        {
            let mut t = self.table.write();
            t.topics.insert(tc.topic_name.clone(), Arc::new(tc));
            t.version.next_version();
        }
        self.after_change();
    }

    /// Every topic config, ordered by name.
    pub fn all(&self) -> Vec<TopicConfig> {
        self.table
            .read()
            .topics
            .values()
            .map(|t| (**t).clone())
            .collect()
    }

    pub fn topic_names(&self) -> Vec<String> {
        self.table.read().topics.keys().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.table.read().topics.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn data_version(&self) -> DataVersion {
        self.table.read().version
    }

    /// The table and its version, taken together (what REGISTER_BROKER and topics.json carry).
    pub fn snapshot(&self) -> TopicConfigSerializeWrapper {
        let t = self.table.read();
        TopicConfigSerializeWrapper {
            data_version: t.version,
            topic_config_table: t
                .topics
                .iter()
                .map(|(k, v)| (k.clone(), (**v).clone()))
                .collect(),
        }
    }

    /// Up to `max` topics in name order starting at index `seq`, for the paged GET_ALL_TOPIC_CONFIG. Apache restarts
    /// from index 0 when the caller's data version is absent or differs from the current one.
    pub fn page(
        &self,
        seq: usize,
        max: usize,
        caller_version: Option<&DataVersion>,
    ) -> (BTreeMap<String, TopicConfig>, DataVersion, usize) {
        let t = self.table.read();
        let begin = match caller_version {
            Some(v) if *v == t.version => seq,
            _ => 0,
        };
        let page = t
            .topics
            .iter()
            .skip(begin)
            .take(max)
            .map(|(k, v)| (k.clone(), (**v).clone()))
            .collect();
        (page, t.version, t.topics.len())
    }

    /// Whether `topic` is reserved: a fixed or broker-derived system topic, or a `rmq_sys_` topic.
    pub fn is_system_topic(&self, topic: &str) -> bool {
        self.system_topics.contains(topic) || topic.starts_with(tv::SYSTEM_TOPIC_PREFIX)
    }

    /// Keeps the `autoCreateTopicEnable` switch current (called when the broker config changes).
    pub fn set_auto_create_topic_enable(&self, enable: bool) {
        self.auto_create_topic_enable
            .store(enable, Ordering::Relaxed);
    }

    /// The send path's auto-creation (§7.1): an existing config is returned as is; otherwise the topic is created
    /// from `template_topic` when that exists and has PERM_INHERIT, with min(`queue_nums`, template write queues)
    /// queues and the template's perm without INHERIT. `None` when it cannot be created. TBW102 stops being a
    /// template while `autoCreateTopicEnable` is false.
    pub fn create_from_template(
        &self,
        topic: &str,
        template_topic: &str,
        queue_nums: i32,
        topic_sys_flag: i32,
    ) -> Option<TopicConfig> {
        let created = {
            let mut t = self.table.write();
            if let Some(existing) = t.topics.get(topic) {
                return Some((**existing).clone());
            }
            let template = t.topics.get(template_topic)?;
            let mut template_perm = template.perm;
            if template_topic == tv::AUTO_CREATE_TOPIC_KEY_TOPIC
                && !self.auto_create_topic_enable.load(Ordering::Relaxed)
            {
                template_perm = perm::PERM_RW;
            }
            if !perm::is_inherited(template_perm) {
                tracing::warn!(
                    topic,
                    template_topic,
                    perm = template_perm,
                    "cannot auto-create topic: template lacks PERM_INHERIT"
                );
                return None;
            }
            let queues = queue_nums.min(template.write_queue_nums).max(0);
            let tc = TopicConfig {
                topic_name: topic.to_string(),
                read_queue_nums: queues,
                write_queue_nums: queues,
                perm: template_perm & !perm::PERM_INHERIT,
                topic_sys_flag,
                topic_filter_type: template.topic_filter_type,
                ..TopicConfig::default()
            };
            t.topics.insert(topic.to_string(), Arc::new(tc.clone()));
            t.version.next_version();
            tc
        };
        tracing::info!(
            topic,
            template_topic,
            queues = created.write_queue_nums,
            "auto-created topic"
        );
        self.after_change();
        Some(created)
    }

    /// Returns `topic`'s config, creating it with `queue_nums` read/write queues, `perm` and `topic_sys_flag` when
    /// absent (Apache's createTopicInSendMessageBackMethod: retry, DLQ and other broker-made topics).
    pub fn create_if_absent(
        &self,
        topic: &str,
        queue_nums: i32,
        perm: i32,
        topic_sys_flag: i32,
    ) -> TopicConfig {
        let created = {
            let mut t = self.table.write();
            if let Some(existing) = t.topics.get(topic) {
                return (**existing).clone();
            }
            let tc = TopicConfig {
                topic_name: topic.to_string(),
                read_queue_nums: queue_nums,
                write_queue_nums: queue_nums,
                perm,
                topic_sys_flag,
                ..TopicConfig::default()
            };
            t.topics.insert(topic.to_string(), Arc::new(tc.clone()));
            t.version.next_version();
            tc
        };
        tracing::info!(topic, queues = queue_nums, perm, "created topic");
        self.after_change();
        created
    }

    /// Inserts `tc` unless its topic exists. Returns the config in force and whether it was created (then the version
    /// is bumped, the file persisted and the registrar notified).
    pub fn insert_if_absent(&self, tc: TopicConfig) -> (TopicConfig, bool) {
        {
            let mut t = self.table.write();
            if let Some(existing) = t.topics.get(&tc.topic_name) {
                return ((**existing).clone(), false);
            }
            t.topics.insert(tc.topic_name.clone(), Arc::new(tc.clone()));
            t.version.next_version();
        }
        tracing::info!(topic = %tc.topic_name, "created topic");
        self.after_change();
        (tc, true)
    }

    /// `%RETRY%<group>` with `queue_nums` queues and perm RW, created if absent.
    pub fn create_retry_topic(&self, group: &str, queue_nums: i32) -> TopicConfig {
        self.create_if_absent(&tv::retry_topic(group), queue_nums, perm::PERM_RW, 0)
    }

    /// Removes a topic config; bumps the version, persists and notifies when it existed.
    pub fn delete(&self, topic: &str) -> Option<TopicConfig> {
        let removed = {
            let mut t = self.table.write();
            let removed = t.topics.remove(topic).map(|a| (*a).clone());
            if removed.is_some() {
                t.version.next_version();
            }
            removed
        };
        if removed.is_some() {
            self.after_change();
        }
        removed
    }

    /// Bumps the data version without a table change (e.g. `brokerPermission` changed: routes must be
    /// re-registered); persists and notifies.
    pub fn bump_version(&self) {
        self.table.write().version.next_version();
        self.after_change();
    }

    fn after_change(&self) {
        self.persist_logged();
        self.changed.notify_one();
    }

    fn persist_logged(&self) {
        if let Err(e) = self.persist() {
            tracing::error!(error = %e, "persisting topics.json failed");
        }
    }

    /// Writes topics.json now (a no-op for an in-memory manager).
    pub fn persist(&self) -> Result<(), BrokerError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let _guard = self.persist_lock.lock();
        let text = config_file::pretty(&self.snapshot().encode_with(KeyStyle::Bare));
        config_file::persist(path, &text)
    }

    /// The file this manager persists to.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(root: &std::path::Path) -> BrokerConfig {
        let mut c = BrokerConfig::default();
        c.store.store_path_root_dir = root.to_string_lossy().into_owned();
        c.broker_name = "broker-a".into();
        c.broker_cluster_name = "C1".into();
        c
    }

    #[test]
    fn system_topics_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        let m = TopicConfigManager::load(&c).unwrap();
        let tbw = m.get("TBW102").unwrap();
        assert_eq!((tbw.perm, tbw.write_queue_nums), (7, 8));
        assert_eq!(m.get("SCHEDULE_TOPIC_XXXX").unwrap().read_queue_nums, 18);
        assert_eq!(m.get("C1").unwrap().perm, 7);
        let b = m.get("broker-a").unwrap();
        assert_eq!((b.perm, b.read_queue_nums), (7, 1));
        for t in [
            "SELF_TEST_TOPIC",
            "OFFSET_MOVED_EVENT",
            "RMQ_SYS_TRANS_HALF_TOPIC",
            "RMQ_SYS_TRANS_OP_HALF_TOPIC",
            "TRANS_CHECK_MAX_TIME_TOPIC",
            "C1_REPLY_TOPIC",
        ] {
            assert!(m.contains(t), "{t}");
            assert!(m.is_system_topic(t), "{t}");
        }
        assert!(m.is_system_topic("rmq_sys_anything"));
        assert!(!m.is_system_topic("T"));
        assert!(
            m.path().unwrap().exists(),
            "fresh broker writes topics.json"
        );

        let mut c2 = c.clone();
        c2.auto_create_topic_enable = false;
        c2.cluster_topic_enable = false;
        c2.broker_name = "broker-b".into();
        let dir2 = tempfile::tempdir().unwrap();
        c2.store.store_path_root_dir = dir2.path().to_string_lossy().into_owned();
        let m2 = TopicConfigManager::load(&c2).unwrap();
        assert!(!m2.contains("TBW102"));
        assert_eq!(m2.get("C1").unwrap().perm, 1);
    }

    #[test]
    fn auto_create_from_template() {
        let dir = tempfile::tempdir().unwrap();
        let m = TopicConfigManager::load(&config(dir.path())).unwrap();
        let v0 = m.data_version();
        let t = m.create_from_template("NewT", "TBW102", 4, 0).unwrap();
        assert_eq!((t.read_queue_nums, t.write_queue_nums, t.perm), (4, 4, 6));
        assert!(m.data_version() > v0);
        // More queues than the template has: capped.
        let t = m.create_from_template("Big", "TBW102", 100, 0).unwrap();
        assert_eq!(t.write_queue_nums, 8);
        // Existing topic returned unchanged.
        assert_eq!(
            m.create_from_template("NewT", "TBW102", 2, 0)
                .unwrap()
                .write_queue_nums,
            4
        );
        let (again, created) = m.insert_if_absent(TopicConfig::new("NewT"));
        assert!(!created);
        assert_eq!(again.write_queue_nums, 4);
        let (fresh, created) = m.insert_if_absent(TopicConfig::new("Fresh"));
        assert!(created && fresh.write_queue_nums == 16);
        assert_eq!(*m.get_arc("Fresh").unwrap(), fresh);
        // Template without INHERIT, or unknown template: nothing.
        assert!(m
            .create_from_template("X", "SELF_TEST_TOPIC", 4, 0)
            .is_none());
        assert!(m.create_from_template("X", "Nope", 4, 0).is_none());
        // autoCreateTopicEnable switched off: TBW102 no longer a template.
        m.set_auto_create_topic_enable(false);
        assert!(m.create_from_template("Y", "TBW102", 4, 0).is_none());
        assert!(!m.contains("Y"));
    }

    #[test]
    fn persist_and_reload_with_bak_fallback() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        let m = TopicConfigManager::load(&c).unwrap();
        let mut tc = TopicConfig::new("Orders");
        tc.read_queue_nums = 3;
        tc.write_queue_nums = 3;
        tc.attributes.insert("message.type".into(), "FIFO".into());
        m.upsert(tc.clone());
        m.create_retry_topic("G1", 1);
        assert!(m.delete("Nope").is_none());
        let version = m.data_version();
        let path = m.path().unwrap().to_path_buf();
        drop(m);

        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\n\t\"dataVersion\":{"), "{text}");
        assert!(text.contains("\"topicConfigTable\":{"));

        let m = TopicConfigManager::load(&c).unwrap();
        assert_eq!(m.get("Orders").unwrap(), tc);
        assert_eq!(m.get("%RETRY%G1").unwrap().perm, 6);
        assert_eq!(
            m.data_version(),
            version,
            "reload adds nothing, keeps the version"
        );
        m.delete("Orders").unwrap();
        drop(m);

        // Main file torn: the previous version (.bak, which still has Orders) is loaded.
        std::fs::write(&path, b"{\"dataVersion\":").unwrap();
        let m = TopicConfigManager::load(&c).unwrap();
        assert!(m.contains("Orders"));
    }

    #[test]
    fn loads_apache_file() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(dir.path());
        let path = config_file::config_path(&c.store.store_path_root_dir, "topics.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        // As Apache 5.x writes it (fastjson pretty format).
        std::fs::write(
            &path,
            "{\n\t\"dataVersion\":{\n\t\t\"counter\":12,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":1700000000000\n\t},\n\t\"topicConfigTable\":{\n\t\t\"TopicTest\":{\n\t\t\t\"attributes\":{},\n\t\t\t\"order\":false,\n\t\t\t\"perm\":6,\n\t\t\t\"readQueueNums\":4,\n\t\t\t\"topicFilterType\":\"SINGLE_TAG\",\n\t\t\t\"topicName\":\"TopicTest\",\n\t\t\t\"topicSysFlag\":0,\n\t\t\t\"writeQueueNums\":4\n\t\t}\n\t}\n}",
        )
        .unwrap();
        let m = TopicConfigManager::load(&c).unwrap();
        assert_eq!(m.get("TopicTest").unwrap().write_queue_nums, 4);
        // System topics were missing from the file: added with a version bump past Apache's counter.
        assert!(m.contains("TBW102"));
        assert_eq!(m.data_version().counter, 13);
    }

    #[test]
    fn paging() {
        let m = TopicConfigManager::in_memory(&config(std::path::Path::new("/nonexistent")));
        let total = m.len();
        let v = m.data_version();
        let (p0, _, n) = m.page(0, 5, Some(&v));
        assert_eq!((p0.len(), n), (5, total));
        let (p1, _, _) = m.page(5, 5, Some(&v));
        assert!(p0.keys().last() < p1.keys().next());
        // Stale version: from the start.
        let mut old = v;
        old.counter -= 1;
        let (p, _, _) = m.page(5, 5, Some(&old));
        assert_eq!(p, p0);
        let (p, _, _) = m.page(total + 3, 5, Some(&v));
        assert!(p.is_empty());
    }

    #[tokio::test]
    async fn change_notifies() {
        let m = TopicConfigManager::in_memory(&BrokerConfig::default());
        m.upsert(TopicConfig::new("T"));
        // The permit stored by the change is there even though nobody was waiting.
        tokio::time::timeout(std::time::Duration::from_secs(1), m.changed.notified())
            .await
            .unwrap();
    }
}
