//! `PushConsumer::builder()`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::body::{ConsumeFromWhere, MessageModel};

use super::{Listener, PushConsumer, PushConsumerConfig};
use crate::config::{client_config_setters, ClientConfig};
use crate::consumer::listener::{MessageListener, OrderlyMessageListener};
use crate::consumer::subscription::MessageSelector;
use crate::error::{ClientError, Result};
use crate::message::validate_topic;
use crate::rebalance::AllocateStrategy;

/// Builds a [`PushConsumer`].
#[derive(Default)]
pub struct PushConsumerBuilder {
    client: ClientConfig,
    config: PushConsumerConfig,
    selectors: Vec<(String, MessageSelector)>,
    listener: Option<Listener>,
}

impl PushConsumerBuilder {
    client_config_setters!();

    /// Consumer group (default `DEFAULT_CONSUMER`).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.config.group = group.into();
        self
    }

    /// Subscribes to `topic` with a tag expression (`*`, or `TagA || TagB`) or a [`MessageSelector`].
    pub fn subscribe(
        mut self,
        topic: impl Into<String>,
        selector: impl Into<MessageSelector>,
    ) -> Self {
        let topic = topic.into();
        self.selectors.retain(|(t, _)| *t != topic);
        self.selectors.push((topic, selector.into()));
        self
    }

    /// Subscribes with a SQL92 expression over message properties.
    pub fn subscribe_sql(self, topic: impl Into<String>, expr: impl Into<String>) -> Self {
        self.subscribe(topic, MessageSelector::sql92(expr))
    }

    /// Every member receives every message (offsets kept locally) instead of sharing queues.
    pub fn message_model(mut self, model: MessageModel) -> Self {
        self.config.message_model = model;
        self
    }

    pub fn consume_from_where(mut self, from: ConsumeFromWhere) -> Self {
        self.config.consume_from_where = from;
        self
    }

    /// Start time for `ConsumeFromTimestamp`, ms since the epoch.
    pub fn consume_timestamp(mut self, ms: i64) -> Self {
        self.config.consume_timestamp = Some(ms);
        self
    }

    pub fn allocate_strategy(mut self, strategy: impl AllocateStrategy) -> Self {
        self.config.allocate_strategy = Arc::new(strategy);
        self
    }

    /// Listener calls in flight at once (`consumeThreadMin`/`consumeThreadMax`).
    pub fn consume_threads(mut self, min: usize, max: usize) -> Self {
        self.config.consume_thread_min = min;
        self.config.consume_thread_max = max;
        self
    }

    /// Messages per listener call (default 1).
    pub fn consume_batch_max_size(mut self, n: usize) -> Self {
        self.config.consume_batch_max_size = n;
        self
    }

    pub fn pull_batch_size(mut self, n: usize) -> Self {
        self.config.pull_batch_size = n;
        self
    }

    /// Flow control per queue: cached messages (default 1000) and MiB (default 100).
    pub fn pull_threshold_for_queue(mut self, count: usize, mib: u64) -> Self {
        self.config.pull_threshold_for_queue = count;
        self.config.pull_threshold_size_for_queue_mib = mib;
        self
    }

    pub fn max_reconsume_times(mut self, n: i32) -> Self {
        self.config.max_reconsume_times = Some(n);
        self
    }

    pub fn suspend_current_queue_time(mut self, d: Duration) -> Self {
        self.config.suspend_current_queue_time = d;
        self
    }

    /// Where broadcasting consumers keep their offsets.
    pub fn offset_store_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.offset_store_dir = Some(dir.into());
        self
    }

    pub fn rebalance_interval(mut self, d: Duration) -> Self {
        self.config.rebalance_interval = d;
        self
    }

    /// Replaces every consumer setting at once.
    pub fn config(mut self, config: PushConsumerConfig) -> Self {
        self.config = config;
        self
    }

    /// Concurrent consumption through `listener`.
    pub fn listener(mut self, listener: impl MessageListener) -> Self {
        self.listener = Some(Listener::Concurrent(Arc::new(listener)));
        self
    }

    /// Orderly consumption: one queue's messages in queue order, one batch at a time per queue.
    pub fn orderly_listener(mut self, listener: impl OrderlyMessageListener) -> Self {
        self.listener = Some(Listener::Orderly(Arc::new(listener)));
        self
    }

    pub fn build(self) -> Result<PushConsumer> {
        self.client.validate()?;
        let cfg = &self.config;
        if cfg.group.is_empty() || cfg.group.len() > 120 {
            return Err(ClientError::Config(
                "consumer group must be 1..=120 characters".into(),
            ));
        }
        if self.selectors.is_empty() {
            return Err(ClientError::Config("no subscription".into()));
        }
        for (topic, _) in &self.selectors {
            validate_topic(topic)?;
        }
        if cfg.consume_thread_max == 0 || cfg.consume_thread_min > cfg.consume_thread_max {
            return Err(ClientError::Config(
                "consume threads: need 0 < min <= max".into(),
            ));
        }
        if cfg.consume_batch_max_size == 0
            || cfg.pull_batch_size == 0
            || cfg.pull_threshold_for_queue == 0
        {
            return Err(ClientError::Config(
                "batch sizes and thresholds must be positive".into(),
            ));
        }
        let Some(listener) = self.listener else {
            return Err(ClientError::Config("no message listener".into()));
        };
        Ok(PushConsumer::from_parts(
            self.config,
            self.client,
            self.selectors,
            listener,
        ))
    }
}
