//! Choosing a queue for a message yourself: for ordered messages, all messages of one sharding key go to one
//! queue.

use ferrocket_protocol::body::MessageQueue;
use ferrocket_protocol::message::java_string_hash;

use crate::message::Message;

/// Picks the index of the queue a message goes to.
pub trait QueueSelector: Send + Sync {
    /// An index into `queues` (taken modulo its length); `queues` is never empty.
    fn select(&self, queues: &[MessageQueue], msg: &Message) -> usize;
}

impl<F> QueueSelector for F
where
    F: Fn(&[MessageQueue], &Message) -> usize + Send + Sync,
{
    fn select(&self, queues: &[MessageQueue], msg: &Message) -> usize {
        self(queues, msg)
    }
}

/// `|hash(key)| mod n`, with Java's `String.hashCode`, so a Rust and a Java producer hashing the same key
/// pick the same queue.
#[derive(Debug, Clone)]
pub struct SelectByHash {
    pub key: String,
}

impl SelectByHash {
    pub fn new(key: impl Into<String>) -> Self {
        SelectByHash { key: key.into() }
    }

    /// The index for `key` among `n` queues.
    pub fn index(key: &str, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        let n = i64::try_from(n).unwrap_or(i64::MAX);
        (i64::from(java_string_hash(key)) % n).unsigned_abs() as usize
    }
}

impl QueueSelector for SelectByHash {
    fn select(&self, queues: &[MessageQueue], _msg: &Message) -> usize {
        Self::index(&self.key, queues.len())
    }
}

/// A uniformly random queue.
#[derive(Debug, Clone, Copy, Default)]
pub struct SelectRandom;

impl QueueSelector for SelectRandom {
    fn select(&self, queues: &[MessageQueue], _msg: &Message) -> usize {
        rand::random::<usize>() % queues.len().max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qs(n: i32) -> Vec<MessageQueue> {
        (0..n).map(|i| MessageQueue::new("T", "b", i)).collect()
    }

    #[test]
    fn hash_matches_java_modulo() {
        // "order-1".hashCode() = -1207111310 in Java (checked independently); % 8 = -6 → 6.
        assert_eq!(java_string_hash("order-1"), -1_207_111_310);
        assert_eq!(SelectByHash::index("order-1", 8), 6);
        // "a".hashCode() = 97; % 8 = 1.
        assert_eq!(
            SelectByHash::new("a").select(&qs(8), &Message::default()),
            1
        );
        // Same key, same queue; different keys spread.
        let picks: std::collections::BTreeSet<_> = (0..100)
            .map(|i| SelectByHash::index(&format!("key-{i}"), 8))
            .collect();
        assert_eq!(picks.len(), 8);
        assert_eq!(SelectByHash::index("x", 0), 0);
    }

    #[test]
    fn closures_and_random() {
        let last = |queues: &[MessageQueue], _: &Message| queues.len() - 1;
        assert_eq!(last.select(&qs(3), &Message::default()), 2);
        for _ in 0..20 {
            assert!(SelectRandom.select(&qs(3), &Message::default()) < 3);
        }
    }
}
