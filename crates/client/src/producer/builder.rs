//! `Producer::builder()`.

use std::sync::Arc;
use std::time::Duration;

use super::{Producer, ProducerConfig, TransactionListener};
use crate::config::{client_config_setters, ClientConfig};
use crate::error::{ClientError, Result};

/// Builds a [`Producer`].
#[derive(Default)]
pub struct ProducerBuilder {
    client: ClientConfig,
    config: ProducerConfig,
    listener: Option<Arc<dyn TransactionListener>>,
}

impl ProducerBuilder {
    client_config_setters!();

    /// Producer group (default `DEFAULT_PRODUCER`).
    pub fn group(mut self, group: impl Into<String>) -> Self {
        self.config.group = group.into();
        self
    }

    /// Budget of one send including retries (default 3 s).
    pub fn send_timeout(mut self, timeout: Duration) -> Self {
        self.config.send_timeout = timeout;
        self
    }

    /// Extra attempts for `send` (default 2).
    pub fn retry_times(mut self, n: u32) -> Self {
        self.config.retry_times = n;
        self
    }

    /// Extra attempts for `send_async` (default 2).
    pub fn retry_times_async(mut self, n: u32) -> Self {
        self.config.retry_times_async = n;
        self
    }

    /// Compress bodies of at least this many bytes (default 4096).
    pub fn compress_over(mut self, bytes: usize) -> Self {
        self.config.compress_over = bytes;
        self
    }

    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.config.max_message_size = bytes;
        self
    }

    /// Template topic for auto-creation (default `TBW102`) and the queue count to ask for (default 4).
    pub fn auto_create(mut self, create_topic_key: impl Into<String>, queue_nums: i32) -> Self {
        self.config.create_topic_key = create_topic_key.into();
        self.config.default_topic_queue_nums = queue_nums;
        self
    }

    pub fn latency_fault_enable(mut self, enable: bool) -> Self {
        self.config.latency_fault_enable = enable;
        self
    }

    /// Replaces every producer setting at once.
    pub fn config(mut self, config: ProducerConfig) -> Self {
        self.config = config;
        self
    }

    /// Makes this a transactional producer: `listener` runs local transactions and answers broker checks.
    pub fn transaction_listener(mut self, listener: impl TransactionListener) -> Self {
        self.listener = Some(Arc::new(listener));
        self
    }

    pub fn build(self) -> Result<Producer> {
        self.client.validate()?;
        if self.config.group.is_empty() {
            return Err(ClientError::Config("producer group is empty".into()));
        }
        if self.config.send_timeout.is_zero() {
            return Err(ClientError::Config("send timeout must be positive".into()));
        }
        if self.config.default_topic_queue_nums <= 0 {
            return Err(ClientError::Config(
                "defaultTopicQueueNums must be positive".into(),
            ));
        }
        Ok(Producer::from_parts(
            self.config,
            self.client,
            self.listener,
        ))
    }
}
