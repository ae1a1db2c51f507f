//! One assigned queue of a lite pull consumer and its pull loop. Pulled batches go to the consumer's channel
//! tagged with the queue's seek generation, so a seek discards everything pulled before it.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::body::{MessageQueue, MASTER_ID};
use ferrocket_protocol::message::MessageExt;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use super::LiteInner;
use crate::api::pull::{PullSpec, PullStatus};

pub(crate) struct Batch {
    pub mq: MessageQueue,
    pub generation: u64,
    pub msgs: Vec<MessageExt>,
}

pub(crate) struct LiteQueue {
    pub mq: MessageQueue,
    /// Next offset to pull.
    pub next_pull: AtomicI64,
    /// Offset after the last polled message: what a commit stores.
    pub consumed: AtomicI64,
    /// Bumped by every seek.
    pub generation: AtomicU64,
    /// Pulled, not yet polled.
    pub cached: AtomicUsize,
    pub paused: AtomicBool,
    /// Wakes a pull parked at the broker after a seek or resume.
    pub kick: Notify,
    pub cancel: CancellationToken,
}

impl LiteQueue {
    pub fn new(mq: MessageQueue, offset: i64, parent: &CancellationToken) -> Self {
        LiteQueue {
            mq,
            next_pull: AtomicI64::new(offset),
            consumed: AtomicI64::new(offset),
            generation: AtomicU64::new(0),
            cached: AtomicUsize::new(0),
            paused: AtomicBool::new(false),
            kick: Notify::new(),
            cancel: parent.child_token(),
        }
    }

    /// Moves the queue to `offset`; batches pulled before are discarded when polled.
    pub fn seek(&self, offset: i64) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.next_pull.store(offset, Ordering::SeqCst);
        self.consumed.store(offset, Ordering::SeqCst);
        self.cached.store(0, Ordering::SeqCst);
        self.kick.notify_one();
    }
}

const DELAY_ON_ERROR: Duration = Duration::from_millis(1000);
const DELAY_ON_FULL: Duration = Duration::from_millis(50);

pub(crate) async fn run(
    consumer: Arc<LiteInner>,
    q: Arc<LiteQueue>,
    tx: mpsc::UnboundedSender<Batch>,
) {
    let Ok(instance) = consumer.instance().cloned() else {
        return;
    };
    let cfg = &consumer.config;
    let mut broker_id = MASTER_ID;
    loop {
        if q.cancel.is_cancelled() {
            return;
        }
        let cached = q.cached.load(Ordering::SeqCst);
        if q.paused.load(Ordering::SeqCst) || cached >= cfg.pull_threshold_for_queue {
            tokio::select! {
                _ = q.cancel.cancelled() => return,
                _ = q.kick.notified() => {}
                _ = tokio::time::sleep(DELAY_ON_FULL) => {}
            }
            continue;
        }
        let Some(sub) = consumer.subscription_for(&q.mq.topic) else {
            return;
        };
        let generation = q.generation.load(Ordering::SeqCst);
        let offset = q.next_pull.load(Ordering::SeqCst);
        let spec = PullSpec {
            group: &cfg.group,
            mq: &q.mq,
            sub: &sub,
            offset,
            max_nums: cfg
                .pull_batch_size
                .min(cfg.pull_threshold_for_queue - cached)
                .max(1) as i32,
            max_bytes: None,
            commit_offset: None,
            suspend: Some(cfg.broker_suspend_max_time),
            post_subscription: true,
            broker_id,
            timeout: cfg.pull_timeout,
        };
        let result = tokio::select! {
            _ = q.cancel.cancelled() => return,
            _ = q.kick.notified() => continue,
            r = instance.pull(&spec) => r,
        };
        if q.generation.load(Ordering::SeqCst) != generation {
            continue;
        }
        match result {
            Ok(r) => {
                broker_id = r.suggest_which_broker_id;
                if r.status == PullStatus::OffsetIllegal {
                    tracing::warn!(mq = %q.mq, from = offset, to = r.next_begin_offset, "pull offset moved");
                    q.seek(r.next_begin_offset);
                    continue;
                }
                q.next_pull.store(r.next_begin_offset, Ordering::SeqCst);
                if !r.messages.is_empty() {
                    q.cached.fetch_add(r.messages.len(), Ordering::SeqCst);
                    let batch = Batch {
                        mq: q.mq.clone(),
                        generation,
                        msgs: r.messages,
                    };
                    if tx.send(batch).is_err() {
                        return;
                    }
                } else if q.cached.load(Ordering::SeqCst) == 0 {
                    // Filtered-out or nothing new: nothing of ours is pending, so the position may advance.
                    q.consumed.fetch_max(r.next_begin_offset, Ordering::SeqCst);
                }
            }
            Err(e) => {
                tracing::debug!(mq = %q.mq, error = %e, "lite pull failed");
                broker_id = MASTER_ID;
                tokio::select! {
                    _ = q.cancel.cancelled() => return,
                    _ = q.kick.notified() => {}
                    _ = tokio::time::sleep(DELAY_ON_ERROR) => {}
                }
            }
        }
    }
}
