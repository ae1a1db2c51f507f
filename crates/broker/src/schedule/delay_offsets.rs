//! Delivery progress of each delay level: the next consume-queue offset of SCHEDULE_TOPIC_XXXX queue level − 1 to
//! deliver, persisted in `config/delayOffset.json` (`{"dataVersion":..,"offsetTable":{1:0,2:5}}`, bare integer
//! keys; remoting-protocol.md §8.6).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use ferrocket_protocol::body::DelayOffsetSerializeWrapper;
use ferrocket_protocol::json::KeyStyle;
use parking_lot::Mutex;

use crate::config_file;
use crate::error::BrokerError;

pub const DELAY_OFFSET_FILE: &str = "delayOffset.json";

pub struct DelayOffsets {
    path: Option<PathBuf>,
    table: Mutex<DelayOffsetSerializeWrapper>,
    dirty: AtomicBool,
    persist_lock: Mutex<()>,
}

impl DelayOffsets {
    /// An in-memory table (never written).
    pub fn in_memory() -> Self {
        DelayOffsets {
            path: None,
            table: Mutex::new(DelayOffsetSerializeWrapper::default()),
            dirty: AtomicBool::new(false),
            persist_lock: Mutex::new(()),
        }
    }

    /// Loads `path` (falling back to its `.bak`); a missing file starts empty.
    pub fn load(path: impl Into<PathBuf>) -> Result<Self, BrokerError> {
        let path = path.into();
        let loaded = config_file::load(&path, |b| {
            DelayOffsetSerializeWrapper::decode(b).map_err(|e| e.to_string())
        })?;
        let me = DelayOffsets {
            path: Some(path),
            ..Self::in_memory()
        };
        if let Some(w) = loaded {
            *me.table.lock() = w;
        }
        Ok(me)
    }

    /// `<storePathRootDir>/config/delayOffset.json`.
    pub fn path_for(store_root: &str) -> PathBuf {
        config_file::config_path(store_root, DELAY_OFFSET_FILE)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The next offset to deliver of `level` (0 when none is recorded).
    pub fn get(&self, level: i32) -> i64 {
        self.table
            .lock()
            .offset_table
            .get(&level)
            .copied()
            .unwrap_or(0)
    }

    pub fn set(&self, level: i32, offset: i64) {
        let mut t = self.table.lock();
        if t.offset_table.insert(level, offset) != Some(offset) {
            self.dirty.store(true, Ordering::Release);
        }
    }

    pub fn snapshot(&self) -> BTreeMap<i32, i64> {
        self.table.lock().offset_table.clone()
    }

    /// The table as GET_ALL_DELAY_OFFSET answers it (fastjson form, bare keys).
    pub fn encode(&self) -> Vec<u8> {
        self.table.lock().encode_with(KeyStyle::Bare)
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }

    /// Writes the file if anything changed since the last write.
    pub fn persist(&self) -> Result<(), BrokerError> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let _guard = self.persist_lock.lock();
        if !self.dirty.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let text = {
            let mut t = self.table.lock();
            t.data_version.next_version();
            config_file::pretty(&t.encode_with(KeyStyle::Bare))
        };
        let r = config_file::persist(path, &text);
        if r.is_err() {
            self.dirty.store(true, Ordering::Release);
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persist_and_reload_with_bare_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config").join(DELAY_OFFSET_FILE);
        let d = DelayOffsets::load(&path).unwrap();
        assert_eq!(d.get(3), 0);
        d.set(3, 17);
        d.set(1, 2);
        assert!(d.is_dirty());
        d.persist().unwrap();
        assert!(!d.is_dirty());
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"offsetTable\""), "{text}");
        assert!(
            text.contains("1:2") && text.contains("3:17"),
            "bare integer keys: {text}"
        );
        let again = DelayOffsets::load(&path).unwrap();
        assert_eq!(again.get(3), 17);
        assert_eq!(again.get(1), 2);
        assert_eq!(
            again.snapshot().into_iter().collect::<Vec<_>>(),
            vec![(1, 2), (3, 17)]
        );
    }

    #[test]
    fn loads_apache_file_and_quoted_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(DELAY_OFFSET_FILE);
        std::fs::write(
            &path,
            "{\n\t\"dataVersion\":{\"counter\":3,\"stateVersion\":0,\"timestamp\":1700000000000},\n\t\"offsetTable\":{2:5,\"4\":9}\n}",
        )
        .unwrap();
        let d = DelayOffsets::load(&path).unwrap();
        assert_eq!(d.get(2), 5);
        assert_eq!(d.get(4), 9);
        d.set(2, 5);
        assert!(!d.is_dirty(), "setting the same value changes nothing");
    }
}
