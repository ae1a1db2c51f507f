//! Scheduled delivery: delay levels (`DELAY`, parked in `SCHEDULE_TOPIC_XXXX` queue level − 1) and 5.x timer
//! messages (`TIMER_DELIVER_MS` / `TIMER_DELAY_SEC` / `TIMER_DELAY_MS`, parked in `rmq_sys_wheel_timer` queue 0),
//! delivered to their real topic when due.
//!
//! - The send path calls [`redirect_for_delivery`] for each message; it decides ([`plan`]) and rewrites the
//!   properties (real topic and queue saved in `REAL_TOPIC` / `REAL_QID`; for timers the due time in
//!   `TIMER_OUT_MS`). Messages without any of those properties cost one substring search.
//! - A batch (SEND_BATCH_MESSAGE) cannot be parked message by message: [`batch::refuse_deferred`] refuses one
//!   that holds a delayed or timer message (MESSAGE_ILLEGAL) rather than deliver it early.
//! - Settings come from the broker config keys (see [`timer_config`]) and follow UPDATE_BROKER_CONFIG live.
//! - Parked messages are ordinary commit-log records, durable like any other.
//! - [`run`] drives delivery: one task per delay level ([`delay_level`]) and one for timers ([`timer_task`]), each
//!   sleeping until its next due time. Timers due more than `timerRollIntervalMs` (a day) after parking are
//!   re-parked then, so retention cannot remove them first (this is what lets `timerMaxDelaySec` exceed the
//!   72 h default `fileReservedTime`). Progress lives in `config/delayOffset.json` (Apache's shape) and
//!   `config/timerProgress.json`, written every `flushDelayOffsetInterval` and at shutdown, and only once the
//!   delivered copies are durable under SYNC_FLUSH. A clean restart delivers each message exactly once; after a
//!   crash, deliveries since the last write may repeat (never lost, never early).

pub mod admin;
pub mod arrival;
pub mod batch;
pub mod delay_level;
pub mod delay_offsets;
pub mod deliver;
pub mod plan;
pub mod props_edit;
pub mod queue_reader;
pub mod timer_config;
pub mod timer_index;
pub mod timer_task;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::message::properties::{
    DELAY, REAL_QID, REAL_TOPIC, TIMER_DELAY_MS, TIMER_DELAY_SEC, TIMER_DELIVER_MS, TIMER_OUT_MS,
};
use ferrocket_protocol::message::sysflag;
use ferrocket_store::FlushDiskType;

use crate::config::BrokerConfig;
use crate::error::BrokerError;
use crate::message_build::RecordMeta;
use crate::processor::Failure;
use crate::topic_validator::SCHEDULE_TOPIC;
use crate::BrokerContext;
use arrival::Arrival;
use delay_offsets::DelayOffsets;
use plan::Plan;
use timer_config::{ScheduleSettings, TimerConfig};

/// Apache 5.x's topic for parked timer messages (queue 0).
pub const TIMER_TOPIC: &str = "rmq_sys_wheel_timer";

/// Where a message is actually stored when its delivery is deferred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub topic: String,
    pub queue_id: i32,
    /// The stored properties, with the real topic and queue saved (`REAL_TOPIC`, `REAL_QID`).
    pub properties: String,
}

/// Counters for tests, benchmarks and monitoring.
#[derive(Default)]
pub struct ScheduleStats {
    pending_timers: AtomicU64,
    level_delivered: AtomicU64,
    timer_delivered: AtomicU64,
    timer_rolled: AtomicU64,
    timer_late: AtomicU64,
    timer_ready: AtomicBool,
}

impl ScheduleStats {
    /// Timer messages in the index, waiting for their due time.
    pub fn pending_timers(&self) -> u64 {
        self.pending_timers.load(Ordering::Relaxed)
    }

    /// Delay-level messages delivered since start.
    pub fn level_delivered(&self) -> u64 {
        self.level_delivered.load(Ordering::Relaxed)
    }

    /// Timer messages delivered since start.
    pub fn timer_delivered(&self) -> u64 {
        self.timer_delivered.load(Ordering::Relaxed)
    }

    /// Long timers re-parked since start (see `timer_index`).
    pub fn timer_rolled(&self) -> u64 {
        self.timer_rolled.load(Ordering::Relaxed)
    }

    /// Timer messages delivered more than `timerPrecisionMs` after their due time since start.
    pub fn timer_late(&self) -> u64 {
        self.timer_late.load(Ordering::Relaxed)
    }

    /// Whether the timer index has been rebuilt after start (deliveries begin then).
    pub fn timer_ready(&self) -> bool {
        self.timer_ready.load(Ordering::Acquire)
    }

    fn set_pending(&self, n: usize) {
        self.pending_timers.store(n as u64, Ordering::Relaxed);
    }

    fn set_timer_ready(&self) {
        self.timer_ready.store(true, Ordering::Release);
    }

    fn count_level_delivered(&self) {
        self.level_delivered.fetch_add(1, Ordering::Relaxed);
    }

    fn count_timer_delivered(&self) {
        self.timer_delivered.fetch_add(1, Ordering::Relaxed);
    }

    fn count_timer_late(&self) {
        self.timer_late.fetch_add(1, Ordering::Relaxed);
    }

    fn count_timer_rolled(&self) {
        self.timer_rolled.fetch_add(1, Ordering::Relaxed);
    }
}

/// The broker's scheduled-delivery state (one per broker, in [`BrokerContext::schedule`]).
pub struct ScheduleService {
    /// Delay of each level in ms (`messageDelayLevel`), level 1 first.
    pub levels_ms: Vec<i64>,
    pub offsets: DelayOffsets,
    pub settings: ScheduleSettings,
    pub stats: ScheduleStats,
    /// One per level, then the timer queue's.
    arrivals: Vec<Arrival>,
    timer_progress_path: Option<PathBuf>,
}

impl ScheduleService {
    /// Loads `config/delayOffset.json` under the store root (fails like the other config files when it exists but
    /// neither it nor its `.bak` can be read: starting over would deliver everything again).
    pub fn load(config: &BrokerConfig) -> Result<Self, BrokerError> {
        let root = &config.store.store_path_root_dir;
        let levels_ms = config.store.delay_levels_ms().unwrap_or_default();
        let n = levels_ms.len();
        Ok(ScheduleService {
            levels_ms,
            offsets: DelayOffsets::load(DelayOffsets::path_for(root))?,
            settings: ScheduleSettings::default(),
            stats: ScheduleStats::default(),
            arrivals: (0..=n).map(|_| Arrival::default()).collect(),
            timer_progress_path: Some(crate::config_file::config_path(
                root,
                timer_task::TIMER_PROGRESS_FILE,
            )),
        })
    }

    /// Replaces the timer settings taken from the broker config (`None`: back to the config's).
    pub fn set_timer_config(&self, config: Option<TimerConfig>) {
        self.settings.set_override(config);
    }

    fn level_arrival(&self, level: i32) -> &Arrival {
        &self.arrivals[(level - 1) as usize]
    }

    fn timer_arrival(&self) -> &Arrival {
        &self.arrivals[self.levels_ms.len()]
    }
}

/// Decides whether a message being stored (`meta`, with its final `properties`) is to be delivered later, and if so
/// where it is parked instead. `None`: store it where it was sent. Errors: MESSAGE_ILLEGAL for a bad or too long
/// timer. Half and rollback messages are never deferred (their commit is).
pub fn redirect_for_delivery(
    ctx: &BrokerContext,
    meta: &RecordMeta<'_>,
    properties: &str,
) -> Result<Option<Redirect>, Failure> {
    if !plan::might_defer(properties) {
        return Ok(None);
    }
    let tx = meta.sys_flag & sysflag::TRANSACTION_MASK;
    if tx == sysflag::TRANSACTION_PREPARED_TYPE || tx == sysflag::TRANSACTION_ROLLBACK_TYPE {
        return Ok(None);
    }
    let svc = &ctx.schedule;
    let now = ctx.store.now_ms();
    let timer = svc.settings.current(&ctx.config());
    let qid = meta.queue_id.to_string();
    match plan::plan(properties, now, svc.levels_ms.len(), &timer)? {
        Plan::AsIs => Ok(None),
        Plan::Level(level) => {
            let level_text = level.to_string();
            let props = props_edit::rewrite(
                properties,
                &[TIMER_DELIVER_MS, TIMER_DELAY_SEC, TIMER_DELAY_MS],
                &[
                    (REAL_TOPIC, meta.topic),
                    (REAL_QID, &qid),
                    (DELAY, &level_text),
                ],
            );
            svc.level_arrival(level).announce(now);
            Ok(Some(Redirect {
                topic: SCHEDULE_TOPIC.to_string(),
                queue_id: level - 1,
                properties: props,
            }))
        }
        Plan::Timer(deliver_ms) => {
            let at = deliver_ms.to_string();
            let props = props_edit::rewrite(
                properties,
                &[],
                &[
                    (REAL_TOPIC, meta.topic),
                    (REAL_QID, &qid),
                    (TIMER_OUT_MS, &at),
                ],
            );
            svc.timer_arrival().announce(now);
            Ok(Some(Redirect {
                topic: TIMER_TOPIC.to_string(),
                queue_id: 0,
                properties: props,
            }))
        }
    }
}

/// Under SYNC_FLUSH, waits until everything appended so far is on disk, so a progress file never claims a delivery
/// whose copy a power loss could still take back. Under ASYNC_FLUSH the store itself promises no more.
async fn durable_now(ctx: &BrokerContext) {
    if ctx.store.config().flush_disk_type == FlushDiskType::SyncFlush {
        let end = ctx.store.commit_log_max_offset();
        let limit = Duration::from_millis(ctx.store.config().sync_flush_timeout.max(1000));
        ctx.store.wait_flushed(end, limit).await;
    }
}

async fn persist_offsets(ctx: &Arc<BrokerContext>) {
    if !ctx.schedule.offsets.is_dirty() {
        return;
    }
    durable_now(ctx).await;
    let c = ctx.clone();
    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || c.schedule.offsets.persist()).await {
        tracing::error!(error = %e, "persisting delay offsets failed");
    }
}

/// Runs scheduled delivery until the broker shuts down, then writes the progress. Masters only (a slave's store
/// takes no writes).
pub async fn run(ctx: Arc<BrokerContext>) {
    if !ctx.is_master() {
        ctx.shutdown.cancelled().await;
        return;
    }
    let mut tasks = tokio::task::JoinSet::new();
    for level in 1..=ctx.schedule.levels_ms.len() as i32 {
        tasks.spawn(delay_level::run(ctx.clone(), level));
    }
    tasks.spawn(timer_task::run(
        ctx.clone(),
        ctx.schedule.timer_progress_path.clone(),
    ));
    loop {
        let period = ctx
            .schedule
            .settings
            .current(&ctx.config())
            .flush_delay_offset_interval_ms;
        tokio::select! {
            _ = ctx.shutdown.cancelled() => break,
            _ = tokio::time::sleep(Duration::from_millis(period)) => persist_offsets(&ctx).await,
        }
    }
    while tasks.join_next().await.is_some() {}
    persist_offsets(&ctx).await;
}
