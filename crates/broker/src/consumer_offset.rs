//! Committed consumer offsets per `topic@group` and queue (`config/consumerOffset.json`,
//! `{"dataVersion":..,"groupTopicMap":{..},"offsetTable":{"T@G":{0:15}}}` with bare queue-id keys).
//!
//! Commits only touch memory; [`ConsumerOffsetManager::persist`] writes the file (every
//! `flushConsumerOffsetInterval` from the server's timer, and at shutdown). Persist skips the write when nothing
//! changed since the last one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use ferrocket_protocol::body::{ConsumerOffsetSerializeWrapper, DataVersion};
use ferrocket_protocol::json::KeyStyle;
use parking_lot::{Mutex, RwLock};

use crate::config::BrokerConfig;
use crate::config_file;
use crate::error::BrokerError;

type QueueOffsets = BTreeMap<i32, i64>;

pub struct ConsumerOffsetManager {
    /// `None`: in memory only.
    path: Option<PathBuf>,
    table: RwLock<ConsumerOffsetSerializeWrapper>,
    /// Offsets consumers have pulled up to (not persisted; GET_CONSUME_STATS reports them).
    pull_offsets: RwLock<BTreeMap<String, QueueOffsets>>,
    dirty: AtomicBool,
    persist_lock: Mutex<()>,
}

impl Default for ConsumerOffsetManager {
    fn default() -> Self {
        Self {
            path: None,
            table: RwLock::new(ConsumerOffsetSerializeWrapper {
                data_version: DataVersion::new(),
                offset_table: BTreeMap::new(),
            }),
            pull_offsets: RwLock::new(BTreeMap::new()),
            dirty: AtomicBool::new(false),
            persist_lock: Mutex::new(()),
        }
    }
}

fn key(topic: &str, group: &str) -> String {
    ConsumerOffsetSerializeWrapper::key(topic, group)
}

impl ConsumerOffsetManager {
    /// Loads `path` (falling back to its `.bak`); a missing file starts empty.
    pub fn load(path: impl Into<PathBuf>) -> Result<Self, BrokerError> {
        let path = path.into();
        let loaded = config_file::load(&path, |b| {
            ConsumerOffsetSerializeWrapper::decode(b).map_err(|e| e.to_string())
        })?;
        let mgr = Self {
            path: Some(path),
            ..Self::default()
        };
        if let Some(w) = loaded {
            *mgr.table.write() = w;
        }
        Ok(mgr)
    }

    /// [`Self::load`] of `<storePathRootDir>/config/consumerOffset.json`.
    pub fn load_for(config: &BrokerConfig) -> Result<Self, BrokerError> {
        Self::load(config_file::config_path(
            &config.store.store_path_root_dir,
            config_file::CONSUMER_OFFSET_FILE,
        ))
    }

    pub fn commit(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.table
            .write()
            .offset_table
            .entry(key(topic, group))
            .or_default()
            .insert(queue_id, offset);
        self.dirty.store(true, Ordering::Release);
    }

    pub fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.table
            .read()
            .offset_table
            .get(&key(topic, group))
            .and_then(|m| m.get(&queue_id))
            .copied()
    }

    /// Records how far a group has pulled a queue (the pull path calls it with the next offset to pull).
    pub fn commit_pull_offset(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.pull_offsets
            .write()
            .entry(key(topic, group))
            .or_default()
            .insert(queue_id, offset);
    }

    pub fn query_pull_offset(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.pull_offsets
            .read()
            .get(&key(topic, group))
            .and_then(|m| m.get(&queue_id))
            .copied()
    }

    /// Every queue offset of (topic, group).
    pub fn offsets(&self, group: &str, topic: &str) -> QueueOffsets {
        self.table
            .read()
            .offset_table
            .get(&key(topic, group))
            .cloned()
            .unwrap_or_default()
    }

    /// topic → queue offsets of one group.
    pub fn offsets_of_group(&self, group: &str) -> BTreeMap<String, QueueOffsets> {
        self.table
            .read()
            .offset_table
            .iter()
            .filter_map(|(k, v)| {
                let (t, g) = ConsumerOffsetSerializeWrapper::split_key(k)?;
                (g == group).then(|| (t.to_string(), v.clone()))
            })
            .collect()
    }

    /// Topics a group has offsets for.
    pub fn topics_of_group(&self, group: &str) -> Vec<String> {
        self.offsets_of_group(group).into_keys().collect()
    }

    /// Groups with offsets for a topic.
    pub fn groups_of_topic(&self, topic: &str) -> Vec<String> {
        self.table
            .read()
            .offset_table
            .keys()
            .filter_map(|k| {
                let (t, g) = ConsumerOffsetSerializeWrapper::split_key(k)?;
                (t == topic).then(|| g.to_string())
            })
            .collect()
    }

    fn remove_where(&self, pred: impl Fn(&str, &str) -> bool) -> usize {
        self.pull_offsets.write().retain(|k, _| {
            match ConsumerOffsetSerializeWrapper::split_key(k) {
                Some((topic, group)) => !pred(topic, group),
                None => true,
            }
        });
        let mut t = self.table.write();
        let before = t.offset_table.len();
        t.offset_table
            .retain(|k, _| match ConsumerOffsetSerializeWrapper::split_key(k) {
                Some((topic, group)) => !pred(topic, group),
                None => true,
            });
        let removed = before - t.offset_table.len();
        if removed > 0 {
            self.dirty.store(true, Ordering::Release);
        }
        removed
    }

    /// Drops every offset of a group (DELETE_SUBSCRIPTIONGROUP with cleanOffset). Returns the entries removed.
    pub fn remove_group(&self, group: &str) -> usize {
        self.remove_where(|_, g| g == group)
    }

    /// Drops every group's offsets of a topic (DELETE_TOPIC_IN_BROKER).
    pub fn remove_topic(&self, topic: &str) -> usize {
        self.remove_where(|t, _| t == topic)
    }

    /// Drops the offsets of one (topic, group).
    pub fn remove(&self, group: &str, topic: &str) -> bool {
        self.remove_where(|t, g| t == topic && g == group) > 0
    }

    pub fn data_version(&self) -> DataVersion {
        self.table.read().data_version
    }

    /// The whole table as GET_ALL_CONSUMER_OFFSET and the file carry it.
    pub fn wrapper(&self) -> ConsumerOffsetSerializeWrapper {
        self.table.read().clone()
    }

    /// The table in fastjson form (queue ids bare), compact.
    pub fn encode(&self) -> Vec<u8> {
        self.wrapper().encode_with(KeyStyle::Bare)
    }

    /// Writes consumerOffset.json if anything changed since the last write (no-op in memory).
    pub fn persist(&self) -> Result<(), BrokerError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let _guard = self.persist_lock.lock();
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let text = {
            let mut t = self.table.write();
            t.data_version.next_version();
            config_file::pretty(&t.encode_with(KeyStyle::Bare))
        };
        let r = config_file::persist(path, &text);
        if r.is_err() {
            // Try again next time.
            self.dirty.store(true, Ordering::Release);
        }
        r
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_query_remove() {
        let m = ConsumerOffsetManager::default();
        m.commit("G", "T", 0, 15);
        m.commit("G", "T", 1, 9);
        m.commit("G", "U", 0, 1);
        m.commit("H", "T", 0, 3);
        assert_eq!(m.query("G", "T", 1), Some(9));
        assert_eq!(m.query("G", "T", 2), None);
        assert_eq!(m.topics_of_group("G"), ["T", "U"]);
        assert_eq!(m.groups_of_topic("T"), ["G", "H"]);
        assert_eq!(m.offsets("G", "T").len(), 2);
        assert_eq!(m.remove_topic("T"), 2);
        assert_eq!(m.query("H", "T", 0), None);
        assert_eq!(m.remove_group("G"), 1);
        assert!(m.wrapper().offset_table.is_empty());
        m.persist().unwrap();
    }

    #[test]
    fn persist_round_trip_bare_keys_and_bak() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config").join("consumerOffset.json");
        let m = ConsumerOffsetManager::load(&path).unwrap();
        m.commit("G", "T", 0, 15);
        m.commit("G", "T", 1, 9);
        m.persist().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"T@G\":{\n\t\t\t0:15,\n\t\t\t1:9\n\t\t}"),
            "{text}"
        );
        assert!(text.contains("\"groupTopicMap\":{"), "{text}");
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        m.persist().unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            modified,
            "unchanged table is not rewritten"
        );
        m.commit("G", "T", 0, 20);
        m.persist().unwrap();
        drop(m);
        let m = ConsumerOffsetManager::load(&path).unwrap();
        assert_eq!(m.query("G", "T", 0), Some(20));
        drop(m);
        std::fs::write(&path, b"").unwrap();
        let m = ConsumerOffsetManager::load(&path).unwrap();
        assert_eq!(
            m.query("G", "T", 0),
            Some(15),
            "empty main file: previous version from .bak"
        );
    }

    #[test]
    fn loads_apache_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("consumerOffset.json");
        std::fs::write(
            &path,
            "{\n\t\"dataVersion\":{\n\t\t\"counter\":5,\n\t\t\"stateVersion\":0,\n\t\t\"timestamp\":1700000000000\n\t},\n\t\"groupTopicMap\":{\n\t\t\"G\":[\"T\"]\n\t},\n\t\"offsetTable\":{\n\t\t\"T@G\":{0:15,1:9},\n\t\t\"%RETRY%G@G\":{\"0\":2}\n\t}\n}",
        )
        .unwrap();
        let m = ConsumerOffsetManager::load(&path).unwrap();
        assert_eq!(m.query("G", "T", 0), Some(15));
        assert_eq!(m.query("G", "T", 1), Some(9));
        assert_eq!(m.query("G", "%RETRY%G", 0), Some(2));
        assert_eq!(m.data_version().counter, 5);
    }
}
