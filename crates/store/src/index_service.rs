//! The message-key index over all index files (storage-format.md §5): built by the dispatcher, queried by key
//! and time range.

use std::path::PathBuf;
use std::sync::Arc;

use ferrocket_protocol::message::sysflag::TransactionType;
use ferrocket_protocol::message::RecordView;
use parking_lot::RwLock;

use crate::env::{index_file_name, Clock, FlushObserver};
use crate::error::{StoreError, StoreResult};
use crate::index_file::IndexFile;
use crate::mapped_file::create_dir_durable;

/// Result of a key lookup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOffsetResult {
    /// Commit-log offsets whose key hash and time match, newest first (hash matches only: verify the key).
    pub phys_offsets: Vec<i64>,
    pub index_last_update_timestamp: i64,
    pub index_last_update_phyoffset: i64,
}

pub struct IndexService {
    dir: PathBuf,
    slot_num: u32,
    index_num: u32,
    files: RwLock<Vec<Arc<IndexFile>>>,
    observer: Option<Arc<dyn FlushObserver>>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for IndexService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexService")
            .field("dir", &self.dir)
            .field("files", &self.files.read().len())
            .finish()
    }
}

impl IndexService {
    pub fn new(
        dir: PathBuf,
        slot_num: u32,
        index_num: u32,
        clock: Arc<dyn Clock>,
        observer: Option<Arc<dyn FlushObserver>>,
    ) -> Self {
        IndexService {
            dir,
            slot_num,
            index_num,
            files: RwLock::new(Vec::new()),
            observer,
            clock,
        }
    }

    /// Maps the existing files (names are 17-digit creation times, so name order is age order).
    pub fn load(&self) -> StoreResult<()> {
        let mut names = Vec::new();
        match std::fs::read_dir(&self.dir) {
            Ok(rd) => {
                for e in rd {
                    let e = e.map_err(|e| StoreError::io(&self.dir, e))?;
                    let name = e.file_name().to_string_lossy().into_owned();
                    if name.len() == 17
                        && name.bytes().all(|b| b.is_ascii_digit())
                        && e.path().is_file()
                    {
                        names.push(name);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::io(&self.dir, e)),
        }
        names.sort();
        let mut files = Vec::new();
        for n in names {
            let path = self.dir.join(&n);
            match IndexFile::open(
                path.clone(),
                self.slot_num,
                self.index_num,
                self.observer.clone(),
            ) {
                Ok(f) => files.push(Arc::new(f)),
                Err(StoreError::BadFileSize { .. }) => {
                    tracing::warn!(path = %path.display(), "index file of the wrong size, deleting (it is rebuilt)");
                    std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
                }
                Err(e) => return Err(e),
            }
        }
        *self.files.write() = files;
        Ok(())
    }

    /// After the commit log was cut at `cl_end`, deletes index files that reference data at or past it (a torn
    /// tail). Returns the commit-log offset from which the index must be rebuilt, if any file was deleted.
    pub fn drop_files_past(&self, cl_end: i64) -> StoreResult<Option<i64>> {
        let mut files = self.files.write();
        let mut rebuild_from: Option<i64> = None;
        while let Some(last) = files.last() {
            let h = last.header();
            if h.index_count > 1 && h.end_phy_offset >= cl_end {
                rebuild_from = Some(if h.begin_phy_offset >= 0 {
                    h.begin_phy_offset.min(cl_end)
                } else {
                    0
                });
                last.destroy()?;
                files.pop();
            } else {
                break;
            }
        }
        Ok(rebuild_from)
    }

    /// End phy offset of the newest entry (−1 when nothing is indexed).
    pub fn max_indexed_offset(&self) -> i64 {
        self.files
            .read()
            .iter()
            .rev()
            .map(|f| f.header())
            .find(|h| h.index_count > 1)
            .map(|h| h.end_phy_offset)
            .unwrap_or(-1)
    }

    fn last_writable(&self) -> StoreResult<Arc<IndexFile>> {
        if let Some(f) = self.files.read().last() {
            if !f.is_full() {
                return Ok(f.clone());
            }
        }
        let mut files = self.files.write();
        let (prev_off, prev_ts) = match files.last() {
            Some(f) if !f.is_full() => return Ok(f.clone()),
            Some(f) => {
                // A file just filled: make it durable before starting the next (§5).
                f.flush()?;
                let h = f.header();
                (h.end_phy_offset, h.end_timestamp)
            }
            None => (0, 0),
        };
        create_dir_durable(&self.dir)?;
        let mut now = self.clock.now_ms();
        let mut path = self.dir.join(index_file_name(now));
        while path.exists() {
            now += 1;
            path = self.dir.join(index_file_name(now));
        }
        let f = Arc::new(IndexFile::create(
            path,
            self.slot_num,
            self.index_num,
            prev_off,
            prev_ts,
            self.observer.clone(),
        )?);
        files.push(f.clone());
        Ok(f)
    }

    /// Indexes one dispatched record: `topic#UNIQ_KEY` and `topic#k` for each key of KEYS. ROLLBACK records are not
    /// indexed; records at or below what the last file already covers are skipped (idempotent re-dispatch).
    pub fn build_index(&self, v: &RecordView<'_>) -> StoreResult<()> {
        if v.transaction_type() == TransactionType::Rollback {
            return Ok(());
        }
        let uniq = v.uniq_key().filter(|u| !u.is_empty());
        let has_keys = v.keys().any(|k| !k.is_empty());
        if uniq.is_none() && !has_keys {
            return Ok(());
        }
        let mut file = self.last_writable()?;
        let h = file.header();
        if h.index_count > 1 && v.physical_offset <= h.end_phy_offset {
            return Ok(());
        }
        let mut key = String::with_capacity(v.topic.len() + 48);
        for k in uniq.into_iter().chain(v.keys().filter(|k| !k.is_empty())) {
            key.clear();
            key.push_str(v.topic);
            key.push('#');
            key.push_str(k);
            while !file.put_key(&key, v.physical_offset, v.store_timestamp) {
                file = self.last_writable()?;
            }
        }
        Ok(())
    }

    /// Looks `topic#key` up in the files overlapping [begin, end], newest first, up to `max` offsets.
    pub fn query(
        &self,
        topic: &str,
        key: &str,
        max: usize,
        begin: i64,
        end: i64,
    ) -> QueryOffsetResult {
        let files = self.files.read().clone();
        let mut res = QueryOffsetResult::default();
        if let Some(last) = files.last() {
            let h = last.header();
            res.index_last_update_timestamp = h.end_timestamp;
            res.index_last_update_phyoffset = h.end_phy_offset;
        }
        let full_key = format!("{topic}#{key}");
        for f in files.iter().rev() {
            if res.phys_offsets.len() >= max {
                break;
            }
            if f.time_matched(begin, end) {
                f.select(&full_key, max, begin, end, &mut res.phys_offsets);
            }
            if f.header().begin_timestamp < begin {
                break;
            }
        }
        res
    }

    /// Flushes the newest file; returns the end timestamp it covers (for `checkpoint.indexMsgTimestamp`).
    pub fn flush(&self) -> StoreResult<Option<i64>> {
        let last = self.files.read().last().cloned();
        match last {
            Some(f) => {
                let ts = f.header().end_timestamp;
                f.flush()?;
                Ok(Some(ts))
            }
            None => Ok(None),
        }
    }

    /// Deletes files (not the newest) whose entries all point below the commit-log min offset.
    pub fn delete_expired(&self, cl_min: i64) -> StoreResult<usize> {
        let mut files = self.files.write();
        let mut n = 0;
        while files.len() > 1 {
            let h = files[0].header();
            if h.end_phy_offset < cl_min {
                files[0].destroy()?;
                files.remove(0);
                n += 1;
            } else {
                break;
            }
        }
        Ok(n)
    }

    pub fn destroy(&self) -> StoreResult<()> {
        for f in self.files.write().drain(..) {
            f.destroy()?;
        }
        Ok(())
    }

    pub fn file_count(&self) -> usize {
        self.files.read().len()
    }
}
