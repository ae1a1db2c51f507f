//! The dispatcher ("reput"): follows the commit log and turns every new record into its consume-queue unit and
//! index entries, then tells waiting readers (the broker's long polling) that new data is there.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::message::properties::DELAY;
use ferrocket_protocol::message::sysflag::TransactionType;
use ferrocket_protocol::message::{MessageError, RecordView};
use parking_lot::RwLock;

use crate::commit_log::CommitLog;
use crate::consume_queue::CqUnit;
use crate::consume_queue_store::ConsumeQueueStore;
use crate::error::StoreResult;
use crate::index_service::IndexService;
use crate::signal::{Progress, Signal};

/// Topic whose consume-queue tags code is the delivery time (§4).
pub const SCHEDULE_TOPIC: &str = "SCHEDULE_TOPIC_XXXX";

/// How long the dispatcher pauses between rounds while records keep arriving (see [`Dispatcher::run`]).
pub const BUSY_ROUND_PAUSE: Duration = Duration::from_micros(500);

/// Called after a record was made readable: (topic, queue id, new max offset of the queue).
pub type ArrivalListener = Arc<dyn Fn(&str, i32, i64) + Send + Sync>;

/// The consume-queue tags code of a record: Java hash of TAGS, or the delivery time for delay-level messages.
pub fn tags_code_of(v: &RecordView<'_>, delay_levels_ms: &[i64]) -> i64 {
    if v.topic == SCHEDULE_TOPIC {
        let level = v
            .property(DELAY)
            .and_then(|d| d.trim().parse::<i64>().ok())
            .unwrap_or(0);
        if level > 0 && !delay_levels_ms.is_empty() {
            let idx = (level as usize).min(delay_levels_ms.len()) - 1;
            return v.store_timestamp + delay_levels_ms[idx];
        }
        return v.store_timestamp + 1000;
    }
    v.tags_code()
}

pub struct Dispatcher {
    commit_log: Arc<CommitLog>,
    queues: Arc<ConsumeQueueStore>,
    index: Option<Arc<IndexService>>,
    delay_levels_ms: Vec<i64>,
    reput_from: AtomicI64,
    /// Commit-log offset up to which everything is dispatched (readers wait on it).
    dispatched: Progress,
    /// Store time of the last dispatched record (checkpoint `logicsMsgTimestamp`).
    last_dispatched_ts: AtomicI64,
    signal: Signal,
    listener: RwLock<Option<ArrivalListener>>,
    stop: AtomicBool,
    stalled_at: AtomicI64,
    /// Held while dispatching: the dispatcher thread, or an appender helping it catch up.
    running: parking_lot::Mutex<()>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("reput_from", &self.reput_from())
            .finish()
    }
}

impl Dispatcher {
    pub fn new(
        commit_log: Arc<CommitLog>,
        queues: Arc<ConsumeQueueStore>,
        index: Option<Arc<IndexService>>,
        delay_levels_ms: Vec<i64>,
    ) -> Self {
        Dispatcher {
            commit_log,
            queues,
            index,
            delay_levels_ms,
            reput_from: AtomicI64::new(0),
            dispatched: Progress::new(0),
            last_dispatched_ts: AtomicI64::new(0),
            signal: Signal::new(),
            listener: RwLock::new(None),
            stop: AtomicBool::new(false),
            stalled_at: AtomicI64::new(-1),
            running: parking_lot::Mutex::new(()),
        }
    }

    pub fn reput_from(&self) -> i64 {
        self.reput_from.load(Ordering::Acquire)
    }

    pub fn set_reput_from(&self, off: i64) {
        self.reput_from.store(off, Ordering::Release);
        self.dispatched.reset(off);
    }

    pub fn dispatched(&self) -> &Progress {
        &self.dispatched
    }

    pub fn last_dispatched_timestamp(&self) -> i64 {
        self.last_dispatched_ts.load(Ordering::Acquire)
    }

    pub fn set_listener(&self, l: Option<ArrivalListener>) {
        *self.listener.write() = l;
    }

    /// Wakes the dispatcher (called after every append).
    pub fn wake(&self) {
        self.signal.notify();
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.signal.notify();
    }

    /// Builds the consume-queue unit and index entries of one record. Idempotent: units and entries already
    /// present are skipped. Returns the queue's new max offset when a unit was written.
    pub fn dispatch_record(&self, v: &RecordView<'_>) -> StoreResult<Option<i64>> {
        self.dispatch_record_cached(v, &mut None)
    }

    /// `dispatch_record` with a one-entry cache of the last consume queue (consecutive records often share one).
    fn dispatch_record_cached(
        &self,
        v: &RecordView<'_>,
        cache: &mut Option<Arc<crate::consume_queue::ConsumeQueue>>,
    ) -> StoreResult<Option<i64>> {
        let mut new_max = None;
        if matches!(
            v.transaction_type(),
            TransactionType::NotType | TransactionType::Commit
        ) {
            let cq = match cache {
                Some(c) if c.queue_id() == v.queue_id && c.topic() == v.topic => c.clone(),
                _ => {
                    let c = self.queues.find_or_create(v.topic, v.queue_id);
                    *cache = Some(c.clone());
                    c
                }
            };
            let unit = CqUnit {
                phys_offset: v.physical_offset,
                size: v.total_size,
                tags_code: tags_code_of(v, &self.delay_levels_ms),
            };
            if cq.put(unit, v.queue_offset)? == crate::consume_queue::CqPut::Written {
                new_max = Some(v.queue_offset + 1);
            }
        }
        if let Some(index) = &self.index {
            index.build_index(v)?;
        }
        self.last_dispatched_ts
            .store(v.store_timestamp, Ordering::Release);
        Ok(new_max)
    }

    /// Dispatches everything between the reput offset and the commit-log end. Returns whether anything moved.
    pub fn dispatch_available(&self) -> bool {
        let _g = self.running.lock();
        self.dispatch_locked()
    }

    /// Dispatches like `dispatch_available` unless someone else is dispatching right now (then returns false at
    /// once). Appenders call it when the dispatcher falls behind: with more busy appender threads than cores the
    /// dispatcher thread gets only its fair share of CPU, so the appenders lend theirs.
    pub fn try_dispatch(&self) -> bool {
        match self.running.try_lock() {
            Some(_g) => {
                self.dispatch_locked();
                true
            }
            None => false,
        }
    }

    fn dispatch_locked(&self) -> bool {
        let listener = self.listener.read().clone();
        let mut cache = None;
        let mut moved = false;
        loop {
            let from = self.reput_from();
            let published = self.commit_log.max_offset();
            if from >= published {
                break;
            }
            let min = self.commit_log.min_offset();
            if from < min {
                // The data was deleted before it was dispatched (retention); skip to what exists.
                self.reput_from.store(min, Ordering::Release);
                continue;
            }
            let Some(file) = self.commit_log.files().find(from as u64) else {
                break;
            };
            let rel = from as u64 - file.from_offset();
            // Only what the commit log has published: a concurrent append has its bytes in the file before it moves
            // `max_offset`, and a consume-queue unit pointing past `max_offset` could not be read yet.
            let avail = file
                .wrote_pos()
                .saturating_sub(rel)
                .min((published - from) as u64);
            if avail == 0 {
                if file.is_full() {
                    self.reput_from
                        .store((file.from_offset() + file.size()) as i64, Ordering::Release);
                    continue;
                }
                break;
            }
            let Some(buf) = file.bytes(rel, avail) else {
                break;
            };
            let mut p = 0usize;
            let mut failed = false;
            while p < buf.len() {
                match RecordView::parse(&buf[p..]) {
                    Ok(v) => match self.dispatch_record_cached(&v, &mut cache) {
                        Ok(new_max) => {
                            if let (Some(l), Some(m)) = (&listener, new_max) {
                                l(v.topic, v.queue_id, m);
                            }
                            p += v.total_size as usize;
                        }
                        Err(e) => {
                            self.report_stall(from + p as i64, &e.to_string());
                            failed = true;
                            break;
                        }
                    },
                    Err(MessageError::BlankRecord { .. }) => {
                        p = buf.len();
                    }
                    Err(e) => {
                        self.report_stall(from + p as i64, &e.to_string());
                        failed = true;
                        break;
                    }
                }
            }
            if p > 0 {
                let new = from + p as i64;
                self.reput_from.store(new, Ordering::Release);
                self.dispatched.advance(new);
                moved = true;
            }
            if failed {
                break;
            }
        }
        moved
    }

    fn report_stall(&self, at: i64, why: &str) {
        if self.stalled_at.swap(at, Ordering::AcqRel) != at {
            tracing::error!(
                offset = at,
                reason = why,
                "dispatch stalled at an unreadable record"
            );
        }
    }

    /// The dispatcher thread's loop. After a round that found records it pauses [`BUSY_ROUND_PAUSE`] before
    /// the next instead of parking until an append wakes it: under load the records then arrive in batches, with
    /// one timed wake-up per round instead of a futex wake and two context switches per append (the pending flag
    /// stays raised meanwhile, so appenders' `wake` is one atomic swap). Readers see a record at most that much
    /// later (Apache's reput pauses 1 ms per round); an idle dispatcher is still woken by the next append at once.
    pub fn run(&self) {
        while !self.stop.load(Ordering::Acquire) {
            if self.dispatch_available() {
                std::thread::sleep(BUSY_ROUND_PAUSE);
                continue;
            }
            if !self.signal.wait(Duration::from_millis(10)) && self.dispatched.has_async_waiters() {
                // Idle: let async waiters re-check their deadlines.
                self.dispatched.tick();
            }
        }
        self.dispatch_available();
    }
}
