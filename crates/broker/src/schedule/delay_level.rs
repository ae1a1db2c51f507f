//! One delivery task per delay level. A level's queue (SCHEDULE_TOPIC_XXXX queue level − 1) is in delivery-time
//! order, since every message in it waits the same delay from its store time, so the task only ever looks at the
//! head: it sleeps until the head is due (to the millisecond, never before), delivers it, and moves on. Progress is
//! the next queue offset, kept in the delay offset table.

use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::message::properties::DELAY;
use ferrocket_protocol::message::RecordView;
use ferrocket_store::dispatch::tags_code_of;
use ferrocket_store::GetMessageStatus;

use super::deliver::{self, DeliverError};
use super::queue_reader;
use crate::topic_validator::SCHEDULE_TOPIC;
use crate::BrokerContext;

/// Queue units read per store call.
const BATCH: usize = 32;
/// Longest idle wait before re-checking the queue.
const IDLE: Duration = Duration::from_millis(500);
/// Pause after the store refused a delivery.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// Sleeps until the store clock reaches `due_ms`. False if the broker shuts down first.
async fn sleep_until_due(ctx: &BrokerContext, due_ms: i64) -> bool {
    loop {
        let now = ctx.store.now_ms();
        if now >= due_ms {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis((due_ms - now) as u64)) => {}
            _ = ctx.shutdown.cancelled() => return false,
        }
    }
}

pub async fn run(ctx: Arc<BrokerContext>, level: i32) {
    let svc = &ctx.schedule;
    let queue_id = level - 1;
    let arrival = svc.level_arrival(level);
    let mut offset = svc.offsets.get(level);
    'outer: while !ctx.shutdown.is_cancelled() {
        // Nothing new (checked without a read, which would count in the store's get statistics).
        if ctx.store.max_offset_in_queue(SCHEDULE_TOPIC, queue_id) == offset {
            arrival
                .wait(&ctx, SCHEDULE_TOPIC, queue_id, offset, IDLE)
                .await;
            continue;
        }
        let batch = queue_reader::read(&ctx, SCHEDULE_TOPIC, queue_id, offset, BATCH).await;
        match batch.status {
            GetMessageStatus::Found => {}
            GetMessageStatus::OffsetOverflowOne
            | GetMessageStatus::NoMessageInQueue
            | GetMessageStatus::NoMatchedLogicQueue => {
                arrival
                    .wait(&ctx, SCHEDULE_TOPIC, queue_id, offset, IDLE)
                    .await;
                continue;
            }
            status => {
                // Removed by retention (too small), beyond the queue (a store that lost its tail), or a hole.
                if batch.next == offset {
                    arrival
                        .wait(&ctx, SCHEDULE_TOPIC, queue_id, offset, IDLE)
                        .await;
                    continue;
                }
                tracing::warn!(
                    level,
                    from = offset,
                    to = batch.next,
                    status = status.name(),
                    "delay queue position moved"
                );
                offset = batch.next;
                svc.offsets.set(level, offset);
                continue;
            }
        }
        for (qoff, rec) in &batch.records {
            match RecordView::parse(rec) {
                Ok(v) => {
                    let due = tags_code_of(&v, &svc.levels_ms);
                    if !sleep_until_due(&ctx, due).await {
                        break 'outer;
                    }
                }
                Err(e) => {
                    tracing::error!(level, queue_offset = qoff, error = %e, "unreadable delayed message dropped");
                    offset = qoff + 1;
                    svc.offsets.set(level, offset);
                    continue;
                }
            }
            match deliver::deliver(&ctx, rec, &[DELAY]) {
                Ok(()) => svc.stats.count_level_delivered(),
                Err(DeliverError::Retry(why)) => {
                    tracing::warn!(level, reason = %why, "delayed delivery refused by the store; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(RETRY_PAUSE) => {}
                        _ = ctx.shutdown.cancelled() => {}
                    }
                    continue 'outer;
                }
                Err(DeliverError::Skip(why)) => {
                    tracing::error!(level, queue_offset = qoff, reason = %why, "delayed message dropped");
                }
            }
            offset = qoff + 1;
            svc.offsets.set(level, offset);
        }
        // Units given up as unreadable are passed over too.
        if batch.next > offset {
            offset = batch.next;
            svc.offsets.set(level, offset);
        }
    }
}
