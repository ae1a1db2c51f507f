//! The in-memory index of pending timer messages and the rules that make it survive a restart.
//!
//! Timer messages are parked, durably, in the commit log under the timer topic (queue 0). The index holds one
//! compact entry per pending message, `(due_ms, queue offset)` (16 bytes), in a min-heap, so the earliest is always
//! at hand. Delivery goes in key order (due time, then queue offset), which gives a simple progress record:
//!
//! - `watermark`: the greatest key delivered; every key at or below it has been delivered;
//! - `scan_from`: the lowest queue offset still pending (everything below it is delivered);
//! - `ingested_up_to`: the queue offset up to which the timer queue had been read into the index.
//!
//! After a restart the queue is read again from `scan_from`; an entry below the saved `ingested_up_to` whose key is
//! at or below the saved watermark was delivered, anything else goes back into the heap. Entries read after the
//! save are never skipped, so a stale checkpoint (crash) can repeat deliveries but never lose one. A message that
//! reaches the index after messages due later than it were delivered (it was due almost at once and its dispatch
//! lagged) is at or below the watermark; it is delivered in the same pass, before any checkpoint is taken, and a
//! checkpoint taken while one waits for a retry lowers the watermark below it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

/// Heap key: due time first, then the queue offset (unique per message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerKey {
    pub due_ms: i64,
    pub queue_offset: i64,
}

impl TimerKey {
    /// Below every real key.
    pub const MIN: TimerKey = TimerKey {
        due_ms: i64::MIN,
        queue_offset: i64::MIN,
    };

    /// The greatest key strictly below `self`.
    fn predecessor(self) -> TimerKey {
        if self.queue_offset > i64::MIN {
            TimerKey {
                due_ms: self.due_ms,
                queue_offset: self.queue_offset - 1,
            }
        } else {
            TimerKey {
                due_ms: self.due_ms.saturating_sub(1),
                queue_offset: i64::MAX,
            }
        }
    }
}

/// What is persisted (`config/timerProgress.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimerCheckpoint {
    pub scan_from: i64,
    pub ingested_up_to: i64,
    pub delivered_due_ms: i64,
    pub delivered_queue_offset: i64,
}

impl Default for TimerCheckpoint {
    fn default() -> Self {
        TimerCheckpoint {
            scan_from: 0,
            ingested_up_to: 0,
            delivered_due_ms: TimerKey::MIN.due_ms,
            delivered_queue_offset: TimerKey::MIN.queue_offset,
        }
    }
}

impl TimerCheckpoint {
    fn watermark(&self) -> TimerKey {
        TimerKey {
            due_ms: self.delivered_due_ms,
            queue_offset: self.delivered_queue_offset,
        }
    }
}

pub struct TimerIndex {
    heap: BinaryHeap<Reverse<TimerKey>>,
    watermark: TimerKey,
    ingested_up_to: i64,
    /// The checkpoint loaded at start: decides which re-read entries were already delivered.
    restored: TimerCheckpoint,
}

impl TimerIndex {
    pub fn new(restored: TimerCheckpoint) -> Self {
        TimerIndex {
            heap: BinaryHeap::new(),
            watermark: restored.watermark(),
            ingested_up_to: restored.scan_from.max(0),
            restored,
        }
    }

    /// Next queue offset to read into the index.
    pub fn ingested_up_to(&self) -> i64 {
        self.ingested_up_to
    }

    /// Moves the read position forward (entries skipped over were lost to retention or never existed).
    pub fn skip_to(&mut self, queue_offset: i64) {
        self.ingested_up_to = self.ingested_up_to.max(queue_offset);
    }

    /// Adds the entry at `queue_offset` due at `due_ms`, unless the restored checkpoint says it was delivered.
    /// Returns whether it was added.
    pub fn ingest(&mut self, queue_offset: i64, due_ms: i64) -> bool {
        self.skip_to(queue_offset + 1);
        let key = TimerKey {
            due_ms,
            queue_offset,
        };
        if queue_offset < self.restored.ingested_up_to && key <= self.restored.watermark() {
            return false;
        }
        self.heap.push(Reverse(key));
        true
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Due time of the earliest pending entry.
    pub fn next_due(&self) -> Option<i64> {
        self.heap.peek().map(|Reverse(k)| k.due_ms)
    }

    /// Takes the earliest entry if it is due at `now_ms`. The caller must then call [`Self::delivered`] or
    /// [`Self::retry_later`] with it.
    pub fn pop_due(&mut self, now_ms: i64) -> Option<TimerKey> {
        match self.heap.peek() {
            Some(Reverse(k)) if k.due_ms <= now_ms => self.heap.pop().map(|Reverse(k)| k),
            _ => None,
        }
    }

    pub fn delivered(&mut self, key: TimerKey) {
        self.watermark = self.watermark.max(key);
    }

    /// Puts back an entry whose delivery failed for now.
    pub fn retry_later(&mut self, key: TimerKey) {
        self.heap.push(Reverse(key));
    }

    /// The progress to persist. O(pending) (one pass for the lowest pending offset).
    pub fn checkpoint(&self) -> TimerCheckpoint {
        let mut watermark = self.watermark;
        if let Some(Reverse(top)) = self.heap.peek() {
            // A pending entry at or below the watermark (waiting for a retry) must not read as delivered.
            if *top <= watermark {
                watermark = top.predecessor();
            }
        }
        let scan_from = self
            .heap
            .iter()
            .map(|Reverse(k)| k.queue_offset)
            .min()
            .unwrap_or(self.ingested_up_to)
            .min(self.ingested_up_to);
        TimerCheckpoint {
            scan_from,
            ingested_up_to: self.ingested_up_to,
            delivered_due_ms: watermark.due_ms,
            delivered_queue_offset: watermark.queue_offset,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Delivers everything due at `now`; returns the offsets delivered.
    fn run_due(ix: &mut TimerIndex, now: i64) -> Vec<i64> {
        let mut out = Vec::new();
        while let Some(k) = ix.pop_due(now) {
            ix.delivered(k);
            out.push(k.queue_offset);
        }
        out
    }

    #[test]
    fn delivers_in_due_order_never_before_due() {
        let mut ix = TimerIndex::new(TimerCheckpoint::default());
        for (off, due) in [(0, 500), (1, 100), (2, 300), (3, 100)] {
            assert!(ix.ingest(off, due));
        }
        assert_eq!(ix.next_due(), Some(100));
        assert_eq!(run_due(&mut ix, 99), Vec::<i64>::new());
        assert_eq!(run_due(&mut ix, 100), vec![1, 3]);
        assert_eq!(run_due(&mut ix, 499), vec![2]);
        assert_eq!(run_due(&mut ix, 1000), vec![0]);
        assert!(ix.is_empty());
        assert_eq!(ix.ingested_up_to(), 4);
    }

    /// Simulates: ingest some, deliver some, checkpoint, "crash" (or stop), re-read from scan_from.
    fn restart(ix: &TimerIndex, log: &[(i64, i64)]) -> (TimerIndex, Vec<i64>) {
        let cp = ix.checkpoint();
        let mut again = TimerIndex::new(cp);
        let mut kept = Vec::new();
        for &(off, due) in log.iter().filter(|(o, _)| *o >= cp.scan_from) {
            if again.ingest(off, due) {
                kept.push(off);
            }
        }
        (again, kept)
    }

    #[test]
    fn restart_keeps_exactly_the_undelivered() {
        // Offsets 0..6 with dues; the long one (offset 0) keeps scan_from at 0.
        let log = [
            (0, 10_000),
            (1, 100),
            (2, 200),
            (3, 300),
            (4, 150),
            (5, 400),
        ];
        let mut ix = TimerIndex::new(TimerCheckpoint::default());
        for &(o, d) in &log[..5] {
            ix.ingest(o, d);
        }
        assert_eq!(run_due(&mut ix, 200), vec![1, 4, 2]);
        // Offset 5 was appended but not yet read into the index when the checkpoint was taken.
        let (mut again, kept) = restart(&ix, &log);
        assert_eq!(kept, vec![0, 3, 5]);
        assert_eq!(run_due(&mut again, 20_000), vec![3, 5, 0]);
    }

    #[test]
    fn stale_checkpoint_repeats_but_never_loses() {
        let log: Vec<(i64, i64)> = (0..50).map(|o| (o, 1000 + (o * 37) % 23)).collect();
        let mut ix = TimerIndex::new(TimerCheckpoint::default());
        for &(o, d) in &log[..30] {
            ix.ingest(o, d);
        }
        run_due(&mut ix, 1010);
        let stale = ix.checkpoint();
        for &(o, d) in &log[30..] {
            ix.ingest(o, d);
        }
        let delivered_after: BTreeSet<i64> = run_due(&mut ix, 1015).into_iter().collect();
        // Crash: restart from the stale checkpoint.
        let mut again = TimerIndex::new(stale);
        let mut kept = BTreeSet::new();
        for &(o, d) in log.iter().filter(|(o, _)| *o >= stale.scan_from) {
            if again.ingest(o, d) {
                kept.insert(o);
            }
        }
        let still_pending: BTreeSet<i64> =
            ix.heap.iter().map(|Reverse(k)| k.queue_offset).collect();
        assert!(still_pending.is_subset(&kept), "nothing pending is lost");
        assert!(
            kept.is_subset(&still_pending.union(&delivered_after).copied().collect()),
            "only what was delivered after the checkpoint repeats"
        );
    }

    #[test]
    fn late_entry_below_the_watermark_is_delivered_and_not_lost_while_retrying() {
        let mut ix = TimerIndex::new(TimerCheckpoint::default());
        ix.ingest(0, 500);
        assert_eq!(run_due(&mut ix, 600), vec![0]);
        // Offset 1 was due at 450 but reached the index after offset 0 (due 500) went out.
        ix.ingest(1, 450);
        let k = ix.pop_due(600).unwrap();
        assert_eq!(k.queue_offset, 1);
        ix.retry_later(k); // the store refused
        let cp = ix.checkpoint();
        assert_eq!(cp.scan_from, 1);
        let (mut again, kept) = restart(&ix, &[(0, 500), (1, 450)]);
        assert_eq!(kept, vec![1], "the retried entry survives a restart");
        assert_eq!(run_due(&mut again, 600), vec![1]);
        // Once delivered, a checkpoint covers it.
        let k = ix.pop_due(600).unwrap();
        ix.delivered(k);
        let (_, kept) = restart(&ix, &[(0, 500), (1, 450)]);
        assert!(kept.is_empty());
    }

    #[test]
    fn checkpoint_round_trips_as_json() {
        let cp = TimerCheckpoint {
            scan_from: 3,
            ingested_up_to: 9,
            delivered_due_ms: 1_700_000_000_000,
            delivered_queue_offset: 4,
        };
        let text = serde_json::to_string(&cp).unwrap();
        assert!(text.contains("\"scanFrom\":3"), "{text}");
        assert_eq!(serde_json::from_str::<TimerCheckpoint>(&text).unwrap(), cp);
        let fresh = TimerIndex::new(TimerCheckpoint::default()).checkpoint();
        assert_eq!(fresh, TimerCheckpoint::default());
    }

    #[test]
    fn entry_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Reverse<TimerKey>>(), 16);
    }
}
