//! Consumer offsets: kept in memory as consumption advances, persisted to the broker (clustering) or to a local
//! file (broadcasting) every `persist_offset_interval` and when queues change hands.

mod local;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use ferrocket_protocol::body::MessageQueue;
use parking_lot::Mutex;

use crate::error::Result;
use crate::instance::ClientInstance;

/// Where offsets are persisted.
pub(crate) enum Backend {
    /// On the broker (UPDATE_CONSUMER_OFFSET / QUERY_CONSUMER_OFFSET).
    Remote {
        instance: Arc<ClientInstance>,
        group: String,
    },
    /// In a JSON file (`{"offsetTable":{<MessageQueue>:offset}}`, the Java client's format).
    Local { path: PathBuf },
}

pub(crate) struct OffsetStore {
    table: Mutex<HashMap<MessageQueue, i64>>,
    backend: Backend,
}

impl OffsetStore {
    pub fn remote(instance: Arc<ClientInstance>, group: &str) -> Self {
        OffsetStore {
            table: Mutex::new(HashMap::new()),
            backend: Backend::Remote {
                instance,
                group: group.to_owned(),
            },
        }
    }

    /// A file store at `<dir>/<clientId>/<group>/offsets.json`.
    pub fn local(dir: PathBuf, client_id: &str, group: &str) -> Self {
        OffsetStore {
            table: Mutex::new(HashMap::new()),
            backend: Backend::Local {
                path: dir.join(client_id).join(group).join("offsets.json"),
            },
        }
    }

    /// Records consumption progress. With `increase_only`, never moves an offset backwards (late results of
    /// earlier batches must not undo later progress).
    pub fn update(&self, mq: &MessageQueue, offset: i64, increase_only: bool) {
        let mut t = self.table.lock();
        match t.get_mut(mq) {
            Some(cur) if increase_only => *cur = (*cur).max(offset),
            Some(cur) => *cur = offset,
            None => {
                t.insert(mq.clone(), offset);
            }
        }
    }

    pub fn read_memory(&self, mq: &MessageQueue) -> Option<i64> {
        self.table.lock().get(mq).copied()
    }

    /// The persisted offset (`None`: nothing stored for this group and queue); also cached in memory.
    pub async fn read_store(&self, mq: &MessageQueue) -> Result<Option<i64>> {
        let stored = match &self.backend {
            Backend::Remote { instance, group } => {
                instance.query_consumer_offset(group, mq).await?
            }
            Backend::Local { path } => local::read(path)?.get(mq).copied(),
        };
        if let Some(o) = stored {
            self.update(mq, o, false);
        }
        Ok(stored)
    }

    /// Forgets a queue's in-memory offset (after it moved to another consumer).
    pub fn remove(&self, mq: &MessageQueue) {
        self.table.lock().remove(mq);
    }

    /// Persists the offsets of `queues` (those with a known offset). `sync` waits for the broker's answers.
    pub async fn persist_all(&self, queues: &[MessageQueue], sync: bool) -> Result<()> {
        let offsets: Vec<(MessageQueue, i64)> = {
            let t = self.table.lock();
            queues
                .iter()
                .filter_map(|q| t.get(q).map(|o| (q.clone(), *o)))
                .collect()
        };
        match &self.backend {
            Backend::Remote { instance, group } => {
                let mut first_err = None;
                for (mq, offset) in offsets {
                    if let Err(e) = instance
                        .update_consumer_offset(group, &mq, offset, !sync)
                        .await
                    {
                        tracing::debug!(group, %mq, error = %e, "persisting offset failed");
                        first_err.get_or_insert(e);
                    }
                }
                first_err.map_or(Ok(()), Err)
            }
            Backend::Local { path } => {
                // The file holds every queue this consumer ever stored, updated with the current ones.
                let mut all = local::read(path).unwrap_or_default();
                all.extend(offsets);
                local::write(path, &all)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_store_round_trip_and_increase_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = OffsetStore::local(dir.path().to_path_buf(), "127.0.0.1@c1", "G");
        let (a, b) = (
            MessageQueue::new("T", "b", 0),
            MessageQueue::new("T", "b", 1),
        );
        assert_eq!(store.read_store(&a).await.unwrap(), None);
        store.update(&a, 10, true);
        store.update(&a, 5, true);
        assert_eq!(store.read_memory(&a), Some(10));
        store.update(&a, 5, false);
        assert_eq!(store.read_memory(&a), Some(5));
        store.update(&b, 7, true);
        store
            .persist_all(&[a.clone(), b.clone()], true)
            .await
            .unwrap();

        let again = OffsetStore::local(dir.path().to_path_buf(), "127.0.0.1@c1", "G");
        assert_eq!(again.read_memory(&a), None);
        assert_eq!(again.read_store(&a).await.unwrap(), Some(5));
        assert_eq!(again.read_store(&b).await.unwrap(), Some(7));
        assert_eq!(again.read_memory(&b), Some(7));
        // Another client id has its own file.
        let other = OffsetStore::local(dir.path().to_path_buf(), "127.0.0.1@c2", "G");
        assert_eq!(other.read_store(&a).await.unwrap(), None);
        // Persisting a subset keeps the others.
        again.update(&a, 9, false);
        again
            .persist_all(std::slice::from_ref(&a), true)
            .await
            .unwrap();
        let third = OffsetStore::local(dir.path().to_path_buf(), "127.0.0.1@c1", "G");
        assert_eq!(third.read_store(&a).await.unwrap(), Some(9));
        assert_eq!(third.read_store(&b).await.unwrap(), Some(7));
        third.remove(&a);
        assert_eq!(third.read_memory(&a), None);
    }
}
