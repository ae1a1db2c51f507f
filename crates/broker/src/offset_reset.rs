//! Server-side offset resets (`useServerSideResetOffset=true`, remoting-protocol.md §7.7): INVOKE_BROKER_TO_RESET_OFFSET
//! records a new offset per (group, topic, queue); the group's next pull of that queue answers PULL_OFFSET_MOVED
//! with it, and the reset is consumed.

use std::collections::HashMap;

use parking_lot::Mutex;

#[derive(Default)]
pub struct OffsetResetTable {
    /// (group, topic) → queue → offset.
    pending: Mutex<HashMap<(String, String), HashMap<i32, i64>>>,
}

impl OffsetResetTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records (or replaces) a pending reset.
    pub fn assign(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.pending
            .lock()
            .entry((group.to_owned(), topic.to_owned()))
            .or_default()
            .insert(queue_id, offset);
    }

    /// The pending reset of a queue, removed.
    pub fn take(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        let mut pending = self.pending.lock();
        if pending.is_empty() {
            return None;
        }
        let key = (group.to_owned(), topic.to_owned());
        let queues = pending.get_mut(&key)?;
        let offset = queues.remove(&queue_id);
        if queues.is_empty() {
            pending.remove(&key);
        }
        offset
    }

    /// Whether a reset of the queue is pending (without consuming it).
    pub fn is_pending(&self, group: &str, topic: &str, queue_id: i32) -> bool {
        self.pending
            .lock()
            .get(&(group.to_owned(), topic.to_owned()))
            .is_some_and(|q| q.contains_key(&queue_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reset_is_consumed_once() {
        let t = OffsetResetTable::new();
        assert_eq!(t.take("G", "T", 0), None);
        t.assign("G", "T", 0, 5);
        t.assign("G", "T", 1, 7);
        t.assign("G", "T", 0, 6);
        assert!(t.is_pending("G", "T", 0));
        assert!(!t.is_pending("H", "T", 0));
        assert_eq!(t.take("G", "T", 0), Some(6), "the latest reset wins");
        assert_eq!(t.take("G", "T", 0), None);
        assert_eq!(t.take("G", "U", 1), None);
        assert_eq!(t.take("G", "T", 1), Some(7));
    }
}
