//! The producer: sync, async and oneway sends, batches, queue selection, retries with fault avoidance,
//! transactional sends.
//!
//! ```no_run
//! # async fn demo() -> ferrocket_client::Result<()> {
//! use ferrocket_client::{Message, Producer};
//! let producer = Producer::builder().namesrv("127.0.0.1:9876").group("P1").build()?;
//! producer.start().await?;
//! let r = producer.send(Message::new("TopicTest", "hello").with_tags("A")).await?;
//! println!("{} at {}:{}", r.msg_id, r.queue, r.queue_offset);
//! producer.shutdown().await;
//! # Ok(()) }
//! ```

mod builder;
mod config;
mod fault;
pub(crate) mod prepare;
mod selector;
mod send_result;
mod transaction;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use ferrocket_protocol::body::MessageQueue;
use ferrocket_protocol::codes::response_code;
use parking_lot::RwLock;

pub use builder::ProducerBuilder;
pub use config::ProducerConfig;
pub use fault::LatencyFaultTolerance;
pub use selector::{QueueSelector, SelectByHash, SelectRandom};
pub use send_result::{SendResult, SendStatus};
pub use transaction::{LocalTransactionState, TransactionListener, TransactionSendResult};

use crate::api::send::{SendContext, SendHeader};
use crate::config::ClientConfig;
use crate::error::{ClientError, Result};
use crate::instance::{ClientInstance, ProducerHandle};
use crate::message::Message;
use crate::route::TopicRoute;
use prepare::Prepared;

/// A producer. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Producer {
    inner: Arc<ProducerInner>,
}

pub(crate) struct ProducerInner {
    config: ProducerConfig,
    client: ClientConfig,
    instance: OnceLock<Arc<ClientInstance>>,
    closed: AtomicBool,
    fault: LatencyFaultTolerance,
    /// Routes built from the auto-create template for topics the name servers don't know yet, with when.
    template_routes: RwLock<HashMap<String, (Instant, Arc<TopicRoute>)>>,
    listener: Option<Arc<dyn TransactionListener>>,
}

impl std::fmt::Debug for Producer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Producer")
            .field("group", &self.inner.config.group)
            .finish_non_exhaustive()
    }
}

impl Producer {
    pub fn builder() -> ProducerBuilder {
        ProducerBuilder::default()
    }

    pub(crate) fn from_parts(
        config: ProducerConfig,
        client: ClientConfig,
        listener: Option<Arc<dyn TransactionListener>>,
    ) -> Self {
        Producer {
            inner: Arc::new(ProducerInner {
                fault: LatencyFaultTolerance::new(config.latency_fault_enable),
                config,
                client,
                instance: OnceLock::new(),
                closed: AtomicBool::new(false),
                template_routes: RwLock::new(HashMap::new()),
                listener,
            }),
        }
    }

    /// A producer attached to an existing instance without registering its group (the consumers' retry
    /// fallback uses one).
    pub(crate) fn internal(instance: Arc<ClientInstance>, group: &str) -> Producer {
        let config = ProducerConfig {
            group: group.to_owned(),
            ..Default::default()
        };
        let p = Producer::from_parts(config, instance.config().clone(), None);
        let _ = p.inner.instance.set(instance);
        p
    }

    pub fn config(&self) -> &ProducerConfig {
        &self.inner.config
    }

    /// Joins (or creates) the client instance and registers the group. Idempotent.
    pub async fn start(&self) -> Result<()> {
        if self.inner.instance.get().is_some() {
            return Ok(());
        }
        let instance = ClientInstance::obtain(&self.inner.client).await?;
        let weak: std::sync::Weak<dyn ProducerHandle> = Arc::downgrade(&self.inner) as _;
        instance.register_producer(weak, &self.inner.config.group)?;
        if self.inner.instance.set(instance.clone()).is_err() {
            return Ok(());
        }
        instance.heartbeat_soon();
        Ok(())
    }

    /// Unregisters the group from every broker; later sends fail.
    pub async fn shutdown(&self) {
        if self.inner.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(instance) = self.inner.instance.get() {
            instance.unregister_producer(&self.inner.config.group).await;
        }
    }

    /// The client instance (after `start`).
    pub fn instance(&self) -> Result<&Arc<ClientInstance>> {
        self.inner.instance()
    }

    /// Sends and waits for the broker's answer, retrying on another broker on retryable failures, all within
    /// `send_timeout`.
    pub async fn send(&self, msg: Message) -> Result<SendResult> {
        self.send_with_timeout(msg, self.inner.config.send_timeout)
            .await
    }

    pub async fn send_with_timeout(&self, msg: Message, timeout: Duration) -> Result<SendResult> {
        let p = prepare::prepare_single(msg, &self.inner.config)?;
        self.inner
            .send_with_retries(&p, timeout, self.inner.config.retry_times)
            .await
    }

    /// Starts a send in the background and returns a future of its result (retries:
    /// `retry_times_async`). The send goes ahead even if the future is dropped.
    pub fn send_async(&self, msg: Message) -> SendFuture {
        let inner = self.inner.clone();
        let handle = tokio::spawn(async move {
            let p = prepare::prepare_single(msg, &inner.config)?;
            let retries = inner.config.retry_times_async;
            inner
                .send_with_retries(&p, inner.config.send_timeout, retries)
                .await
        });
        SendFuture { handle }
    }

    /// Starts a send in the background and calls `callback` with its result.
    pub fn send_with_callback<F>(&self, msg: Message, callback: F)
    where
        F: FnOnce(Result<SendResult>) + Send + 'static,
    {
        let fut = self.send_async(msg);
        tokio::spawn(async move { callback(fut.await) });
    }

    /// Sends without waiting for an answer and without retries. `Ok` only means the request was queued.
    pub async fn send_oneway(&self, msg: Message) -> Result<()> {
        let p = prepare::prepare_single(msg, &self.inner.config)?;
        let inner = &self.inner;
        let instance = inner.instance()?;
        let route = inner.publish_route(&p.topic).await?;
        let mq = route
            .publish
            .select(None, |b| inner.fault.is_available(b))
            .cloned()
            .ok_or_else(|| ClientError::NoRoute(p.topic.clone()))?;
        let addr = instance
            .master_addr_or_refresh(&mq.broker_name, &p.topic)
            .await?;
        instance
            .send_message_oneway(&addr, &mq, &p, &mut SendHeader::new(&p, inner.ctx()))
            .await
    }

    /// Sends to one given queue (one attempt).
    pub async fn send_to_queue(&self, msg: Message, mq: &MessageQueue) -> Result<SendResult> {
        if msg.topic != mq.topic {
            return Err(ClientError::InvalidMessage(format!(
                "message topic {} differs from queue topic {}",
                msg.topic, mq.topic
            )));
        }
        let p = prepare::prepare_single(msg, &self.inner.config)?;
        self.inner
            .send_once(&p, mq, self.inner.config.send_timeout)
            .await
    }

    /// Sends to the queue `selector` picks among the topic's writable queues (one attempt, no failover, so that
    /// ordering by queue holds).
    pub async fn send_with_selector<S: QueueSelector + ?Sized>(
        &self,
        msg: Message,
        selector: &S,
    ) -> Result<SendResult> {
        let route = self.inner.publish_route(&msg.topic).await?;
        if route.publish.is_empty() {
            return Err(ClientError::NoRoute(msg.topic));
        }
        let idx = selector.select(&route.publish.queues, &msg) % route.publish.queues.len();
        let mq = route.publish.queues[idx].clone();
        let p = prepare::prepare_single(msg, &self.inner.config)?;
        self.inner
            .send_once(&p, &mq, self.inner.config.send_timeout)
            .await
    }

    /// Ordered messages: every message with the same `sharding_key` goes to the same queue (Java-compatible hash).
    pub async fn send_orderly(&self, msg: Message, sharding_key: &str) -> Result<SendResult> {
        self.send_with_selector(msg, &SelectByHash::new(sharding_key))
            .await
    }

    /// Sends messages of one topic as one SEND_BATCH_MESSAGE (with retries like `send`).
    pub async fn send_batch(&self, msgs: Vec<Message>) -> Result<SendResult> {
        let p = prepare::prepare_batch(msgs, &self.inner.config)?;
        self.inner
            .send_with_retries(
                &p,
                self.inner.config.send_timeout,
                self.inner.config.retry_times,
            )
            .await
    }

    /// Sends a batch to one given queue.
    pub async fn send_batch_to_queue(
        &self,
        msgs: Vec<Message>,
        mq: &MessageQueue,
    ) -> Result<SendResult> {
        let p = prepare::prepare_batch(msgs, &self.inner.config)?;
        if p.topic != mq.topic {
            return Err(ClientError::InvalidMessage(
                "batch topic differs from queue topic".into(),
            ));
        }
        self.inner
            .send_once(&p, mq, self.inner.config.send_timeout)
            .await
    }

    /// The queues `topic` can be sent to (fetching its route if needed).
    pub async fn publish_queues(&self, topic: &str) -> Result<Vec<MessageQueue>> {
        Ok(self
            .inner
            .publish_route(topic)
            .await?
            .publish
            .queues
            .clone())
    }
}

/// The result of [`Producer::send_async`].
pub struct SendFuture {
    handle: tokio::task::JoinHandle<Result<SendResult>>,
}

impl std::future::Future for SendFuture {
    type Output = Result<SendResult>;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.handle)
            .poll(cx)
            .map(|r| match r {
                Ok(r) => r,
                Err(e) => Err(ClientError::State(format!("send task failed: {e}"))),
            })
    }
}

/// Whether a failed attempt may be retried (on another broker).
fn retryable(e: &ClientError) -> bool {
    match e {
        ClientError::Broker { code, .. } => response_code::PRODUCER_RETRY_CODES.contains(code),
        ClientError::Remoting(_) => true,
        ClientError::BrokerNotFound(_) => true,
        _ => false,
    }
}

impl ProducerInner {
    fn instance(&self) -> Result<&Arc<ClientInstance>> {
        if self.closed.load(Ordering::Relaxed) {
            return Err(ClientError::State(format!(
                "producer {} is shut down",
                self.config.group
            )));
        }
        self.instance.get().ok_or_else(|| {
            ClientError::State(format!("producer {} is not started", self.config.group))
        })
    }

    fn ctx(&self) -> SendContext<'_> {
        SendContext {
            group: &self.config.group,
            create_topic_key: &self.config.create_topic_key,
            default_topic_queue_nums: self.config.default_topic_queue_nums,
        }
    }

    /// The route to send `topic` with: the name servers' if they know the topic, else the auto-create template's
    /// (re-checked with the name servers at most every route-poll period).
    pub(crate) async fn publish_route(&self, topic: &str) -> Result<Arc<TopicRoute>> {
        let instance = self.instance()?;
        if let Some(r) = instance.route(topic) {
            if !r.publish.is_empty() {
                return Ok(r);
            }
        }
        if let Some((at, r)) = self.template_routes.read().get(topic) {
            if at.elapsed() < self.client.poll_namesrv_interval {
                return Ok(r.clone());
            }
        }
        match instance.update_route(topic).await {
            Ok(r) if !r.publish.is_empty() => {
                self.template_routes.write().remove(topic);
                Ok(r)
            }
            Ok(_) | Err(ClientError::NoRoute(_)) => {
                let r = instance
                    .template_route(
                        topic,
                        &self.config.create_topic_key,
                        self.config.default_topic_queue_nums,
                    )
                    .await?;
                if r.publish.is_empty() {
                    return Err(ClientError::NoRoute(topic.to_owned()));
                }
                self.template_routes
                    .write()
                    .insert(topic.to_owned(), (Instant::now(), r.clone()));
                Ok(r)
            }
            Err(e) => Err(e),
        }
    }

    async fn send_once(
        &self,
        p: &Prepared,
        mq: &MessageQueue,
        timeout: Duration,
    ) -> Result<SendResult> {
        let instance = self.instance()?;
        let addr = instance
            .master_addr_or_refresh(&mq.broker_name, &p.topic)
            .await?;
        let start = Instant::now();
        let r = instance
            .send_message(&addr, mq, p, &mut SendHeader::new(p, self.ctx()), timeout)
            .await;
        self.fault.record(
            &mq.broker_name,
            start.elapsed(),
            r.as_ref().is_err_and(retryable),
        );
        r
    }

    /// Round-robin queue choice, avoiding the broker that just failed, up to `1 + retries` attempts within
    /// `timeout`.
    async fn send_with_retries(
        &self,
        p: &Prepared,
        timeout: Duration,
        retries: u32,
    ) -> Result<SendResult> {
        let instance = self.instance()?;
        let start = Instant::now();
        let route = self.publish_route(&p.topic).await?;
        let mut header = SendHeader::new(p, self.ctx());
        let mut avoid: Option<String> = None;
        let mut last_err: Option<ClientError> = None;
        let mut attempts = 0;
        for _ in 0..=retries {
            let elapsed = start.elapsed();
            if elapsed >= timeout {
                break;
            }
            let Some(mq) = route
                .publish
                .select(avoid.as_deref(), |b| self.fault.is_available(b))
            else {
                return Err(ClientError::NoRoute(p.topic.clone()));
            };
            attempts += 1;
            let attempt_start = Instant::now();
            let result = match instance
                .master_addr_or_refresh(&mq.broker_name, &p.topic)
                .await
            {
                Ok(addr) => {
                    instance
                        .send_message(&addr, mq, p, &mut header, timeout - elapsed)
                        .await
                }
                Err(e) => Err(e),
            };
            let latency = attempt_start.elapsed();
            match result {
                Ok(r) => {
                    self.fault.record(&mq.broker_name, latency, false);
                    if r.status != SendStatus::SendOk
                        && self.config.retry_another_broker_when_not_store_ok
                    {
                        avoid = Some(mq.broker_name.clone());
                        last_err = Some(ClientError::State(format!(
                            "broker answered {:?}",
                            r.status
                        )));
                        continue;
                    }
                    return Ok(r);
                }
                Err(e) if retryable(&e) => {
                    tracing::debug!(topic = p.topic, broker = mq.broker_name, error = %e, "send attempt failed");
                    self.fault.record(&mq.broker_name, latency, true);
                    avoid = Some(mq.broker_name.clone());
                    last_err = Some(e);
                }
                Err(e) => {
                    self.fault.record(&mq.broker_name, latency, false);
                    return Err(e);
                }
            }
        }
        let elapsed_ms = start.elapsed().as_millis() as u64;
        Err(match last_err {
            Some(last) => ClientError::SendFailed {
                topic: p.topic.clone(),
                attempts,
                elapsed_ms,
                last: Box::new(last),
            },
            None => ClientError::SendTimeout {
                topic: p.topic.clone(),
                elapsed_ms,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_remoting::RemotingError;

    #[test]
    fn retry_classification() {
        for code in [17, 14, 1, 2, 16, 204, 205, 1500] {
            assert!(retryable(&ClientError::broker("a", code, None)), "{code}");
        }
        for code in [13, 29, 26, 3] {
            assert!(!retryable(&ClientError::broker("a", code, None)), "{code}");
        }
        assert!(retryable(&ClientError::Remoting(RemotingError::Closed {
            addr: "a".into()
        })));
        assert!(!retryable(&ClientError::InvalidMessage("x".into())));
    }
}
