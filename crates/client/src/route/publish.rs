//! The queues a producer sends a topic to, and round-robin selection among them.

use std::sync::atomic::{AtomicUsize, Ordering};

use ferrocket_protocol::body::MessageQueue;

/// Writable queues of a topic with a shared round-robin position.
#[derive(Debug)]
pub struct TopicPublishInfo {
    pub queues: Vec<MessageQueue>,
    /// The name server has an `orderTopicConf` for the topic.
    pub order_topic: bool,
    next: AtomicUsize,
}

impl TopicPublishInfo {
    pub fn new(queues: Vec<MessageQueue>, order_topic: bool) -> Self {
        // Start at a random place so that many short-lived producers don't all hit queue 0 first.
        let start = if queues.is_empty() {
            0
        } else {
            rand::random::<usize>() % queues.len()
        };
        TopicPublishInfo {
            queues,
            order_topic,
            next: AtomicUsize::new(start),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    /// The next queue in round-robin order. Prefers, in turn: a queue on a broker other than `avoid` (the broker
    /// the previous attempt failed on) that `available` accepts; any queue not on `avoid`; any queue.
    pub fn select(
        &self,
        avoid: Option<&str>,
        available: impl Fn(&str) -> bool,
    ) -> Option<&MessageQueue> {
        let n = self.queues.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let at = |i: usize| &self.queues[(start.wrapping_add(i)) % n];
        let not_avoided = |q: &MessageQueue| avoid != Some(q.broker_name.as_str());
        (0..n)
            .map(at)
            .find(|q| not_avoided(q) && available(&q.broker_name))
            .or_else(|| (0..n).map(at).find(|q| not_avoided(q)))
            .or_else(|| Some(at(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info() -> TopicPublishInfo {
        let mut qs = Vec::new();
        for b in ["a", "b"] {
            for i in 0..2 {
                qs.push(MessageQueue::new("T", b, i));
            }
        }
        TopicPublishInfo::new(qs, false)
    }

    #[test]
    fn round_robin_visits_every_queue() {
        let p = info();
        let mut seen: Vec<_> = (0..4)
            .map(|_| p.select(None, |_| true).unwrap().clone())
            .collect();
        seen.sort();
        assert_eq!(seen, p.queues);
    }

    #[test]
    fn avoids_last_failed_broker() {
        let p = info();
        for _ in 0..8 {
            assert_eq!(p.select(Some("a"), |_| true).unwrap().broker_name, "b");
        }
    }

    #[test]
    fn skips_unavailable_brokers_but_never_returns_nothing() {
        let p = info();
        for _ in 0..8 {
            assert_eq!(p.select(None, |b| b != "b").unwrap().broker_name, "a");
        }
        // Only broker a is left and it is the one to avoid: still better than nothing? No — b is not avoided.
        for _ in 0..8 {
            assert_eq!(p.select(Some("a"), |b| b != "b").unwrap().broker_name, "b");
        }
        // Everything unavailable and avoided: any queue.
        let single = TopicPublishInfo::new(vec![MessageQueue::new("T", "a", 0)], false);
        assert!(single.select(Some("a"), |_| false).is_some());
        assert!(TopicPublishInfo::new(vec![], false)
            .select(None, |_| true)
            .is_none());
    }
}
