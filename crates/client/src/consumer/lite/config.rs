//! Lite pull consumer settings (broker-config.md §5.3, last paragraph).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::body::{ConsumeFromWhere, MessageModel};

use crate::rebalance::{AllocateAveragely, AllocateStrategy};

#[derive(Debug, Clone)]
pub struct LitePullConsumerConfig {
    pub group: String,
    pub message_model: MessageModel,
    pub consume_from_where: ConsumeFromWhere,
    /// For `ConsumeFromTimestamp`; default 30 minutes before start.
    pub consume_timestamp: Option<i64>,
    pub allocate_strategy: Arc<dyn AllocateStrategy>,
    /// Messages per pull (`pullBatchSize`, default 10).
    pub pull_batch_size: usize,
    /// Messages pulled but not yet polled, per queue, before its pulling pauses.
    pub pull_threshold_for_queue: usize,
    /// Default wait of `poll`.
    pub poll_timeout: Duration,
    /// Commit polled messages' offsets automatically every `auto_commit_interval`.
    pub auto_commit: bool,
    pub auto_commit_interval: Duration,
    pub broker_suspend_max_time: Duration,
    pub pull_timeout: Duration,
    pub rebalance_interval: Duration,
    pub offset_store_dir: Option<PathBuf>,
}

impl Default for LitePullConsumerConfig {
    fn default() -> Self {
        LitePullConsumerConfig {
            group: "DEFAULT_CONSUMER".into(),
            message_model: MessageModel::Clustering,
            consume_from_where: ConsumeFromWhere::ConsumeFromLastOffset,
            consume_timestamp: None,
            allocate_strategy: Arc::new(AllocateAveragely),
            pull_batch_size: 10,
            pull_threshold_for_queue: 1000,
            poll_timeout: Duration::from_millis(5000),
            auto_commit: true,
            auto_commit_interval: Duration::from_millis(5000),
            broker_suspend_max_time: Duration::from_millis(20_000),
            pull_timeout: Duration::from_millis(30_000),
            rebalance_interval: Duration::from_millis(20_000),
            offset_store_dir: None,
        }
    }
}
