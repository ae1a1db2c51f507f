//! Flushing: the commit-log flusher (ASYNC_FLUSH timer or SYNC_FLUSH group commit) and the consume-queue / index
//! / checkpoint flusher.
//!
//! Group commit under SYNC_FLUSH: one msync covers everything appended before it started, so N concurrent
//! appenders share one msync instead of paying for N. Appends that arrive while an msync runs are covered by the
//! next one.
//! - Blocking waiters (plain threads) use leader/follower: a waiter that finds no msync running becomes the
//!   leader and msyncs itself; the others sleep until the flushed offset moves, then either are covered or one of
//!   them leads the next round. No thread hand-off on the critical path.
//! - Async waiters (the broker's tokio tasks must not block) raise the requested offset and wake the flusher
//!   thread, which msyncs and publishes the flushed offset through a watch channel; it also ticks the channel
//!   every few ms so deadlines are noticed without a runtime timer.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::checkpoint::StoreCheckpoint;
use crate::commit_log::CommitLog;
use crate::config::{FlushDiskType, StoreConfig};
use crate::consume_queue_store::ConsumeQueueStore;
use crate::dispatch::Dispatcher;
use crate::env::Clock;
use crate::index_service::IndexService;
use crate::signal::{Progress, Signal};
use parking_lot::Mutex;

pub struct CommitLogFlusher {
    commit_log: Arc<CommitLog>,
    checkpoint: Arc<StoreCheckpoint>,
    flush_type: FlushDiskType,
    interval_ms: u64,
    least_pages: u32,
    thorough_interval_ms: u64,
    /// Durable end of the commit log.
    flushed: Progress,
    /// Highest offset a SYNC_FLUSH append asked to be made durable.
    requested: AtomicI64,
    signal: Signal,
    stop: AtomicBool,
    clock: Arc<dyn Clock>,
    /// Held by whoever is msyncing (group-commit leader or the flusher thread).
    flushing: Mutex<()>,
}

impl std::fmt::Debug for CommitLogFlusher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitLogFlusher")
            .field("flushed", &self.flushed.get())
            .finish()
    }
}

impl CommitLogFlusher {
    pub fn new(
        commit_log: Arc<CommitLog>,
        checkpoint: Arc<StoreCheckpoint>,
        config: &StoreConfig,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let start = commit_log.flushed_offset();
        CommitLogFlusher {
            commit_log,
            checkpoint,
            flush_type: config.flush_disk_type,
            interval_ms: config.flush_interval_commit_log.max(1),
            least_pages: config.flush_commit_log_least_pages,
            thorough_interval_ms: config.flush_commit_log_thorough_interval,
            flushed: Progress::new(start),
            requested: AtomicI64::new(start),
            signal: Signal::new(),
            stop: AtomicBool::new(false),
            clock,
            flushing: Mutex::new(()),
        }
    }

    pub fn flushed(&self) -> &Progress {
        &self.flushed
    }

    /// Asks for everything up to `offset` to be made durable (group commit) and wakes the flusher.
    pub fn request(&self, offset: i64) {
        self.requested.fetch_max(offset, Ordering::AcqRel);
        self.signal.notify();
    }

    /// Wakes the flusher without a durability request (ASYNC_FLUSH with `flushCommitLogTimed=false` semantics).
    pub fn wake(&self) {
        self.signal.notify();
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.signal.notify();
    }

    /// One flush pass. `least_pages` 0 flushes any dirty byte.
    pub fn flush_once(&self, least_pages: u32) -> bool {
        let _g = self.flushing.lock();
        self.flush_locked(least_pages)
    }

    fn flush_locked(&self, least_pages: u32) -> bool {
        // Read the timestamp before the end offset: the record that carries it ends at or before `max`.
        let ts = self.commit_log.last_store_timestamp();
        let max = self.commit_log.max_offset();
        match self.commit_log.flush(least_pages) {
            Ok(off) => {
                if off >= max && ts > 0 {
                    self.checkpoint.set_physic_msg_timestamp(ts);
                }
                let before = self.flushed.get();
                self.flushed.advance(off);
                off > before
            }
            Err(e) => {
                tracing::error!(error = %e, "commit-log flush failed");
                false
            }
        }
    }

    /// The flusher thread's loop.
    pub fn run(&self) {
        let mut last_thorough = self.clock.now_ms();
        while !self.stop.load(Ordering::Acquire) {
            match self.flush_type {
                FlushDiskType::SyncFlush => {
                    let woke = self.signal.wait(Duration::from_millis(10));
                    if woke || self.requested.load(Ordering::Acquire) > self.flushed.get() {
                        self.flush_once(0);
                    } else {
                        // Nothing asked; still push out WAIT=false appends now and then.
                        let now = self.clock.now_ms();
                        if now - last_thorough >= self.interval_ms as i64 {
                            last_thorough = now;
                            self.flush_once(0);
                        }
                    }
                    // Let async waiters re-check their deadlines.
                    if self.flushed.has_async_waiters() {
                        self.flushed.tick();
                    }
                }
                FlushDiskType::AsyncFlush => {
                    self.signal.wait(Duration::from_millis(self.interval_ms));
                    let now = self.clock.now_ms();
                    let mut least = self.least_pages;
                    if now - last_thorough >= self.thorough_interval_ms as i64 {
                        last_thorough = now;
                        least = 0;
                    }
                    self.flush_once(least);
                    if self.flushed.has_async_waiters() {
                        self.flushed.tick();
                    }
                }
            }
        }
        self.flush_once(0);
    }

    /// Blocks until `offset` is durable or `timeout` passes (leader/follower group commit, see the module doc).
    pub fn wait_blocking(&self, offset: i64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let cur = self.flushed.get();
            if cur >= offset {
                return true;
            }
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            if let Some(_leader) = self.flushing.try_lock() {
                if !self.flush_locked(0) && self.flushed.get() < offset {
                    // No progress (I/O error): do not spin.
                    std::thread::sleep(Duration::from_millis(1).min(deadline - now));
                }
                continue;
            }
            // Someone is msyncing: wait for the flushed offset to move, then re-check.
            self.flushed.wait_blocking(cur + 1, deadline - now);
        }
    }

    /// Waits (async) until `offset` is durable or `timeout` passes. Needs no runtime timer: the flusher ticks the
    /// watch channel every few ms so the deadline is noticed.
    pub async fn wait_async(&self, offset: i64, timeout: Duration) -> bool {
        self.request(offset);
        self.flushed
            .wait_async(offset, Instant::now() + timeout)
            .await
    }
}

/// Flushes consume queues, the index and the checkpoint every `flushIntervalConsumeQueue` ms.
pub struct LogicsFlusher {
    pub queues: Arc<ConsumeQueueStore>,
    pub index: Option<Arc<IndexService>>,
    pub checkpoint: Arc<StoreCheckpoint>,
    pub dispatcher: Arc<Dispatcher>,
    pub interval_ms: u64,
    pub stop: AtomicBool,
    pub signal: Signal,
}

impl LogicsFlusher {
    /// One pass. Every dirty consume-queue byte is flushed (their pages are few), so the checkpoint's logics
    /// timestamp can move to the last dispatched record.
    pub fn flush_once(&self) {
        // Timestamps first: units/entries for records up to them exist before the flush starts.
        let logics_ts = self.dispatcher.last_dispatched_timestamp();
        let cq_ok = match self.queues.flush(0) {
            Ok(()) => true,
            Err(e) => {
                tracing::error!(error = %e, "consume-queue flush failed");
                false
            }
        };
        if cq_ok && logics_ts > 0 {
            self.checkpoint.set_logics_msg_timestamp(logics_ts);
        }
        if let Some(index) = &self.index {
            match index.flush() {
                Ok(Some(ts)) if ts > 0 => self.checkpoint.set_index_msg_timestamp(ts),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "index flush failed"),
            }
        }
        if let Err(e) = self.checkpoint.flush() {
            tracing::error!(error = %e, "checkpoint flush failed");
        }
    }

    pub fn run(&self) {
        while !self.stop.load(Ordering::Acquire) {
            self.signal
                .wait(Duration::from_millis(self.interval_ms.max(1)));
            if self.stop.load(Ordering::Acquire) {
                break;
            }
            self.flush_once();
        }
    }
}
