//! Consumer offsets per group/topic/queue (`config/consumerOffset.json`). OWNER: broker-management helper.
//! Minimal in-memory scaffold; to be completed (persistence every flushConsumerOffsetInterval and on shutdown).

use std::collections::HashMap;

use parking_lot::RwLock;

#[derive(Default)]
pub struct ConsumerOffsetManager {
    table: RwLock<HashMap<String, HashMap<i32, i64>>>,
}

impl ConsumerOffsetManager {
    pub fn commit(&self, group: &str, topic: &str, queue_id: i32, offset: i64) {
        self.table
            .write()
            .entry(format!("{topic}@{group}"))
            .or_default()
            .insert(queue_id, offset);
    }

    pub fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.table
            .read()
            .get(&format!("{topic}@{group}"))
            .and_then(|m| m.get(&queue_id))
            .copied()
    }
}
