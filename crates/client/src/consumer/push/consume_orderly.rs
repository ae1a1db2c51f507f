//! Orderly consumption: one task per owned queue takes its messages in queue order, a batch at a time, while
//! holding the queue's consume lock (and, in clustering, the broker's lock on the queue, LOCK_BATCH_MQ, renewed
//! every 20 s). On `SuspendCurrentQueueAMoment` the same messages are consumed again after a pause.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::body::MessageQueue;

use super::{sleep_or_stop, PushInner};
use crate::consumer::listener::{
    ConsumeOrderlyContext, ConsumeOrderlyStatus, OrderlyMessageListener,
};
use crate::consumer::process_queue::ProcessQueue;

/// Pause while an orderly queue waits for its broker lock to be (re)acquired.
const WAIT_FOR_LOCK: Duration = Duration::from_millis(100);

pub(crate) async fn run(
    consumer: Arc<PushInner>,
    pq: Arc<ProcessQueue>,
    listener: Arc<dyn OrderlyMessageListener>,
) {
    let clustering = consumer.clustering();
    let batch = consumer.config.consume_batch_max_size.max(1);
    loop {
        if pq.is_dropped() || consumer.is_stopping() {
            return;
        }
        if pq.waiting() == 0 {
            tokio::select! {
                _ = pq.cancel.cancelled() => return,
                _ = pq.arrived.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            continue;
        }
        if clustering && !pq.holds_lock() {
            if sleep_or_stop(&pq.cancel, WAIT_FOR_LOCK).await {
                return;
            }
            continue;
        }
        let permit = tokio::select! {
            _ = pq.cancel.cancelled() => return,
            p = consumer.permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        let guard = pq.consume_lock.lock().await;
        if pq.is_dropped() || consumer.is_stopping() {
            return;
        }
        let msgs = pq.take(batch);
        if msgs.is_empty() {
            continue;
        }
        let ctx = ConsumeOrderlyContext {
            queue: pq.mq.clone(),
            suspend_millis: consumer.config.suspend_current_queue_time.as_millis() as u64,
        };
        let call_msgs = msgs.clone();
        let l = listener.clone();
        let (status, ctx) = match tokio::task::spawn_blocking(move || {
            let mut ctx = ctx;
            let s = l.consume(&call_msgs, &mut ctx);
            (s, ctx)
        })
        .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::warn!(mq = %pq.mq, error = %e, "orderly listener panicked; suspending the queue");
                let ctx = ConsumeOrderlyContext {
                    queue: pq.mq.clone(),
                    suspend_millis: consumer.config.suspend_current_queue_time.as_millis() as u64,
                };
                (ConsumeOrderlyStatus::SuspendCurrentQueueAMoment, ctx)
            }
        };
        let mut suspend = false;
        match status {
            ConsumeOrderlyStatus::Success => {
                consumer
                    .consumed_ok
                    .fetch_add(msgs.len() as u64, std::sync::atomic::Ordering::Relaxed);
                consumer.commit_orderly(&pq);
            }
            ConsumeOrderlyStatus::SuspendCurrentQueueAMoment => {
                consumer
                    .consumed_failed
                    .fetch_add(msgs.len() as u64, std::sync::atomic::Ordering::Relaxed);
                let max = consumer.max_reconsume_times();
                let mut again = Vec::with_capacity(msgs.len());
                for mut m in msgs {
                    // Exhausted: dead-letter it (delay level < 0), unless even that fails.
                    let exhausted = m.reconsume_times >= max
                        && consumer.send_message_back(&m, -1, &pq.mq).await.is_ok();
                    if !exhausted {
                        suspend = true;
                    }
                    m.reconsume_times = m.reconsume_times.saturating_add(1);
                    again.push(m);
                }
                if suspend {
                    pq.make_consume_again(again);
                } else {
                    consumer.commit_orderly(&pq);
                }
            }
        }
        drop(guard);
        drop(permit);
        if suspend && sleep_or_stop(&pq.cancel, Duration::from_millis(ctx.suspend_millis)).await {
            return;
        }
    }
}

impl PushInner {
    fn commit_orderly(&self, pq: &ProcessQueue) {
        if let Some(offset) = pq.commit() {
            if !pq.is_dropped() {
                self.record_offset(&pq.mq, offset);
            }
        }
    }

    /// LOCK_BATCH_MQ for one queue at its broker's master.
    pub(crate) async fn lock_one(&self, mq: &MessageQueue) -> bool {
        let Ok(instance) = self.instance() else {
            return false;
        };
        let Ok(addr) = instance
            .master_addr_or_refresh(&mq.broker_name, &mq.topic)
            .await
        else {
            return false;
        };
        match instance
            .lock_batch(&addr, &self.config.group, BTreeSet::from([mq.clone()]))
            .await
        {
            Ok(locked) => locked.contains(mq),
            Err(e)
                if e.response_code()
                    == Some(
                        ferrocket_protocol::codes::response_code::REQUEST_CODE_NOT_SUPPORTED,
                    ) =>
            {
                tracing::warn!(%mq, error = %e, "broker does not support LOCK_BATCH_MQ; orderly consumption cannot start");
                false
            }
            Err(e) => {
                tracing::debug!(%mq, error = %e, "lock failed");
                false
            }
        }
    }

    /// Renews the broker locks of every owned queue, broker by broker.
    pub(crate) async fn lock_all(&self) {
        let Ok(instance) = self.instance() else {
            return;
        };
        let mut by_broker: BTreeMap<String, Vec<Arc<ProcessQueue>>> = BTreeMap::new();
        for pq in self.queues.lock().values() {
            by_broker
                .entry(pq.mq.broker_name.clone())
                .or_default()
                .push(pq.clone());
        }
        for (broker, pqs) in by_broker {
            let Some(addr) = instance.master_addr(&broker) else {
                continue;
            };
            let set: BTreeSet<MessageQueue> = pqs.iter().map(|pq| pq.mq.clone()).collect();
            match instance.lock_batch(&addr, &self.config.group, set).await {
                Ok(locked) => {
                    for pq in pqs {
                        pq.set_locked(locked.contains(&pq.mq));
                    }
                }
                Err(e) => tracing::debug!(broker, error = %e, "lock renewal failed"),
            }
        }
    }

    /// UNLOCK_BATCH_MQ for `queues`, broker by broker.
    pub(crate) async fn unlock_queues(&self, queues: Vec<MessageQueue>) {
        let Ok(instance) = self.instance() else {
            return;
        };
        let mut by_broker: BTreeMap<String, BTreeSet<MessageQueue>> = BTreeMap::new();
        for mq in queues {
            by_broker
                .entry(mq.broker_name.clone())
                .or_default()
                .insert(mq);
        }
        for (broker, set) in by_broker {
            if let Some(addr) = instance.master_addr(&broker) {
                if let Err(e) = instance.unlock_batch(&addr, &self.config.group, set).await {
                    tracing::debug!(broker, error = %e, "unlock failed");
                }
            }
        }
    }
}
