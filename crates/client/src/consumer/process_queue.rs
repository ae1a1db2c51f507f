//! A consumer's local cache of one queue: messages pulled but not yet consumed, ordered by queue offset.
//!
//! The consumed offset of a queue is the smallest offset still cached (concurrent consumption finishes out of
//! order, so the offset cannot pass a message still in work), or one past the largest pulled when the cache is
//! empty. Orderly consumption takes messages out in order and commits them as a block.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use ferrocket_protocol::body::{MessageQueue, ProcessQueueInfo};
use ferrocket_protocol::message::MessageExt;
use parking_lot::Mutex;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// A queue lock older than this is treated as lost (brokers hold locks 60 s; clients renew every 20 s).
pub const LOCK_EXPIRY: Duration = Duration::from_secs(30);

/// A cached message: its body size, and the message itself when the cache owns it (orderly consumption takes
/// messages from here; concurrent consumption hands them straight to consume tasks and keeps only the size).
struct Entry {
    size: u64,
    msg: Option<MessageExt>,
}

#[derive(Default)]
struct Cache {
    /// Pulled, not yet consumed (concurrent: including those being consumed).
    msgs: BTreeMap<i64, Entry>,
    /// Orderly: taken out for consumption, not yet committed.
    consuming: BTreeMap<i64, Entry>,
    bytes: u64,
    /// Largest queue offset ever put here.
    max_offset: i64,
}

pub struct ProcessQueue {
    pub mq: MessageQueue,
    cache: Mutex<Cache>,
    dropped: AtomicBool,
    locked: AtomicBool,
    last_lock: Mutex<Option<Instant>>,
    last_pull_ms: AtomicI64,
    last_consume_ms: AtomicI64,
    /// Stops this queue's tasks.
    pub cancel: CancellationToken,
    /// Wakes the orderly consume task when messages arrive.
    pub arrived: Notify,
    /// Orderly: held while a batch of this queue is being consumed.
    pub consume_lock: tokio::sync::Mutex<()>,
}

/// Counts of a cache, for flow control and monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    pub count: usize,
    pub bytes: u64,
    /// Largest minus smallest cached offset (0 when empty).
    pub span: i64,
}

fn now_ms() -> i64 {
    crate::api::send::now_millis()
}

impl ProcessQueue {
    pub fn new(mq: MessageQueue, parent: &CancellationToken) -> Self {
        ProcessQueue {
            mq,
            cache: Mutex::new(Cache {
                max_offset: -1,
                ..Default::default()
            }),
            dropped: AtomicBool::new(false),
            locked: AtomicBool::new(false),
            last_lock: Mutex::new(None),
            last_pull_ms: AtomicI64::new(now_ms()),
            last_consume_ms: AtomicI64::new(now_ms()),
            cancel: parent.child_token(),
            arrived: Notify::new(),
            consume_lock: tokio::sync::Mutex::new(()),
        }
    }

    pub fn is_dropped(&self) -> bool {
        self.dropped.load(Ordering::Acquire)
    }

    /// Marks the queue as no longer ours and stops its tasks.
    pub fn set_dropped(&self) {
        self.dropped.store(true, Ordering::Release);
        self.cancel.cancel();
        self.arrived.notify_one();
    }

    pub fn set_locked(&self, locked: bool) {
        self.locked.store(locked, Ordering::Release);
        if locked {
            *self.last_lock.lock() = Some(Instant::now());
        }
    }

    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Acquire)
    }

    /// Locked, and renewed recently enough to trust.
    pub fn holds_lock(&self) -> bool {
        self.is_locked()
            && self
                .last_lock
                .lock()
                .is_some_and(|t| t.elapsed() < LOCK_EXPIRY)
    }

    pub fn touch_pull(&self) {
        self.last_pull_ms.store(now_ms(), Ordering::Relaxed);
    }

    pub fn stats(&self) -> CacheStats {
        let c = self.cache.lock();
        let count = c.msgs.len() + c.consuming.len();
        let first = c.consuming.keys().next().or_else(|| c.msgs.keys().next());
        let last = c
            .msgs
            .keys()
            .next_back()
            .or_else(|| c.consuming.keys().next_back());
        CacheStats {
            count,
            bytes: c.bytes,
            span: match (first, last) {
                (Some(a), Some(b)) => b - a,
                _ => 0,
            },
        }
    }

    /// Adds pulled messages (duplicates of cached offsets are ignored). With `keep` the cache owns them (orderly)
    /// and nothing is returned; otherwise it records their offsets and sizes and returns the added messages for
    /// the caller to consume.
    pub fn put(&self, msgs: Vec<MessageExt>, keep: bool) -> Vec<MessageExt> {
        let mut added = Vec::with_capacity(if keep { 0 } else { msgs.len() });
        let mut any = false;
        {
            let mut c = self.cache.lock();
            for m in msgs {
                let off = m.queue_offset;
                if c.msgs.contains_key(&off) || c.consuming.contains_key(&off) {
                    continue;
                }
                any = true;
                let size = m.body.len() as u64;
                c.bytes += size;
                c.max_offset = c.max_offset.max(off);
                let msg = if keep {
                    Some(m)
                } else {
                    added.push(m);
                    None
                };
                c.msgs.insert(off, Entry { size, msg });
            }
        }
        if any {
            self.arrived.notify_one();
        }
        added
    }

    /// Concurrent: drops consumed messages; returns the queue's consumed offset afterwards, or `None` if the
    /// cache was empty already (nothing to advance).
    pub fn remove(&self, offsets: impl IntoIterator<Item = i64>) -> Option<i64> {
        let mut c = self.cache.lock();
        if c.msgs.is_empty() {
            return None;
        }
        for off in offsets {
            if let Some(e) = c.msgs.remove(&off) {
                c.bytes = c.bytes.saturating_sub(e.size);
            }
        }
        self.last_consume_ms.store(now_ms(), Ordering::Relaxed);
        Some(match c.msgs.keys().next() {
            Some(first) => *first,
            None => c.max_offset + 1,
        })
    }

    /// Orderly: takes up to `n` messages, oldest first (the cache keeps their offsets and sizes until commit).
    pub fn take(&self, n: usize) -> Vec<MessageExt> {
        let mut c = self.cache.lock();
        let mut out = Vec::with_capacity(n.min(c.msgs.len()));
        while out.len() < n {
            let Some((off, mut e)) = c.msgs.pop_first() else {
                break;
            };
            if let Some(m) = e.msg.take() {
                out.push(m);
            }
            c.consuming.insert(off, e);
        }
        self.last_consume_ms.store(now_ms(), Ordering::Relaxed);
        out
    }

    /// Orderly: the taken messages are consumed; returns the offset after them.
    pub fn commit(&self) -> Option<i64> {
        let mut c = self.cache.lock();
        let last = c.consuming.keys().next_back().copied()?;
        let freed: u64 = c.consuming.values().map(|e| e.size).sum();
        c.consuming.clear();
        c.bytes = c.bytes.saturating_sub(freed);
        Some(last + 1)
    }

    /// Orderly: puts taken messages back to be consumed again (with their reconsume counts as given).
    pub fn make_consume_again(&self, msgs: Vec<MessageExt>) {
        let mut c = self.cache.lock();
        for m in msgs {
            let size = match c.consuming.remove(&m.queue_offset) {
                Some(e) => e.size,
                None => {
                    // Not taken from here (should not happen); count it now.
                    let size = m.body.len() as u64;
                    c.bytes += size;
                    size
                }
            };
            c.msgs.insert(m.queue_offset, Entry { size, msg: Some(m) });
        }
    }

    /// Discards everything cached (offset moved, reset).
    pub fn clear(&self) {
        let mut c = self.cache.lock();
        c.msgs.clear();
        c.consuming.clear();
        c.bytes = 0;
        c.max_offset = -1;
    }

    /// Messages waiting (not taken) — orderly consume tasks sleep when zero.
    pub fn waiting(&self) -> usize {
        self.cache.lock().msgs.len()
    }

    pub fn info(&self, commit_offset: i64) -> ProcessQueueInfo {
        let c = self.cache.lock();
        let first = c
            .consuming
            .keys()
            .next()
            .or_else(|| c.msgs.keys().next())
            .copied();
        ProcessQueueInfo {
            cached_msg_count: (c.msgs.len() + c.consuming.len()) as i32,
            cached_msg_min_offset: first.unwrap_or(0),
            cached_msg_max_offset: c.msgs.keys().next_back().copied().unwrap_or(0),
            cached_msg_size_in_mib: (c.bytes / (1024 * 1024)) as i32,
            commit_offset,
            droped: self.is_dropped(),
            last_consume_timestamp: self.last_consume_ms.load(Ordering::Relaxed),
            last_lock_timestamp: self
                .last_lock
                .lock()
                .map_or(0, |t| now_ms() - t.elapsed().as_millis() as i64),
            last_pull_timestamp: self.last_pull_ms.load(Ordering::Relaxed),
            locked: self.is_locked(),
            transaction_msg_count: 0,
            transaction_msg_max_offset: 0,
            transaction_msg_min_offset: 0,
            try_unlock_times: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::message::RecordBuilder;

    fn msg(offset: i64, body_len: usize) -> MessageExt {
        let body = vec![b'x'; body_len];
        let rec = RecordBuilder::new("T", &body, "")
            .encode()
            .unwrap()
            .freeze();
        let mut m = MessageExt::decode(&rec).unwrap();
        m.queue_offset = offset;
        m
    }

    #[test]
    fn concurrent_offset_is_smallest_unconsumed() {
        let pq = ProcessQueue::new(MessageQueue::new("T", "b", 0), &CancellationToken::new());
        assert_eq!(pq.remove([1]), None);
        let added = pq.put((10..15).map(|o| msg(o, 10)).collect(), false);
        assert_eq!(added.len(), 5);
        assert_eq!(
            pq.put(vec![msg(12, 10)], false).len(),
            0,
            "duplicate ignored"
        );
        assert_eq!(
            pq.stats(),
            CacheStats {
                count: 5,
                bytes: 50,
                span: 4
            }
        );
        // Out-of-order completion: 12 and 13 first.
        assert_eq!(pq.remove([12, 13]), Some(10));
        assert_eq!(pq.remove([10]), Some(11));
        assert_eq!(pq.remove([11, 14]), Some(15));
        assert_eq!(pq.stats(), CacheStats::default());
    }

    #[test]
    fn orderly_take_commit_and_rollback() {
        let pq = ProcessQueue::new(MessageQueue::new("T", "b", 0), &CancellationToken::new());
        assert!(pq.put((0..5).map(|o| msg(o, 1)).collect(), true).is_empty());
        let batch = pq.take(2);
        assert_eq!(
            batch.iter().map(|m| m.queue_offset).collect::<Vec<_>>(),
            vec![0, 1]
        );
        assert_eq!(pq.stats().count, 5, "taken messages still count as cached");
        assert_eq!(pq.waiting(), 3);
        pq.make_consume_again(batch);
        assert_eq!(pq.waiting(), 5);
        let batch = pq.take(3);
        assert_eq!(batch[0].queue_offset, 0);
        assert_eq!(pq.commit(), Some(3));
        assert_eq!(pq.stats().count, 2);
        assert_eq!(pq.commit(), None);
        pq.clear();
        assert_eq!(pq.stats(), CacheStats::default());
    }

    #[test]
    fn drop_cancels_and_lock_expiry() {
        let parent = CancellationToken::new();
        let pq = ProcessQueue::new(MessageQueue::new("T", "b", 0), &parent);
        assert!(!pq.holds_lock());
        pq.set_locked(true);
        assert!(pq.holds_lock());
        pq.set_dropped();
        assert!(pq.is_dropped() && pq.cancel.is_cancelled());
        let pq2 = ProcessQueue::new(MessageQueue::new("T", "b", 1), &parent);
        parent.cancel();
        assert!(pq2.cancel.is_cancelled());
    }
}
