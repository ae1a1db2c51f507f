//! The timer delivery task: reads parked timer messages (timer topic, queue 0) into the [`TimerIndex`], delivers
//! each at its due time (`TIMER_OUT_MS`), never before, and persists its progress (`config/timerProgress.json`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::message::properties::TIMER_OUT_MS;
use ferrocket_protocol::message::RecordView;
use ferrocket_store::GetMessageStatus;

use super::deliver::{self, DeliverError};
use super::plan::TIMER_REQUEST_PROPS;
use super::timer_index::{TimerCheckpoint, TimerIndex};
use super::TIMER_TOPIC;
use crate::config_file;
use crate::error::BrokerError;
use crate::BrokerContext;

pub const TIMER_PROGRESS_FILE: &str = "timerProgress.json";

/// Queue units read per store call while filling the index.
const INGEST_BATCH: usize = 256;
/// Deliveries between yields to the runtime.
const DELIVER_BATCH: usize = 512;
/// Longest sleep without anything due (the loop then re-checks everything).
const IDLE: Duration = Duration::from_millis(500);
/// Pause after the store refused a delivery.
const RETRY_PAUSE: Duration = Duration::from_millis(200);

pub fn load_checkpoint(path: &std::path::Path) -> Result<TimerCheckpoint, BrokerError> {
    Ok(config_file::load(path, |b| {
        serde_json::from_slice::<TimerCheckpoint>(b).map_err(|e| e.to_string())
    })?
    .unwrap_or_default())
}

fn save_checkpoint(path: &std::path::Path, cp: &TimerCheckpoint) -> Result<(), BrokerError> {
    let text = serde_json::to_vec_pretty(cp).unwrap_or_default();
    config_file::persist(path, &text)
}

/// Reads every new unit of the timer queue into the index. Returns the number of entries added.
async fn ingest_available(ctx: &BrokerContext, index: &mut TimerIndex) -> usize {
    let mut added = 0;
    loop {
        let from = index.ingested_up_to();
        let r = ctx
            .store
            .get_message(TIMER_TOPIC, 0, from, INGEST_BATCH, usize::MAX, None);
        match r.status {
            GetMessageStatus::Found => {
                for (bytes, qoff) in r.messages.iter().zip(&r.queue_offsets) {
                    // A record without a usable due time is delivered at once (its fate is decided there).
                    let due = RecordView::parse(bytes)
                        .ok()
                        .and_then(|v| v.property(TIMER_OUT_MS).and_then(|t| t.trim().parse().ok()))
                        .unwrap_or(0);
                    if index.ingest(*qoff, due) {
                        added += 1;
                    }
                }
                index.skip_to(r.next_begin_offset);
                tokio::task::yield_now().await;
            }
            GetMessageStatus::OffsetOverflowOne
            | GetMessageStatus::NoMessageInQueue
            | GetMessageStatus::NoMatchedLogicQueue => break,
            status => {
                if r.next_begin_offset <= from {
                    break;
                }
                tracing::warn!(
                    from,
                    to = r.next_begin_offset,
                    status = status.name(),
                    "timer queue entries unreadable (removed by retention?); skipped"
                );
                index.skip_to(r.next_begin_offset);
            }
        }
    }
    added
}

/// Delivers up to [`DELIVER_BATCH`] due entries. Returns (delivered, whether the store refused one).
fn deliver_due(ctx: &BrokerContext, index: &mut TimerIndex) -> (usize, bool) {
    let now = ctx.store.now_ms();
    let mut done = 0;
    while done < DELIVER_BATCH {
        let Some(key) = index.pop_due(now) else {
            break;
        };
        let r = ctx
            .store
            .get_message(TIMER_TOPIC, 0, key.queue_offset, 1, usize::MAX, None);
        let outcome = match (r.status, r.messages.first()) {
            (GetMessageStatus::Found, Some(rec))
                if r.queue_offsets.first() == Some(&key.queue_offset) =>
            {
                deliver::deliver(ctx, rec, &TIMER_REQUEST_PROPS)
            }
            _ => Err(DeliverError::Skip(format!(
                "parked record unreadable ({})",
                r.status.name()
            ))),
        };
        match outcome {
            Ok(()) => {
                ctx.schedule.stats.count_timer_delivered();
            }
            Err(DeliverError::Retry(why)) => {
                tracing::warn!(reason = %why, "timer delivery refused by the store; retrying");
                index.retry_later(key);
                return (done, true);
            }
            Err(DeliverError::Skip(why)) => {
                tracing::error!(queue_offset = key.queue_offset, reason = %why, "timer message dropped");
            }
        }
        index.delivered(key);
        done += 1;
    }
    (done, false)
}

async fn persist(ctx: &Arc<BrokerContext>, path: &PathBuf, cp: TimerCheckpoint) -> bool {
    super::durable_now(ctx).await;
    let path = path.clone();
    match tokio::task::spawn_blocking(move || save_checkpoint(&path, &cp)).await {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            tracing::error!(error = %e, "persisting the timer progress failed");
            false
        }
        Err(_) => false,
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
    let mut index = TimerIndex::new(restored);
    let started = std::time::Instant::now();
    // Rebuild: everything parked since the checkpoint, before any delivery.
    tokio::select! {
        n = ingest_available(&ctx, &mut index) => {
            tracing::info!(pending = n, took = ?started.elapsed(), "timer index rebuilt");
        }
        // Stopped half-way: the old checkpoint is still right, keep it.
        _ = ctx.shutdown.cancelled() => return,
    }
    svc.stats.set_pending(index.len());
    svc.stats.set_timer_ready();

    let interval = |ctx: &BrokerContext| {
        Duration::from_millis(
            svc.settings
                .current(&ctx.config.load_full())
                .flush_delay_offset_interval_ms,
        )
    };
    let mut saved = restored;
    let mut last_save = tokio::time::Instant::now();
    let arrival = svc.timer_arrival();
    loop {
        if ctx.shutdown.is_cancelled() {
            break;
        }
        ingest_available(&ctx, &mut index).await;
        let (_, refused) = deliver_due(&ctx, &mut index);
        svc.stats.set_pending(index.len());
        if last_save.elapsed() >= interval(&ctx) {
            let cp = index.checkpoint();
            if cp != saved && path.is_some() {
                if let Some(p) = &path {
                    if persist(&ctx, p, cp).await {
                        saved = cp;
                    }
                }
            }
            last_save = tokio::time::Instant::now();
        }
        let now = ctx.store.now_ms();
        let wait = if refused {
            RETRY_PAUSE
        } else {
            match index.next_due() {
                // Due already (more than one batch): go round again at once.
                Some(due) if due <= now => {
                    tokio::task::yield_now().await;
                    continue;
                }
                Some(due) => Duration::from_millis((due - now) as u64).min(IDLE),
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
