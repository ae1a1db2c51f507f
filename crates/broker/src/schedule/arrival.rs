//! Waking a delivery task when a message is parked in its queue, without costing ordinary messages anything.
//!
//! [`super::redirect_for_delivery`] announces each parked message before the send path appends it. An idle task
//! waits for that announcement (or a slow safety re-check); then, since the record becomes readable only once the
//! store's dispatcher has indexed it, the task parks on the broker's long-poll service for that queue until the data
//! shows up. It stays on the long-poll path while announcements keep coming and falls back to the announcement alone
//! after a quiet spell, so the dispatcher's arrival hook finds no schedule waiters while nobody schedules anything.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

use crate::BrokerContext;

/// How long after an announcement the task keeps waiting on the long-poll service.
const RECENT_MS: i64 = 2_000;

#[derive(Default)]
pub struct Arrival {
    notify: Notify,
    /// Store time of the last announcement.
    last_announce_ms: AtomicI64,
}

impl Arrival {
    /// A message is about to be appended to this queue.
    pub fn announce(&self, now_ms: i64) {
        self.last_announce_ms.store(now_ms, Ordering::Release);
        self.notify.notify_one();
    }

    /// Waits until (topic, queue) may hold data at `offset` or beyond, `idle` passes without an announcement, or
    /// the broker shuts down. Returns early rather than late: callers re-check the queue.
    pub async fn wait(
        &self,
        ctx: &BrokerContext,
        topic: &str,
        queue_id: i32,
        offset: i64,
        idle: Duration,
    ) {
        let since = ctx.store.now_ms() - self.last_announce_ms.load(Ordering::Acquire);
        if !(0..RECENT_MS).contains(&since) {
            tokio::select! {
                _ = self.notify.notified() => {}
                _ = tokio::time::sleep(idle) => return,
                _ = ctx.shutdown.cancelled() => return,
            }
        }
        let parked = ctx.long_poll.park(topic, queue_id, offset);
        // Re-check after registering: an arrival between the caller's read and the registration is not missed.
        if ctx.store.max_offset_in_queue(topic, queue_id) > offset {
            return;
        }
        tokio::select! {
            _ = parked.wait(Duration::from_millis(RECENT_MS as u64)) => {}
            _ = ctx.shutdown.cancelled() => {}
        }
    }
}
