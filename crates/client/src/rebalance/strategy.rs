//! Queue allocation strategies for clustering consumers (broker-config.md §5.4).
//!
//! Every strategy sees the same inputs on every member of a group — queues sorted by (topic, brokerName, queueId),
//! consumer ids sorted — so each member computes its own share and the shares never overlap.

use std::collections::BTreeMap;
use std::fmt;

use ferrocket_protocol::body::MessageQueue;

use super::md5;

/// Splits a topic's queues among the consumers of a group.
pub trait AllocateStrategy: Send + Sync + fmt::Debug + 'static {
    /// Short name (`AVG`, `AVG_BY_CIRCLE`, `CONSISTENT_HASH`, ...).
    fn name(&self) -> &str;

    /// The queues `current` owns. `queues` and `consumers` are sorted; `current` is one of `consumers`.
    fn allocate(
        &self,
        group: &str,
        current: &str,
        queues: &[MessageQueue],
        consumers: &[String],
    ) -> Vec<MessageQueue>;
}

fn index_of(current: &str, consumers: &[String]) -> Option<usize> {
    consumers.iter().position(|c| c == current)
}

/// Contiguous blocks: each consumer gets ⌊m/n⌋ queues and the first `m mod n` one more.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllocateAveragely;

impl AllocateStrategy for AllocateAveragely {
    fn name(&self) -> &str {
        "AVG"
    }

    fn allocate(
        &self,
        _group: &str,
        current: &str,
        queues: &[MessageQueue],
        consumers: &[String],
    ) -> Vec<MessageQueue> {
        let Some(i) = index_of(current, consumers) else {
            return Vec::new();
        };
        let (m, n) = (queues.len(), consumers.len());
        let (base, extra) = (m / n, m % n);
        let (start, len) = if i < extra {
            (i * (base + 1), base + 1)
        } else {
            (i * base + extra, base)
        };
        queues[start.min(m)..(start + len).min(m)].to_vec()
    }
}

/// Round robin: queue k goes to consumer k mod n.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllocateAveragelyByCircle;

impl AllocateStrategy for AllocateAveragelyByCircle {
    fn name(&self) -> &str {
        "AVG_BY_CIRCLE"
    }

    fn allocate(
        &self,
        _group: &str,
        current: &str,
        queues: &[MessageQueue],
        consumers: &[String],
    ) -> Vec<MessageQueue> {
        let Some(i) = index_of(current, consumers) else {
            return Vec::new();
        };
        queues
            .iter()
            .skip(i)
            .step_by(consumers.len())
            .cloned()
            .collect()
    }
}

/// Hash ring with `virtual_nodes` points per consumer (key `<clientId>-<i>`); a queue (key = its `MessageQueue
/// [topic=.., brokerName=.., queueId=..]` text) belongs to the first point at or after its hash, wrapping around.
/// Hash = the first 4 bytes of MD5, big-endian, unsigned.
#[derive(Debug, Clone, Copy)]
pub struct AllocateConsistentHash {
    pub virtual_nodes: usize,
}

impl Default for AllocateConsistentHash {
    fn default() -> Self {
        AllocateConsistentHash { virtual_nodes: 10 }
    }
}

/// The ring hash of a key.
pub fn ring_hash(key: &str) -> u32 {
    let d = md5::digest(key.as_bytes());
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

impl AllocateConsistentHash {
    fn ring<'a>(&self, consumers: &'a [String]) -> BTreeMap<u32, &'a str> {
        let mut ring = BTreeMap::new();
        for c in consumers {
            for i in 0..self.virtual_nodes {
                // A later node with an equal hash replaces the earlier one, as a sorted map put does.
                ring.insert(ring_hash(&format!("{c}-{i}")), c.as_str());
            }
        }
        ring
    }

    /// The consumer that owns `queue` on the ring of `consumers`.
    pub fn owner<'a>(&self, queue: &MessageQueue, consumers: &'a [String]) -> Option<&'a str> {
        Self::route(&self.ring(consumers), queue)
    }

    fn route<'a>(ring: &BTreeMap<u32, &'a str>, queue: &MessageQueue) -> Option<&'a str> {
        let h = ring_hash(&queue.to_string());
        ring.range(h..)
            .next()
            .or_else(|| ring.iter().next())
            .map(|(_, c)| *c)
    }
}

impl AllocateStrategy for AllocateConsistentHash {
    fn name(&self) -> &str {
        "CONSISTENT_HASH"
    }

    fn allocate(
        &self,
        _group: &str,
        current: &str,
        queues: &[MessageQueue],
        consumers: &[String],
    ) -> Vec<MessageQueue> {
        if index_of(current, consumers).is_none() || self.virtual_nodes == 0 {
            return Vec::new();
        }
        let ring = self.ring(consumers);
        queues
            .iter()
            .filter(|q| Self::route(&ring, q) == Some(current))
            .cloned()
            .collect()
    }
}

/// A fixed, user-configured queue list (`CONFIG`).
#[derive(Debug, Clone, Default)]
pub struct AllocateByConfig {
    pub queues: Vec<MessageQueue>,
}

impl AllocateStrategy for AllocateByConfig {
    fn name(&self) -> &str {
        "CONFIG"
    }

    fn allocate(
        &self,
        _group: &str,
        _current: &str,
        _queues: &[MessageQueue],
        _consumers: &[String],
    ) -> Vec<MessageQueue> {
        self.queues.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn queues(n: i32) -> Vec<MessageQueue> {
        (0..n)
            .map(|i| MessageQueue::new("T", "broker-a", i))
            .collect()
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("10.0.0.{i}@c")).collect()
    }

    fn queue_ids(v: &[MessageQueue]) -> Vec<i32> {
        v.iter().map(|q| q.queue_id).collect()
    }

    /// Every queue goes to exactly one consumer.
    fn assert_partition(s: &dyn AllocateStrategy, m: i32, n: usize) {
        let (qs, cs) = (queues(m), ids(n));
        let mut seen = BTreeSet::new();
        let mut total = 0;
        for c in &cs {
            let got = s.allocate("G", c, &qs, &cs);
            total += got.len();
            seen.extend(got);
        }
        assert_eq!(total, m as usize, "{} m={m} n={n}", s.name());
        assert_eq!(seen.len(), m as usize);
    }

    #[test]
    fn averagely_contiguous_blocks() {
        let s = AllocateAveragely;
        let (qs, cs) = (queues(8), ids(3));
        assert_eq!(queue_ids(&s.allocate("G", &cs[0], &qs, &cs)), vec![0, 1, 2]);
        assert_eq!(queue_ids(&s.allocate("G", &cs[1], &qs, &cs)), vec![3, 4, 5]);
        assert_eq!(queue_ids(&s.allocate("G", &cs[2], &qs, &cs)), vec![6, 7]);
        let cs2 = ids(2);
        assert_eq!(
            queue_ids(&s.allocate("G", &cs2[1], &qs, &cs2)),
            vec![4, 5, 6, 7]
        );
        // Fewer queues than consumers: one each for the first m.
        let (q2, c5) = (queues(2), ids(5));
        assert_eq!(queue_ids(&s.allocate("G", &c5[1], &q2, &c5)), vec![1]);
        assert!(s.allocate("G", &c5[4], &q2, &c5).is_empty());
        assert!(s.allocate("G", "stranger", &q2, &c5).is_empty());
        for (m, n) in [(8, 1), (8, 3), (7, 7), (3, 8), (16, 5), (1, 1)] {
            assert_partition(&s, m, n);
        }
    }

    #[test]
    fn by_circle_round_robin() {
        let s = AllocateAveragelyByCircle;
        let (qs, cs) = (queues(8), ids(3));
        assert_eq!(queue_ids(&s.allocate("G", &cs[0], &qs, &cs)), vec![0, 3, 6]);
        assert_eq!(queue_ids(&s.allocate("G", &cs[1], &qs, &cs)), vec![1, 4, 7]);
        assert_eq!(queue_ids(&s.allocate("G", &cs[2], &qs, &cs)), vec![2, 5]);
        for (m, n) in [(8, 1), (8, 3), (3, 8), (16, 5)] {
            assert_partition(&s, m, n);
        }
    }

    #[test]
    fn consistent_hash_is_a_partition() {
        let s = AllocateConsistentHash::default();
        for (m, n) in [(8, 1), (8, 2), (8, 3), (16, 5), (3, 8)] {
            assert_partition(&s, m, n);
        }
    }

    #[test]
    fn consistent_hash_ring_hash_is_md5_prefix() {
        // md5("c1-0") = e7a7eb0bf5cc5f18c175662f2d30a65e (computed independently with Python's hashlib).
        assert_eq!(ring_hash("c1-0"), 0xe7a7_eb0b);
    }

    /// Owners computed independently (Python hashlib + bisect over the spec's rule) for queues 0..8 of
    /// TopicTest on broker-a.
    #[test]
    fn consistent_hash_known_vectors() {
        let s = AllocateConsistentHash::default();
        let qs: Vec<MessageQueue> = (0..8)
            .map(|i| MessageQueue::new("TopicTest", "broker-a", i))
            .collect();
        for (consumers, owners) in [
            (
                vec!["127.0.0.1@c1", "127.0.0.1@c2", "127.0.0.1@c3"],
                [2, 0, 2, 0, 1, 2, 2, 2],
            ),
            (vec!["10.0.0.5@a", "10.0.0.6@b"], [0, 0, 1, 1, 0, 0, 0, 0]),
        ] {
            let cs: Vec<String> = consumers.iter().map(|c| c.to_string()).collect();
            for (q, &owner) in qs.iter().zip(owners.iter()) {
                assert_eq!(s.owner(q, &cs), Some(cs[owner].as_str()), "{q}");
            }
            for (i, c) in cs.iter().enumerate() {
                let want: Vec<i32> = (0..8).filter(|&q| owners[q as usize] == i).collect();
                assert_eq!(queue_ids(&s.allocate("G", c, &qs, &cs)), want);
            }
        }
    }
}
