//! Push consumer settings (broker-config.md §5.3).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::body::{ConsumeFromWhere, MessageModel};

use crate::rebalance::{AllocateAveragely, AllocateStrategy};

/// Push consumer settings; defaults are the Java push consumer's.
#[derive(Debug, Clone)]
pub struct PushConsumerConfig {
    /// `consumerGroup`.
    pub group: String,
    pub message_model: MessageModel,
    /// Where a queue starts when the group has no stored offset for it.
    pub consume_from_where: ConsumeFromWhere,
    /// Start time (ms since the epoch) for `ConsumeFromTimestamp`; default: 30 minutes before start.
    pub consume_timestamp: Option<i64>,
    pub allocate_strategy: Arc<dyn AllocateStrategy>,
    /// Listener calls in flight at once (`consumeThreadMax`; `consumeThreadMin` is reported only).
    pub consume_thread_min: usize,
    pub consume_thread_max: usize,
    /// Messages per listener call (concurrent) or per orderly batch (`consumeMessageBatchMaxSize`).
    pub consume_batch_max_size: usize,
    /// Pause a queue's pulling while its cached messages span more offsets than this (concurrent only).
    pub consume_concurrently_max_span: i64,
    /// Pause a queue's pulling while it caches this many messages (`pullThresholdForQueue`).
    pub pull_threshold_for_queue: usize,
    /// ... or this many MiB of bodies (`pullThresholdSizeForQueue`).
    pub pull_threshold_size_for_queue_mib: u64,
    /// Messages per pull (`pullBatchSize`) and bytes per pull (`pullBatchSizeInBytes`).
    pub pull_batch_size: usize,
    pub pull_batch_size_bytes: usize,
    /// Pause between pulls of a queue (`pullInterval`).
    pub pull_interval: Duration,
    /// Send the subscription with every pull (`postSubscriptionWhenPull`).
    pub post_subscription_when_pull: bool,
    /// Deliveries before a message goes to the dead-letter queue; `None`: 16 (concurrent) or unlimited
    /// (orderly).
    pub max_reconsume_times: Option<i32>,
    /// Orderly: pause after `SuspendCurrentQueueAMoment` (`suspendCurrentQueueTimeMillis`).
    pub suspend_current_queue_time: Duration,
    /// Long-poll hold time the broker is asked for, and the pull request timeout.
    pub broker_suspend_max_time: Duration,
    pub pull_timeout: Duration,
    /// Rebalance period.
    pub rebalance_interval: Duration,
    /// Orderly: lock renewal period.
    pub lock_renew_interval: Duration,
    /// Broadcasting offsets directory (`<dir>/<clientId>/<group>/offsets.json`); default
    /// `$HOME/.rocketmq_offsets`.
    pub offset_store_dir: Option<PathBuf>,
    /// How long `shutdown` waits for listener calls in progress.
    pub await_termination: Duration,
}

impl Default for PushConsumerConfig {
    fn default() -> Self {
        PushConsumerConfig {
            group: "DEFAULT_CONSUMER".into(),
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_timestamp: None,
            allocate_strategy: Arc::new(AllocateAveragely),
            consume_thread_min: 20,
            consume_thread_max: 20,
            consume_batch_max_size: 1,
            consume_concurrently_max_span: 2000,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue_mib: 100,
            pull_batch_size: 32,
            pull_batch_size_bytes: 256 * 1024,
            pull_interval: Duration::ZERO,
            post_subscription_when_pull: false,
            max_reconsume_times: None,
            suspend_current_queue_time: Duration::from_millis(1000),
            broker_suspend_max_time: Duration::from_millis(15_000),
            pull_timeout: Duration::from_millis(30_000),
            rebalance_interval: Duration::from_millis(20_000),
            lock_renew_interval: Duration::from_millis(20_000),
            offset_store_dir: None,
            await_termination: Duration::from_secs(5),
        }
    }
}

impl PushConsumerConfig {
    pub(crate) fn offset_dir(&self) -> PathBuf {
        self.offset_store_dir.clone().unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir)
                .join(".rocketmq_offsets")
        })
    }

    pub(crate) fn size_threshold_bytes(&self) -> u64 {
        self.pull_threshold_size_for_queue_mib
            .saturating_mul(1024 * 1024)
    }
}
