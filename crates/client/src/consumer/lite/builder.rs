//! `LitePullConsumer::builder()`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::body::{ConsumeFromWhere, MessageModel};

use super::{LitePullConsumer, LitePullConsumerConfig};
use crate::config::{client_config_setters, ClientConfig};
use crate::consumer::subscription::MessageSelector;
use crate::error::{ClientError, Result};
use crate::message::validate_topic;
use crate::rebalance::AllocateStrategy;

/// Builds a [`LitePullConsumer`]. Either subscribe here (queues are rebalanced within the group) or call
/// [`LitePullConsumer::assign`] after start.
#[derive(Default)]
pub struct LitePullConsumerBuilder {
    client: ClientConfig,
    config: LitePullConsumerConfig,
    selectors: Vec<(String, MessageSelector)>,
}

impl LitePullConsumerBuilder {
    client_config_setters!();

    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.config.group = group.into();
        self
    }

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

    pub fn message_model(mut self, model: MessageModel) -> Self {
        self.config.message_model = model;
        self
    }

    pub fn consume_from_where(mut self, from: ConsumeFromWhere) -> Self {
        self.config.consume_from_where = from;
        self
    }

    pub fn consume_timestamp(mut self, ms: i64) -> Self {
        self.config.consume_timestamp = Some(ms);
        self
    }

    pub fn allocate_strategy(mut self, strategy: impl AllocateStrategy) -> Self {
        self.config.allocate_strategy = Arc::new(strategy);
        self
    }

    pub fn pull_batch_size(mut self, n: usize) -> Self {
        self.config.pull_batch_size = n;
        self
    }

    pub fn pull_threshold_for_queue(mut self, n: usize) -> Self {
        self.config.pull_threshold_for_queue = n;
        self
    }

    pub fn poll_timeout(mut self, d: Duration) -> Self {
        self.config.poll_timeout = d;
        self
    }

    pub fn auto_commit(mut self, enable: bool) -> Self {
        self.config.auto_commit = enable;
        self
    }

    pub fn offset_store_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.config.offset_store_dir = Some(dir.into());
        self
    }

    pub fn config(mut self, config: LitePullConsumerConfig) -> Self {
        self.config = config;
        self
    }

    pub fn build(self) -> Result<LitePullConsumer> {
        self.client.validate()?;
        if self.config.group.is_empty() {
            return Err(ClientError::Config("consumer group is empty".into()));
        }
        if self.config.pull_batch_size == 0 || self.config.pull_threshold_for_queue == 0 {
            return Err(ClientError::Config(
                "batch size and threshold must be positive".into(),
            ));
        }
        for (t, _) in &self.selectors {
            validate_topic(t)?;
        }
        Ok(LitePullConsumer::from_parts(
            self.config,
            self.client,
            self.selectors,
        ))
    }
}
