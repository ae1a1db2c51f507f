//! The in-memory index of pending timer messages and the rules that make it survive a restart.
//!
//! Timer messages are parked, durably, in the commit log under the timer topic (queue 0). The index holds one
//! compact entry per pending message, `(wake_ms, queue offset)` (16 bytes), in a min-heap, so the earliest is
//! always at hand. `wake_ms` is the due time, or, for a timer due more than the roll interval after its record was
//! stored, the end of that interval: the task then re-parks it (a fresh copy, which gets its own entry) so that
//! retention never deletes a parked timer before it is due. Entries are handled in key order (wake time, then
//! queue offset), which gives a simple progress record:
//!
//! - `watermark`: the greatest key handled (delivered or re-parked); every key at or below it has been handled;
//! - `scan_from`: the lowest queue offset still pending (everything below it is handled);
//! - `ingested_up_to`: the queue offset up to which the timer queue had been read into the index;
//! - `roll_interval_ms`: the interval the keys were computed with.
//!
//! After a restart the queue is read again from `scan_from`; an entry below the saved `ingested_up_to` whose key
//! (computed with the saved interval) is at or below the saved watermark was handled, anything else goes back into
//! the heap. Entries read after the save are never skipped, so a stale checkpoint (crash) can repeat deliveries but
//! never lose one. A message that reaches the index after messages due later than it were handled (it was due
//! almost at once and its dispatch lagged) is at or below the watermark; it is due, so it is handled in the next
//! pass, and a checkpoint taken while it waits lowers the watermark below it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

/// Heap key: wake time first, then the queue offset (unique per message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerKey {
    pub wake_ms: i64,
    pub queue_offset: i64,
}

impl TimerKey {
    /// Below every real key.
    pub const MIN: TimerKey = TimerKey {
        wake_ms: i64::MIN,
        queue_offset: i64::MIN,
    };

    /// The key of a timer due at `due_ms` whose record was stored at `stored_ms`.
    pub fn of(queue_offset: i64, due_ms: i64, stored_ms: i64, roll_interval_ms: i64) -> TimerKey {
        TimerKey {
            wake_ms: due_ms.min(stored_ms.saturating_add(roll_interval_ms)),
            queue_offset,
        }
    }

    /// The greatest key strictly below `self`.
    fn predecessor(self) -> TimerKey {
        if self.queue_offset > i64::MIN {
            TimerKey {
                wake_ms: self.wake_ms,
                queue_offset: self.queue_offset - 1,
            }
        } else {
            TimerKey {
                wake_ms: self.wake_ms.saturating_sub(1),
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
    pub handled_wake_ms: i64,
    pub handled_queue_offset: i64,
    #[serde(default = "default_roll_interval")]
    pub roll_interval_ms: i64,
}

fn default_roll_interval() -> i64 {
    super::timer_config::DEFAULT_TIMER_ROLL_INTERVAL_MS as i64
}

impl Default for TimerCheckpoint {
    fn default() -> Self {
        TimerCheckpoint {
            scan_from: 0,
            ingested_up_to: 0,
            handled_wake_ms: TimerKey::MIN.wake_ms,
            handled_queue_offset: TimerKey::MIN.queue_offset,
            roll_interval_ms: default_roll_interval(),
        }
    }
}

impl TimerCheckpoint {
    fn watermark(&self) -> TimerKey {
        TimerKey {
            wake_ms: self.handled_wake_ms,
            queue_offset: self.handled_queue_offset,
        }
    }
}

pub struct TimerIndex {
    heap: BinaryHeap<Reverse<TimerKey>>,
    watermark: TimerKey,
    ingested_up_to: i64,
    roll_interval_ms: i64,
    /// The checkpoint loaded at start: decides which re-read entries were already handled.
    restored: TimerCheckpoint,
}

impl TimerIndex {
    /// An index resuming from `restored`, computing new keys with `roll_interval_ms`.
    pub fn new(restored: TimerCheckpoint, roll_interval_ms: i64) -> Self {
        TimerIndex {
            heap: BinaryHeap::new(),
            watermark: restored.watermark(),
            ingested_up_to: restored.scan_from.max(0),
            roll_interval_ms: roll_interval_ms.max(1),
            restored,
        }
    }

    pub fn roll_interval_ms(&self) -> i64 {
        self.roll_interval_ms
    }

    /// Next queue offset to read into the index.
    pub fn ingested_up_to(&self) -> i64 {
        self.ingested_up_to
    }

    /// Moves the read position forward (entries skipped over were lost to retention or never existed).
    pub fn skip_to(&mut self, queue_offset: i64) {
        self.ingested_up_to = self.ingested_up_to.max(queue_offset);
    }

    /// Adds the entry at `queue_offset` due at `due_ms`, stored at `stored_ms`, unless the restored checkpoint
    /// says it was handled. Returns whether it was added.
    pub fn ingest(&mut self, queue_offset: i64, due_ms: i64, stored_ms: i64) -> bool {
        self.skip_to(queue_offset + 1);
        if queue_offset < self.restored.ingested_up_to {
            let then = TimerKey::of(
                queue_offset,
                due_ms,
                stored_ms,
                self.restored.roll_interval_ms,
            );
            if then <= self.restored.watermark() {
                return false;
            }
        }
        let key = TimerKey::of(queue_offset, due_ms, stored_ms, self.roll_interval_ms);
        self.heap.push(Reverse(key));
        true
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// Wake time of the earliest pending entry.
    pub fn next_wake(&self) -> Option<i64> {
        self.heap.peek().map(|Reverse(k)| k.wake_ms)
    }

    /// Takes the earliest entry if its wake time has come at `now_ms`. The caller must then call
    /// [`Self::handled`] or [`Self::retry_later`] with it.
    pub fn pop_due(&mut self, now_ms: i64) -> Option<TimerKey> {
        match self.heap.peek() {
            Some(Reverse(k)) if k.wake_ms <= now_ms => self.heap.pop().map(|Reverse(k)| k),
            _ => None,
        }
    }

    /// The entry was delivered, re-parked, or dropped for good.
    pub fn handled(&mut self, key: TimerKey) {
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
            handled_wake_ms: watermark.wake_ms,
            handled_queue_offset: watermark.queue_offset,
            roll_interval_ms: self.roll_interval_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// A roll interval long enough never to matter.
    const NO_ROLL: i64 = i64::MAX / 4;

    fn index(cp: TimerCheckpoint) -> TimerIndex {
        TimerIndex::new(cp, NO_ROLL)
    }

    fn fresh() -> TimerIndex {
        index(TimerCheckpoint {
            roll_interval_ms: NO_ROLL,
            ..TimerCheckpoint::default()
        })
    }

    /// Handles everything due at `now`; returns the offsets handled.
    fn run_due(ix: &mut TimerIndex, now: i64) -> Vec<i64> {
        let mut out = Vec::new();
        while let Some(k) = ix.pop_due(now) {
            ix.handled(k);
            out.push(k.queue_offset);
        }
        out
    }

    #[test]
    fn delivers_in_due_order_never_before_due() {
        let mut ix = fresh();
        for (off, due) in [(0, 500), (1, 100), (2, 300), (3, 100)] {
            assert!(ix.ingest(off, due, 0));
        }
        assert_eq!(ix.next_wake(), Some(100));
        assert_eq!(run_due(&mut ix, 99), Vec::<i64>::new());
        assert_eq!(run_due(&mut ix, 100), vec![1, 3]);
        assert_eq!(run_due(&mut ix, 499), vec![2]);
        assert_eq!(run_due(&mut ix, 1000), vec![0]);
        assert!(ix.is_empty());
        assert_eq!(ix.ingested_up_to(), 4);
    }

    /// Simulates: checkpoint, "crash" (or stop), re-read from scan_from with `roll` as the new interval.
    fn restart(ix: &TimerIndex, log: &[(i64, i64, i64)], roll: i64) -> (TimerIndex, Vec<i64>) {
        let cp = ix.checkpoint();
        let mut again = TimerIndex::new(cp, roll);
        let mut kept = Vec::new();
        for &(off, due, stored) in log.iter().filter(|(o, _, _)| *o >= cp.scan_from) {
            if again.ingest(off, due, stored) {
                kept.push(off);
            }
        }
        (again, kept)
    }

    #[test]
    fn restart_keeps_exactly_the_undelivered() {
        // Offsets 0..6 with dues; the long one (offset 0) keeps scan_from at 0.
        let log = [
            (0, 10_000, 0),
            (1, 100, 0),
            (2, 200, 0),
            (3, 300, 0),
            (4, 150, 0),
            (5, 400, 0),
        ];
        let mut ix = fresh();
        for &(o, d, s) in &log[..5] {
            ix.ingest(o, d, s);
        }
        assert_eq!(run_due(&mut ix, 200), vec![1, 4, 2]);
        // Offset 5 was appended but not yet read into the index when the checkpoint was taken.
        let (mut again, kept) = restart(&ix, &log, NO_ROLL);
        assert_eq!(kept, vec![0, 3, 5]);
        assert_eq!(run_due(&mut again, 20_000), vec![3, 5, 0]);
    }

    #[test]
    fn stale_checkpoint_repeats_but_never_loses() {
        let log: Vec<(i64, i64, i64)> = (0..50).map(|o| (o, 1000 + (o * 37) % 23, 0)).collect();
        let mut ix = fresh();
        for &(o, d, s) in &log[..30] {
            ix.ingest(o, d, s);
        }
        run_due(&mut ix, 1010);
        let stale = ix.checkpoint();
        for &(o, d, s) in &log[30..] {
            ix.ingest(o, d, s);
        }
        let handled_after: BTreeSet<i64> = run_due(&mut ix, 1015).into_iter().collect();
        // Crash: restart from the stale checkpoint.
        let mut again = index(stale);
        let mut kept = BTreeSet::new();
        for &(o, d, s) in log.iter().filter(|(o, _, _)| *o >= stale.scan_from) {
            if again.ingest(o, d, s) {
                kept.insert(o);
            }
        }
        let still_pending: BTreeSet<i64> =
            ix.heap.iter().map(|Reverse(k)| k.queue_offset).collect();
        assert!(still_pending.is_subset(&kept), "nothing pending is lost");
        assert!(
            kept.is_subset(&still_pending.union(&handled_after).copied().collect()),
            "only what was handled after the checkpoint repeats"
        );
    }

    #[test]
    fn late_entry_below_the_watermark_is_handled_and_not_lost_while_retrying() {
        let mut ix = fresh();
        ix.ingest(0, 500, 0);
        assert_eq!(run_due(&mut ix, 600), vec![0]);
        // Offset 1 was due at 450 but reached the index after offset 0 (due 500) went out.
        ix.ingest(1, 450, 0);
        let k = ix.pop_due(600).unwrap();
        assert_eq!(k.queue_offset, 1);
        ix.retry_later(k); // the store refused
        let cp = ix.checkpoint();
        assert_eq!(cp.scan_from, 1);
        let log = [(0, 500, 0), (1, 450, 0)];
        let (mut again, kept) = restart(&ix, &log, NO_ROLL);
        assert_eq!(kept, vec![1], "the retried entry survives a restart");
        assert_eq!(run_due(&mut again, 600), vec![1]);
        // Once handled, a checkpoint covers it.
        let k = ix.pop_due(600).unwrap();
        ix.handled(k);
        let (_, kept) = restart(&ix, &log, NO_ROLL);
        assert!(kept.is_empty());
    }

    #[test]
    fn long_timers_wake_at_the_roll_interval_and_restarts_use_the_saved_interval() {
        let mut ix = TimerIndex::new(TimerCheckpoint::default(), 1000);
        // Due at 3500, stored at 0: wakes at 1000 to be re-parked.
        ix.ingest(0, 3500, 0);
        assert_eq!(ix.next_wake(), Some(1000));
        assert_eq!(run_due(&mut ix, 1000), vec![0]);
        // The re-parked copy (stored at 1000) wakes at 2000; a short timer is unaffected.
        ix.ingest(1, 3500, 1000);
        ix.ingest(2, 1500, 1000);
        assert_eq!(run_due(&mut ix, 2000), vec![2, 1]);
        ix.ingest(3, 3500, 2000);
        // Restart with another interval: the skip decision uses the saved one, new keys the new one.
        let log = [
            (0, 3500, 0),
            (1, 3500, 1000),
            (2, 1500, 1000),
            (3, 3500, 2000),
        ];
        let (mut again, kept) = restart(&ix, &log, NO_ROLL);
        assert_eq!(kept, vec![3]);
        assert_eq!(again.next_wake(), Some(3500));
        assert_eq!(run_due(&mut again, 3499), Vec::<i64>::new());
        assert_eq!(run_due(&mut again, 3500), vec![3]);
    }

    #[test]
    fn checkpoint_round_trips_as_json() {
        let cp = TimerCheckpoint {
            scan_from: 3,
            ingested_up_to: 9,
            handled_wake_ms: 1_700_000_000_000,
            handled_queue_offset: 4,
            roll_interval_ms: 5,
        };
        let text = serde_json::to_string(&cp).unwrap();
        assert!(text.contains("\"scanFrom\":3"), "{text}");
        assert_eq!(serde_json::from_str::<TimerCheckpoint>(&text).unwrap(), cp);
        let old = r#"{"scanFrom":1,"ingestedUpTo":2,"handledWakeMs":3,"handledQueueOffset":4}"#;
        let cp = serde_json::from_str::<TimerCheckpoint>(old).unwrap();
        assert_eq!(cp.roll_interval_ms, default_roll_interval());
        let fresh =
            TimerIndex::new(TimerCheckpoint::default(), default_roll_interval()).checkpoint();
        assert_eq!(fresh, TimerCheckpoint::default());
    }

    #[test]
    fn entry_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Reverse<TimerKey>>(), 16);
    }
}
