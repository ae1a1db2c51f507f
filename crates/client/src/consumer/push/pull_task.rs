//! One long-polling pull loop per owned queue: flow control, pull, hand messages to the consume service,
//! follow the broker's offset corrections and slave suggestions.

use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::body::{MessageModel, MASTER_ID};
use ferrocket_protocol::codes::response_code;

use super::PushInner;
use crate::api::pull::{PullSpec, PullStatus};
use crate::consumer::process_queue::{CacheStats, ProcessQueue};

/// Pause after a failed pull (Java: `pullTimeDelayMillsWhenException`).
const DELAY_ON_ERROR: Duration = Duration::from_millis(3000);
/// Pause while flow control holds a queue back.
const DELAY_ON_FLOW_CONTROL: Duration = Duration::from_millis(50);
/// Pause while an orderly queue waits for its broker lock.
const DELAY_ON_NOT_LOCKED: Duration = Duration::from_millis(500);

/// Why pulling a queue must wait, or how many messages it may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Admission {
    Wait,
    Pull { max_nums: i32, max_bytes: i32 },
}

/// Flow-control limits of one queue's cache.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub count: usize,
    pub bytes: u64,
    /// Concurrent mode only: largest allowed offset span of the cache.
    pub max_span: Option<i64>,
    /// Messages and bytes one pull asks for at most.
    pub batch: usize,
    pub batch_bytes: usize,
}

/// Flow control: the cache may hold at most `limits.count` messages and (about) `limits.bytes` bytes, and in
/// concurrent mode span at most `max_span` offsets. A pull asks only for what still fits, so the count limit is
/// never exceeded, and the byte limit by at most one message (sizes are estimated from the average so far, and
/// brokers honour the requested byte budget).
pub(crate) fn admission(cache: &CacheStats, limits: &Limits) -> Admission {
    let (count, bytes) = (cache.count, cache.bytes);
    if count >= limits.count
        || bytes >= limits.bytes
        || limits.max_span.is_some_and(|m| cache.span > m)
    {
        return Admission::Wait;
    }
    let room_bytes = limits.bytes - bytes;
    let mut max_nums = limits.batch.min(limits.count - count).max(1);
    if count > 0 {
        let avg = (bytes / count as u64).max(1);
        max_nums = max_nums.min(((room_bytes / avg) as usize).max(1));
    }
    let max_bytes = (limits.batch_bytes as u64).min(room_bytes).max(1);
    Admission::Pull {
        max_nums: max_nums.min(i32::MAX as usize) as i32,
        max_bytes: max_bytes.min(i32::MAX as u64) as i32,
    }
}

pub(crate) async fn run(consumer: Arc<PushInner>, pq: Arc<ProcessQueue>, mut next_offset: i64) {
    let Ok(instance) = consumer.instance().cloned() else {
        return;
    };
    let cfg = &consumer.config;
    let mq = pq.mq.clone();
    let mut broker_id = MASTER_ID;
    let orderly = consumer.is_orderly();
    let clustering = cfg.message_model == MessageModel::Clustering;
    let limits = Limits {
        count: cfg.pull_threshold_for_queue,
        bytes: cfg.size_threshold_bytes(),
        max_span: (!orderly).then_some(cfg.consume_concurrently_max_span),
        batch: cfg.pull_batch_size,
        batch_bytes: cfg.pull_batch_size_bytes,
    };
    loop {
        if pq.is_dropped() || consumer.is_stopping() {
            return;
        }
        let adm = admission(&pq.stats(), &limits);
        let Admission::Pull {
            max_nums,
            max_bytes,
        } = adm
        else {
            if sleep_or_cancel(&pq, DELAY_ON_FLOW_CONTROL).await {
                return;
            }
            continue;
        };
        if orderly && clustering && !pq.is_locked() {
            if sleep_or_cancel(&pq, DELAY_ON_NOT_LOCKED).await {
                return;
            }
            continue;
        }
        let Some(sub) = consumer.subscription(&mq.topic) else {
            if sleep_or_cancel(&pq, DELAY_ON_ERROR).await {
                return;
            }
            continue;
        };
        let commit_offset = if clustering {
            consumer
                .offsets()
                .and_then(|o| o.read_memory(&mq))
                .filter(|o| *o > 0)
        } else {
            None
        };
        let spec = PullSpec {
            group: &cfg.group,
            mq: &mq,
            sub: &sub,
            offset: next_offset,
            max_nums,
            max_bytes: Some(max_bytes),
            commit_offset,
            suspend: Some(cfg.broker_suspend_max_time),
            post_subscription: cfg.post_subscription_when_pull,
            broker_id,
            timeout: cfg.pull_timeout,
        };
        pq.touch_pull();
        let result = tokio::select! {
            _ = pq.cancel.cancelled() => return,
            r = instance.pull(&spec) => r,
        };
        if pq.is_dropped() {
            return;
        }
        match result {
            Ok(r) => {
                broker_id = r.suggest_which_broker_id;
                match r.status {
                    PullStatus::Found => {
                        next_offset = r.next_begin_offset;
                        if !r.messages.is_empty() {
                            // Orderly consumption takes messages from the cache; concurrent consumption gets
                            // them directly (the cache keeps offsets and sizes only).
                            let added = pq.put(r.messages, orderly);
                            if !added.is_empty() {
                                consumer.dispatch(&pq, added);
                            }
                        } else if pq.stats().count == 0 {
                            consumer.record_offset(&mq, next_offset);
                        }
                    }
                    PullStatus::NoNewMsg | PullStatus::NoMatchedMsg => {
                        next_offset = r.next_begin_offset;
                        // Nothing cached: the offset may move past messages the filter skipped.
                        if pq.stats().count == 0 {
                            consumer.record_offset(&mq, next_offset);
                        }
                    }
                    PullStatus::OffsetIllegal => {
                        tracing::warn!(%mq, from = next_offset, to = r.next_begin_offset, "pull offset moved");
                        next_offset = r.next_begin_offset;
                        pq.clear();
                        if let Some(o) = consumer.offsets() {
                            o.update(&mq, next_offset, false);
                            if let Err(e) = o.persist_all(std::slice::from_ref(&mq), false).await {
                                tracing::debug!(%mq, error = %e, "persisting corrected offset failed");
                            }
                        }
                    }
                }
            }
            Err(e) => {
                tracing::debug!(%mq, error = %e, "pull failed");
                if matches!(
                    e.response_code(),
                    Some(
                        response_code::SUBSCRIPTION_NOT_EXIST
                            | response_code::SUBSCRIPTION_NOT_LATEST
                    )
                ) {
                    instance.heartbeat_soon();
                }
                broker_id = MASTER_ID;
                if sleep_or_cancel(&pq, DELAY_ON_ERROR).await {
                    return;
                }
                continue;
            }
        }
        if !cfg.pull_interval.is_zero() && sleep_or_cancel(&pq, cfg.pull_interval).await {
            return;
        }
    }
}

/// Sleeps unless the queue is cancelled first; true when cancelled.
async fn sleep_or_cancel(pq: &ProcessQueue, d: Duration) -> bool {
    tokio::select! {
        _ = pq.cancel.cancelled() => true,
        _ = tokio::time::sleep(d) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(count: usize, bytes: u64, span: i64) -> CacheStats {
        CacheStats { count, bytes, span }
    }

    fn limits(
        count: usize,
        bytes: u64,
        max_span: Option<i64>,
        batch: usize,
        batch_bytes: usize,
    ) -> Limits {
        Limits {
            count,
            bytes,
            max_span,
            batch,
            batch_bytes,
        }
    }

    #[test]
    fn count_limit_is_never_exceeded() {
        let l = limits(1000, 1 << 30, Some(2000), 32, 1 << 18);
        // 990 cached of 1000: ask for at most 10.
        assert_eq!(
            admission(&cache(990, 990, 0), &l),
            Admission::Pull {
                max_nums: 10,
                max_bytes: 1 << 18
            }
        );
        assert_eq!(admission(&cache(1000, 0, 0), &l), Admission::Wait);
        assert_eq!(
            admission(&cache(0, 0, 0), &l),
            Admission::Pull {
                max_nums: 32,
                max_bytes: 1 << 18
            }
        );
    }

    #[test]
    fn byte_limit_scales_the_request() {
        // 10 cached messages of 100 KiB, limit 1.5 MiB: room for ~5 more.
        let kib = 1024u64;
        let l = limits(1000, 1536 * kib, None, 32, 1 << 18);
        assert_eq!(
            admission(&cache(10, 1000 * kib, 0), &l),
            Admission::Pull {
                max_nums: 5,
                max_bytes: 256 * 1024
            }
        );
        assert_eq!(admission(&cache(10, 1536 * kib, 0), &l), Admission::Wait);
        // Less room than a pull's byte budget: ask for just the room.
        assert_eq!(
            admission(&cache(10, 1436 * kib, 0), &l),
            Admission::Pull {
                max_nums: 1,
                max_bytes: 100 * 1024
            }
        );
    }

    #[test]
    fn span_limit_applies_when_given() {
        assert_eq!(
            admission(
                &cache(2, 2, 2001),
                &limits(1000, 1 << 30, Some(2000), 32, 100)
            ),
            Admission::Wait
        );
        assert!(matches!(
            admission(&cache(2, 2, 2001), &limits(1000, 1 << 30, None, 32, 100)),
            Admission::Pull { .. }
        ));
    }
}
