//! All consume queues of the store: `<root>/consumequeue/<topic>/<queueId>/`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::consume_queue::ConsumeQueue;
use crate::env::FlushObserver;
use crate::error::{StoreError, StoreResult};

type QueueTable = HashMap<String, HashMap<i32, Arc<ConsumeQueue>>>;

pub struct ConsumeQueueStore {
    root: PathBuf,
    file_size: u64,
    observer: Option<Arc<dyn FlushObserver>>,
    queues: RwLock<QueueTable>,
}

impl std::fmt::Debug for ConsumeQueueStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumeQueueStore")
            .field("root", &self.root)
            .finish()
    }
}

impl ConsumeQueueStore {
    pub fn new(root: PathBuf, file_size: u64, observer: Option<Arc<dyn FlushObserver>>) -> Self {
        ConsumeQueueStore {
            root,
            file_size,
            observer,
            queues: RwLock::new(HashMap::new()),
        }
    }

    /// Loads every `<topic>/<queueId>` directory.
    pub fn load(&self) -> StoreResult<()> {
        let mut table: QueueTable = HashMap::new();
        let topics = match std::fs::read_dir(&self.root) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StoreError::io(&self.root, e)),
        };
        for t in topics {
            let t = t.map_err(|e| StoreError::io(&self.root, e))?;
            if !t.path().is_dir() {
                continue;
            }
            let topic = t.file_name().to_string_lossy().into_owned();
            let qdirs = std::fs::read_dir(t.path()).map_err(|e| StoreError::io(t.path(), e))?;
            for q in qdirs {
                let q = q.map_err(|e| StoreError::io(t.path(), e))?;
                let Ok(qid) = q.file_name().to_string_lossy().parse::<i32>() else {
                    continue;
                };
                if !q.path().is_dir() {
                    continue;
                }
                let cq = ConsumeQueue::new(
                    self.root.clone(),
                    &topic,
                    qid,
                    self.file_size,
                    self.observer.clone(),
                );
                cq.load()?;
                table
                    .entry(topic.clone())
                    .or_default()
                    .insert(qid, Arc::new(cq));
            }
        }
        *self.queues.write() = table;
        Ok(())
    }

    pub fn recover(&self) -> StoreResult<()> {
        for cq in self.all() {
            cq.recover()?;
        }
        Ok(())
    }

    pub fn find(&self, topic: &str, queue_id: i32) -> Option<Arc<ConsumeQueue>> {
        self.queues.read().get(topic)?.get(&queue_id).cloned()
    }

    pub fn find_or_create(&self, topic: &str, queue_id: i32) -> Arc<ConsumeQueue> {
        if let Some(q) = self.find(topic, queue_id) {
            return q;
        }
        let mut w = self.queues.write();
        w.entry(topic.to_string())
            .or_default()
            .entry(queue_id)
            .or_insert_with(|| {
                Arc::new(ConsumeQueue::new(
                    self.root.clone(),
                    topic,
                    queue_id,
                    self.file_size,
                    self.observer.clone(),
                ))
            })
            .clone()
    }

    pub fn all(&self) -> Vec<Arc<ConsumeQueue>> {
        self.queues
            .read()
            .values()
            .flat_map(|m| m.values().cloned())
            .collect()
    }

    pub fn topic_queues(&self, topic: &str) -> Vec<Arc<ConsumeQueue>> {
        self.queues
            .read()
            .get(topic)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn topics(&self) -> Vec<String> {
        self.queues.read().keys().cloned().collect()
    }

    /// The largest commit-log end any queue covers (−1 when all are empty).
    pub fn max_physic_offset(&self) -> i64 {
        self.all()
            .iter()
            .map(|q| q.max_physic_offset())
            .max()
            .unwrap_or(-1)
    }

    /// Next queue offset per queue (for the commit log's offset table).
    pub fn queue_offset_table(&self) -> HashMap<String, HashMap<i32, i64>> {
        let r = self.queues.read();
        r.iter()
            .map(|(t, m)| {
                (
                    t.clone(),
                    m.iter().map(|(q, cq)| (*q, cq.max_offset())).collect(),
                )
            })
            .collect()
    }

    pub fn truncate_dirty(&self, cl_end: i64) -> StoreResult<()> {
        for cq in self.all() {
            cq.truncate_dirty(cl_end)?;
        }
        Ok(())
    }

    pub fn correct_min_offsets(&self, cl_min: i64) {
        for cq in self.all() {
            cq.correct_min_offset(cl_min);
        }
    }

    /// Flushes every queue; returns an error only after trying all of them.
    pub fn flush(&self, least_pages: u32) -> StoreResult<()> {
        let mut first_err = None;
        for cq in self.all() {
            if let Err(e) = cq.flush(least_pages) {
                first_err.get_or_insert(e);
            }
        }
        first_err.map_or(Ok(()), Err)
    }

    /// Deletes files whose units all point below `cl_min`; returns the number deleted.
    pub fn delete_expired(&self, cl_min: i64, max_per_queue: usize) -> StoreResult<usize> {
        let mut n = 0;
        for cq in self.all() {
            n += cq.delete_expired_files(cl_min, max_per_queue)?;
        }
        Ok(n)
    }

    /// Removes a topic's queues and their files.
    pub fn delete_topic(&self, topic: &str) -> StoreResult<bool> {
        let removed = self.queues.write().remove(topic);
        let Some(m) = removed else {
            return Ok(false);
        };
        for cq in m.values() {
            cq.destroy()?;
        }
        let dir = self.root.join(topic);
        match std::fs::remove_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "could not remove topic directory")
            }
        }
        Ok(true)
    }

    pub fn destroy_all(&self) -> StoreResult<()> {
        let topics = self.topics();
        for t in topics {
            self.delete_topic(&t)?;
        }
        Ok(())
    }
}
