//! Producer settings (broker-config.md §5.2).

use std::time::Duration;

/// Producer settings; defaults are the Java producer's.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// `producerGroup`.
    pub group: String,
    /// Template topic brokers auto-create new topics from (`createTopicKey`).
    pub create_topic_key: String,
    /// Queue count asked for when a topic is auto-created (`defaultTopicQueueNums`).
    pub default_topic_queue_nums: i32,
    /// Budget of one send including its retries (`sendMsgTimeout`).
    pub send_timeout: Duration,
    /// Extra attempts of a send, on another broker when there is one (`retryTimesWhenSendFailed`).
    pub retry_times: u32,
    /// The same for sends started with `send_async` (`retryTimesWhenSendAsyncFailed`).
    pub retry_times_async: u32,
    /// Also retry when the broker stored the message but answered a flush/slave timeout.
    pub retry_another_broker_when_not_store_ok: bool,
    /// Bodies of at least this many bytes are zlib-compressed (`compressMsgBodyOverHowmuch`).
    pub compress_over: usize,
    /// zlib level (`compressLevel`).
    pub compress_level: u32,
    /// Largest body (or batch body) accepted (`maxMessageSize`).
    pub max_message_size: usize,
    /// Bench brokers that just failed or answered slowly when choosing a queue.
    pub latency_fault_enable: bool,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            group: "DEFAULT_PRODUCER".into(),
            create_topic_key: "TBW102".into(),
            default_topic_queue_nums: 4,
            send_timeout: Duration::from_millis(3000),
            retry_times: 2,
            retry_times_async: 2,
            retry_another_broker_when_not_store_ok: false,
            compress_over: 4096,
            compress_level: 5,
            max_message_size: 4 * 1024 * 1024,
            latency_fault_enable: true,
        }
    }
}
