//! Ordered-consumption queue locks (LOCK_BATCH_MQ / UNLOCK_BATCH_MQ, remoting-protocol.md §7.7): a queue belongs to
//! one client of a group at a time, for 60 s after its last lock request (clients renew every 20 s). Locks are
//! also dropped when the connection that took them closes, so a crashed consumer's queues are free at once.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use ferrocket_protocol::body::MessageQueue;
use parking_lot::Mutex;

/// Apache's `rocketmq.broker.rebalance.lockMaxLiveTime` default.
pub const LOCK_MAX_LIVE_TIME: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
struct LockEntry {
    client_id: String,
    /// The connection that last locked it.
    conn_id: u64,
    last_update: Instant,
}

impl LockEntry {
    fn expired(&self, now: Instant, ttl: Duration) -> bool {
        now.saturating_duration_since(self.last_update) > ttl
    }
}

pub struct RebalanceLockManager {
    ttl: Duration,
    /// group → queue → holder.
    groups: Mutex<HashMap<String, HashMap<MessageQueue, LockEntry>>>,
}

impl Default for RebalanceLockManager {
    fn default() -> Self {
        Self::with_ttl(LOCK_MAX_LIVE_TIME)
    }
}

impl RebalanceLockManager {
    pub fn with_ttl(ttl: Duration) -> Self {
        Self {
            ttl,
            groups: Mutex::new(HashMap::new()),
        }
    }

    /// Locks (or renews) each queue for `client_id` unless another client holds a live lock on it. Returns the
    /// queues `client_id` now holds.
    pub fn try_lock_batch(
        &self,
        group: &str,
        mqs: &BTreeSet<MessageQueue>,
        client_id: &str,
        conn_id: u64,
    ) -> BTreeSet<MessageQueue> {
        self.try_lock_batch_at(group, mqs, client_id, conn_id, Instant::now())
    }

    fn try_lock_batch_at(
        &self,
        group: &str,
        mqs: &BTreeSet<MessageQueue>,
        client_id: &str,
        conn_id: u64,
        now: Instant,
    ) -> BTreeSet<MessageQueue> {
        let mut groups = self.groups.lock();
        let table = groups.entry(group.to_owned()).or_default();
        let mut locked = BTreeSet::new();
        for mq in mqs {
            match table.get_mut(mq) {
                Some(e) if e.client_id == client_id => {
                    e.last_update = now;
                    e.conn_id = conn_id;
                }
                Some(e) if !e.expired(now, self.ttl) => {
                    tracing::debug!(
                        group,
                        queue = ?mq,
                        holder = %e.client_id,
                        requester = client_id,
                        "queue locked by another client"
                    );
                    continue;
                }
                Some(e) => {
                    tracing::info!(
                        group,
                        queue = ?mq,
                        old = %e.client_id,
                        new = client_id,
                        "expired queue lock taken over"
                    );
                    *e = LockEntry {
                        client_id: client_id.to_owned(),
                        conn_id,
                        last_update: now,
                    };
                }
                None => {
                    table.insert(
                        mq.clone(),
                        LockEntry {
                            client_id: client_id.to_owned(),
                            conn_id,
                            last_update: now,
                        },
                    );
                }
            }
            locked.insert(mq.clone());
        }
        locked
    }

    /// Releases the queues `client_id` holds among `mqs`.
    pub fn unlock_batch(&self, group: &str, mqs: &BTreeSet<MessageQueue>, client_id: &str) {
        let mut groups = self.groups.lock();
        if let Some(table) = groups.get_mut(group) {
            for mq in mqs {
                if table.get(mq).is_some_and(|e| e.client_id == client_id) {
                    table.remove(mq);
                }
            }
            if table.is_empty() {
                groups.remove(group);
            }
        }
    }

    /// Whether `client_id` holds a live lock on `mq`.
    pub fn is_locked(&self, group: &str, mq: &MessageQueue, client_id: &str) -> bool {
        let now = Instant::now();
        self.groups
            .lock()
            .get(group)
            .and_then(|t| t.get(mq))
            .is_some_and(|e| e.client_id == client_id && !e.expired(now, self.ttl))
    }

    /// Whether any client of `group` holds a live lock (the group consumes orderly; §7.1's DLQ rule).
    pub fn has_live_lock(&self, group: &str) -> bool {
        let now = Instant::now();
        self.groups
            .lock()
            .get(group)
            .is_some_and(|t| t.values().any(|e| !e.expired(now, self.ttl)))
    }

    /// Drops every lock taken over connection `conn_id` (it closed). Returns how many.
    pub fn connection_closed(&self, conn_id: u64) -> usize {
        let mut groups = self.groups.lock();
        let mut n = 0;
        for table in groups.values_mut() {
            table.retain(|_, e| {
                let keep = e.conn_id != conn_id;
                n += usize::from(!keep);
                keep
            });
        }
        groups.retain(|_, t| !t.is_empty());
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mqs(ids: &[i32]) -> BTreeSet<MessageQueue> {
        ids.iter()
            .map(|i| MessageQueue::new("T", "b", *i))
            .collect()
    }

    #[test]
    fn one_owner_per_queue_until_expiry() {
        let m = RebalanceLockManager::with_ttl(Duration::from_secs(60));
        let t0 = Instant::now();
        assert_eq!(
            m.try_lock_batch_at("G", &mqs(&[0, 1]), "A", 1, t0),
            mqs(&[0, 1])
        );
        // B gets only the free queue.
        assert_eq!(
            m.try_lock_batch_at("G", &mqs(&[1, 2]), "B", 2, t0),
            mqs(&[2])
        );
        // Another group is independent.
        assert_eq!(m.try_lock_batch_at("H", &mqs(&[1]), "B", 2, t0), mqs(&[1]));
        // A renews.
        let later = t0 + Duration::from_secs(50);
        assert_eq!(
            m.try_lock_batch_at("G", &mqs(&[0]), "A", 1, later),
            mqs(&[0])
        );
        // After 61 s queue 1 (not renewed) is free for B; queue 0 (renewed at 50 s) is not.
        let t61 = t0 + Duration::from_secs(61);
        assert_eq!(
            m.try_lock_batch_at("G", &mqs(&[0, 1]), "B", 2, t61),
            mqs(&[1])
        );
        assert!(m.has_live_lock("G"));
        assert!(!m.has_live_lock("X"));
    }

    #[test]
    fn unlock_and_close() {
        let m = RebalanceLockManager::default();
        m.try_lock_batch("G", &mqs(&[0, 1]), "A", 1);
        m.try_lock_batch("G", &mqs(&[2]), "B", 2);
        // B cannot unlock A's queue.
        m.unlock_batch("G", &mqs(&[0]), "B");
        assert!(m.is_locked("G", &MessageQueue::new("T", "b", 0), "A"));
        m.unlock_batch("G", &mqs(&[0]), "A");
        assert!(!m.is_locked("G", &MessageQueue::new("T", "b", 0), "A"));
        assert_eq!(m.connection_closed(1), 1);
        assert!(!m.is_locked("G", &MessageQueue::new("T", "b", 1), "A"));
        assert!(m.is_locked("G", &MessageQueue::new("T", "b", 2), "B"));
        assert_eq!(m.connection_closed(2), 1);
        assert!(!m.has_live_lock("G"));
    }
}
