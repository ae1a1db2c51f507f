//! The timer task: reads parked timer messages (timer topic, queue 0) into the [`TimerIndex`], delivers each at
//! its due time (`TIMER_OUT_MS`), never before, re-parks long ones before retention could remove them, and persists
//! its progress (`config/timerProgress.json`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::message::properties::TIMER_OUT_MS;
use ferrocket_protocol::message::RecordView;
use ferrocket_store::GetMessageStatus;

use super::deliver::{self, DeliverError};
use super::plan::TIMER_REQUEST_PROPS;
use super::queue_reader;
use super::timer_index::{TimerCheckpoint, TimerIndex};
use super::TIMER_TOPIC;
use crate::config_file;
use crate::error::BrokerError;
use crate::BrokerContext;

pub const TIMER_PROGRESS_FILE: &str = "timerProgress.json";

/// Queue units read per store call while filling the index.
const INGEST_BATCH: usize = 256;
/// Entries handled between yields to the runtime.
const HANDLE_BATCH: usize = 512;
/// Longest sleep without anything due (the loop then re-checks everything).
const IDLE: Duration = Duration::from_millis(500);
/// Pause after the store refused a delivery.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

pub fn load_checkpoint(path: &Path) -> Result<TimerCheckpoint, BrokerError> {
    Ok(config_file::load(path, |b| {
        serde_json::from_slice::<TimerCheckpoint>(b).map_err(|e| e.to_string())
    })?
    .unwrap_or_default())
}

fn save_checkpoint(path: &Path, cp: &TimerCheckpoint) -> Result<(), BrokerError> {
    let text = serde_json::to_vec_pretty(cp).unwrap_or_default();
    config_file::persist(path, &text)
}

/// Due time (`TIMER_OUT_MS`; 0, i.e. at once, when missing) and store time of a parked record.
fn due_and_stored(record: &[u8]) -> (i64, i64) {
    match RecordView::parse(record) {
        Ok(v) => (
            v.property(TIMER_OUT_MS)
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0),
            v.store_timestamp,
        ),
        Err(_) => (0, 0),
    }
}

/// Reads every new unit of the timer queue into the index. Returns the number of entries added.
async fn ingest_available(ctx: &BrokerContext, index: &mut TimerIndex) -> usize {
    let mut added = 0;
    loop {
        let from = index.ingested_up_to();
        // Nothing new (checked without a read, which would count in the store's get statistics).
        if ctx.store.max_offset_in_queue(TIMER_TOPIC, 0) == from {
            break;
        }
        let batch = queue_reader::read(ctx, TIMER_TOPIC, 0, from, INGEST_BATCH).await;
        match batch.status {
            GetMessageStatus::Found => {
                for (qoff, bytes) in &batch.records {
                    let (due, stored) = due_and_stored(bytes);
                    if index.ingest(*qoff, due, stored) {
                        added += 1;
                    }
                }
                index.skip_to(batch.next);
                tokio::task::yield_now().await;
            }
            GetMessageStatus::OffsetOverflowOne
            | GetMessageStatus::NoMessageInQueue
            | GetMessageStatus::NoMatchedLogicQueue => break,
            status => {
                if batch.next <= from {
                    break;
                }
                tracing::warn!(
                    from,
                    to = batch.next,
                    status = status.name(),
                    "timer queue entries unreadable (removed by retention?); skipped"
                );
                index.skip_to(batch.next);
            }
        }
    }
    added
}

/// What handling one woken entry did.
enum Handled {
    /// Delivered; how late (ms past its due time).
    Delivered(i64),
    Reparked,
    Dropped,
    /// The store refused; the entry is back in the index.
    Refused,
}

fn handle(ctx: &BrokerContext, index: &mut TimerIndex, now: i64) -> Option<Handled> {
    let key = index.pop_due(now)?;
    let r = ctx
        .store
        .get_message(TIMER_TOPIC, 0, key.queue_offset, 1, usize::MAX, None);
    let record = match (r.status, r.messages.first()) {
        (GetMessageStatus::Found, Some(rec))
            if r.queue_offsets.first() == Some(&key.queue_offset) =>
        {
            rec
        }
        (GetMessageStatus::OffsetTooSmall | GetMessageStatus::MessageWasRemoving, _) => {
            tracing::error!(
                queue_offset = key.queue_offset,
                status = r.status.name(),
                "parked timer record removed by retention; dropped"
            );
            index.handled(key);
            return Some(Handled::Dropped);
        }
        _ => {
            // It was read once, so it exists: try again shortly.
            index.retry_later(key);
            return Some(Handled::Refused);
        }
    };
    let (due, _) = due_and_stored(record);
    // Woken before its due time: the roll interval is over, park a fresh copy.
    let rolling = due > now;
    let outcome = if rolling {
        deliver::repark(ctx, record)
    } else {
        deliver::deliver(ctx, record, &TIMER_REQUEST_PROPS)
    };
    match outcome {
        Ok(()) => {
            index.handled(key);
            Some(if rolling {
                Handled::Reparked
            } else {
                Handled::Delivered(now - due)
            })
        }
        Err(DeliverError::Retry(why)) => {
            tracing::warn!(reason = %why, "timer delivery refused by the store; retrying");
            index.retry_later(key);
            Some(Handled::Refused)
        }
        Err(DeliverError::Skip(why)) => {
            tracing::error!(queue_offset = key.queue_offset, reason = %why, "timer message dropped");
            index.handled(key);
            Some(Handled::Dropped)
        }
    }
}

/// Handles up to [`HANDLE_BATCH`] woken entries. Returns whether the store refused one.
fn handle_due(ctx: &BrokerContext, index: &mut TimerIndex) -> bool {
    let now = ctx.store.now_ms();
    let stats = &ctx.schedule.stats;
    let precision = ctx
        .schedule
        .settings
        .current(&ctx.config())
        .timer_precision_ms;
    // One log line per batch: after downtime every overdue timer is late, and a line each would flood the log.
    let (mut late, mut late_count) = (0i64, 0u64);
    let mut refused = false;
    for _ in 0..HANDLE_BATCH {
        match handle(ctx, index, now) {
            None => break,
            Some(Handled::Delivered(late_ms)) => {
                stats.count_timer_delivered();
                if late_ms > precision.min(i64::MAX as u64) as i64 {
                    stats.count_timer_late();
                    late = late.max(late_ms);
                    late_count += 1;
                }
            }
            Some(Handled::Reparked) => {
                stats.count_timer_rolled();
                // The copy may be due soon: watch the queue for it.
                ctx.schedule.timer_arrival().announce(now);
            }
            Some(Handled::Dropped) => {}
            Some(Handled::Refused) => {
                refused = true;
                break;
            }
        }
    }
    if late_count > 0 {
        tracing::warn!(
            count = late_count,
            max_late_ms = late,
            timer_precision_ms = precision,
            "timer messages delivered later than timerPrecisionMs after their due time"
        );
    }
    refused
}

async fn persist(ctx: &BrokerContext, path: &Path, cp: TimerCheckpoint) -> bool {
    super::durable_now(ctx).await;
    let path = path.to_path_buf();
    match tokio::task::spawn_blocking(move || save_checkpoint(&path, &cp)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "persisting the timer progress failed");
            false
        }
        Err(_) => false,
    }
}

fn roll_interval(ctx: &BrokerContext) -> i64 {
    let c = ctx.schedule.settings.current(&ctx.config());
    c.timer_roll_interval_ms.min(i64::MAX as u64) as i64
}

/// Fills `index` with everything parked since its checkpoint. False if the broker shut down meanwhile.
async fn rebuild(ctx: &BrokerContext, index: &mut TimerIndex) -> bool {
    let started = std::time::Instant::now();
    tokio::select! {
        n = ingest_available(ctx, index) => {
            tracing::info!(pending = n, took = ?started.elapsed(), "timer index built");
            true
        }
        _ = ctx.shutdown.cancelled() => false,
    }
}

pub async fn run(ctx: Arc<BrokerContext>, path: Option<PathBuf>) {
    let restored = match &path {
        Some(p) => match load_checkpoint(p) {
            Ok(cp) => cp,
            Err(e) => {
                // Starting from scratch would deliver every parked timer again; leave them parked instead.
                tracing::error!(error = %e, "timer progress unreadable; timer delivery stays off");
                return;
            }
        },
        None => TimerCheckpoint::default(),
    };
    let svc = &ctx.schedule;
    let mut index = TimerIndex::new(restored, roll_interval(&ctx));
    // Half-way through, the old checkpoint is still right: keep it.
    if !rebuild(&ctx, &mut index).await {
        return;
    }
    svc.stats.set_pending(index.len());
    svc.stats.set_timer_ready();

    let mut saved = restored;
    let mut last_save = tokio::time::Instant::now();
    let arrival = svc.timer_arrival();
    loop {
        if ctx.shutdown.is_cancelled() {
            break;
        }
        let roll = roll_interval(&ctx);
        if roll != index.roll_interval_ms() {
            // Keys depend on the interval: rebuild as a restart would, from the current progress.
            index = TimerIndex::new(index.checkpoint(), roll);
            if !rebuild(&ctx, &mut index).await {
                break;
            }
        }
        ingest_available(&ctx, &mut index).await;
        let refused = handle_due(&ctx, &mut index);
        svc.stats.set_pending(index.len());
        let period = svc
            .settings
            .current(&ctx.config())
            .flush_delay_offset_interval_ms;
        if last_save.elapsed() >= Duration::from_millis(period) {
            if let Some(p) = &path {
                let cp = index.checkpoint();
                if cp != saved && persist(&ctx, p, cp).await {
                    saved = cp;
                }
            }
            last_save = tokio::time::Instant::now();
        }
        let now = ctx.store.now_ms();
        let wait = if refused {
            RETRY_PAUSE
        } else {
            match index.next_wake() {
                // More woken entries than one batch: go round again at once.
                Some(wake) if wake <= now => {
                    tokio::task::yield_now().await;
                    continue;
                }
                Some(wake) => Duration::from_millis((wake - now) as u64).min(IDLE),
                None => IDLE,
            }
        };
        let offset = index.ingested_up_to();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = arrival.wait(&ctx, TIMER_TOPIC, 0, offset, IDLE) => {}
            _ = ctx.shutdown.cancelled() => break,
        }
    }
    if let Some(p) = &path {
        let cp = index.checkpoint();
        if cp != saved {
            persist(&ctx, p, cp).await;
        }
    }
}
