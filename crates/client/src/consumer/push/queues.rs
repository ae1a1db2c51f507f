//! Applying a rebalance: stop and hand over queues that went to someone else, start pulling new ones from the
//! right offset.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::body::{ConsumeFromWhere, MessageQueue};

use super::{consume_orderly, pull_task, Listener, PushInner};
use crate::api::offset::BoundaryType;
use crate::consumer::process_queue::ProcessQueue;
use crate::error::Result;
use crate::rebalance::allocate_topic;

impl PushInner {
    /// Recomputes the owned queues of every subscribed topic and applies the changes.
    pub(crate) async fn rebalance(self: &Arc<Self>) {
        let Ok(instance) = self.instance().cloned() else {
            return;
        };
        let _one_at_a_time = self.rebalance_lock.lock().await;
        if self.is_stopping() {
            return;
        }
        let topics: Vec<String> = self.subscriptions.read().keys().cloned().collect();
        for topic in &topics {
            match allocate_topic(
                &instance,
                &self.config.group,
                self.config.message_model,
                self.config.allocate_strategy.as_ref(),
                topic,
            )
            .await
            {
                Ok(desired) => self.apply(topic, desired).await,
                Err(e) => {
                    tracing::debug!(group = self.config.group, topic, error = %e, "rebalance skipped topic")
                }
            }
        }
        // Queues of topics no longer subscribed.
        let stale: Vec<MessageQueue> = self
            .queues
            .lock()
            .keys()
            .filter(|mq| !topics.contains(&mq.topic))
            .cloned()
            .collect();
        for mq in stale {
            self.release_queue(&mq).await;
        }
    }

    async fn apply(self: &Arc<Self>, topic: &str, desired: BTreeSet<MessageQueue>) {
        let current: Vec<MessageQueue> = self
            .queues
            .lock()
            .keys()
            .filter(|mq| mq.topic == topic)
            .cloned()
            .collect();
        for mq in current.iter().filter(|mq| !desired.contains(mq)) {
            self.release_queue(mq).await;
        }
        for mq in desired {
            if self.is_stopping() {
                return;
            }
            if self.queues.lock().contains_key(&mq) {
                continue;
            }
            if let Err(e) = self.take_queue(mq.clone()).await {
                tracing::debug!(%mq, error = %e, "cannot start queue yet");
            }
        }
    }

    /// Starts consuming a newly allocated queue.
    async fn take_queue(self: &Arc<Self>, mq: MessageQueue) -> Result<()> {
        let orderly_locked = self.is_orderly() && self.clustering();
        if orderly_locked && !self.lock_one(&mq).await {
            tracing::debug!(%mq, "queue locked by another member; will retry");
            return Ok(());
        }
        let store = self
            .offsets()
            .ok_or_else(|| crate::ClientError::State("not started".into()))?;
        store.remove(&mq);
        let offset = self.compute_pull_from_where(&mq).await?;
        store.update(&mq, offset, false);
        let pq = Arc::new(ProcessQueue::new(mq.clone(), &self.stop));
        if orderly_locked {
            pq.set_locked(true);
        }
        tracing::debug!(group = self.config.group, %mq, offset, "queue taken");
        self.queues.lock().insert(mq, pq.clone());
        tokio::spawn(pull_task::run(self.clone(), pq.clone(), offset));
        if let Listener::Orderly(l) = &self.listener {
            tokio::spawn(consume_orderly::run(self.clone(), pq, l.clone()));
        }
        Ok(())
    }

    /// Stops consuming a queue: persists its offset (waiting for the broker, so the next owner starts where
    /// this one stopped) and releases its broker lock.
    pub(crate) async fn release_queue(&self, mq: &MessageQueue) {
        let Some(pq) = self.queues.lock().remove(mq) else {
            return;
        };
        pq.set_dropped();
        if self.is_orderly() && self.clustering() {
            // Do not unlock in the middle of a batch: the next owner would consume it again, out of order.
            let _batch_done =
                tokio::time::timeout(Duration::from_secs(1), pq.consume_lock.lock()).await;
        }
        if let Some(store) = self.offsets() {
            if let Err(e) = store.persist_all(std::slice::from_ref(mq), true).await {
                tracing::debug!(%mq, error = %e, "persisting offset of released queue failed");
            }
            store.remove(mq);
        }
        if self.is_orderly() && self.clustering() {
            self.unlock_queues(vec![mq.clone()]).await;
        }
        tracing::debug!(group = self.config.group, %mq, "queue released");
    }

    /// Where to start a queue: the stored offset, or per `consume_from_where` when there is none
    /// (broker-config.md §5.3).
    pub(crate) async fn compute_pull_from_where(&self, mq: &MessageQueue) -> Result<i64> {
        let instance = self.instance()?;
        let store = self
            .offsets()
            .ok_or_else(|| crate::ClientError::State("not started".into()))?;
        if let Some(o) = store.read_store(mq).await? {
            if o >= 0 {
                return Ok(o);
            }
        }
        let is_retry = mq.topic.starts_with("%RETRY%");
        match self.config.consume_from_where {
            ConsumeFromWhere::ConsumeFromFirstOffset => Ok(0),
            ConsumeFromWhere::ConsumeFromTimestamp => {
                if is_retry {
                    instance.max_offset(mq).await
                } else {
                    let ts = self
                        .config
                        .consume_timestamp
                        .unwrap_or(self.started_at_ms - 30 * 60 * 1000);
                    instance.search_offset(mq, ts, BoundaryType::Lower).await
                }
            }
            // LAST_OFFSET and the deprecated variants that behave like it.
            _ => {
                if is_retry {
                    Ok(0)
                } else {
                    instance.max_offset(mq).await
                }
            }
        }
    }

    /// RESET_CONSUMER_CLIENT_OFFSET: restart the given queues of `topic` from new offsets.
    pub(crate) async fn reset_offsets(
        self: &Arc<Self>,
        topic: &str,
        offsets: Vec<(MessageQueue, i64)>,
    ) {
        let _one_at_a_time = self.rebalance_lock.lock().await;
        let Some(store) = self.offsets() else {
            return;
        };
        for (mq, offset) in offsets.into_iter().filter(|(mq, _)| mq.topic == topic) {
            if let Some(pq) = self.queues.lock().remove(&mq) {
                pq.set_dropped();
            }
            store.update(&mq, offset, false);
            if let Err(e) = store.persist_all(std::slice::from_ref(&mq), true).await {
                tracing::warn!(%mq, error = %e, "persisting reset offset failed");
            }
            store.remove(&mq);
        }
        drop(_one_at_a_time);
        // The next rebalance takes the queues again, starting from the stored (reset) offsets.
        self.rebalance_kick.notify_one();
    }
}
