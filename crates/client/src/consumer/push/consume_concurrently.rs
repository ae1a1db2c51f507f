//! Concurrent consumption: pulled messages are cut into batches of `consume_batch_max_size`, each batch a task
//! that waits for one of `consume_thread_max` permits and runs the listener on a blocking thread. Failed
//! messages go back to the broker (retry topic); the queue's offset advances to the oldest message still
//! cached.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::message::MessageExt;

use super::{Listener, PushInner};
use crate::consumer::listener::{ConsumeContext, ConsumeStatus, MessageListener};
use crate::consumer::process_queue::ProcessQueue;

/// Pause before consuming again messages that could not be sent back.
const LOCAL_RETRY_DELAY: Duration = Duration::from_secs(5);

impl PushInner {
    /// Hands newly cached messages to the consume service.
    pub(crate) fn dispatch(self: &Arc<Self>, pq: &Arc<ProcessQueue>, msgs: Vec<MessageExt>) {
        let Listener::Concurrent(listener) = &self.listener else {
            // Orderly: the queue's consume task was woken by the cache.
            return;
        };
        let batch = self.config.consume_batch_max_size.max(1);
        let mut msgs = msgs;
        while !msgs.is_empty() {
            let rest = msgs.split_off(batch.min(msgs.len()));
            tokio::spawn(consume(self.clone(), pq.clone(), listener.clone(), msgs));
            msgs = rest;
        }
    }
}

async fn consume(
    consumer: Arc<PushInner>,
    pq: Arc<ProcessQueue>,
    listener: Arc<dyn MessageListener>,
    msgs: Vec<MessageExt>,
) {
    let permit = tokio::select! {
        _ = pq.cancel.cancelled() => return,
        p = consumer.permits.clone().acquire_owned() => match p {
            Ok(p) => p,
            Err(_) => return,
        },
    };
    // A queue that moved away, or a consumer shutting down, must not consume more: the next owner will.
    if pq.is_dropped() || consumer.is_stopping() {
        return;
    }
    let msgs = Arc::new(msgs);
    let ctx = ConsumeContext::new(pq.mq.clone());
    let call_msgs = msgs.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let mut ctx = ctx;
        let status = listener.consume(&call_msgs, &mut ctx);
        (status, ctx)
    })
    .await;
    let (status, ctx) = match outcome {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(mq = %pq.mq, error = %e, "listener panicked; messages will be consumed again");
            (
                ConsumeStatus::ReconsumeLater,
                ConsumeContext::new(pq.mq.clone()),
            )
        }
    };
    consumer.process_result(&pq, &msgs, status, &ctx).await;
    drop(permit);
}

/// How many leading messages of a batch of `n` count as consumed.
pub(crate) fn acked_count(n: usize, status: ConsumeStatus, ack_index: Option<usize>) -> usize {
    match status {
        ConsumeStatus::Success => ack_index.map_or(n, |i| (i + 1).min(n)),
        ConsumeStatus::ReconsumeLater => 0,
    }
}

impl PushInner {
    async fn process_result(
        self: &Arc<Self>,
        pq: &Arc<ProcessQueue>,
        msgs: &[MessageExt],
        status: ConsumeStatus,
        ctx: &ConsumeContext,
    ) {
        let acked = acked_count(msgs.len(), status, ctx.ack_index);
        self.consumed_ok.fetch_add(acked as u64, Ordering::Relaxed);
        self.consumed_failed
            .fetch_add((msgs.len() - acked) as u64, Ordering::Relaxed);
        let mut retry_locally = Vec::new();
        if self.clustering() {
            for m in &msgs[acked..] {
                if let Err(e) = self
                    .send_message_back(m, ctx.delay_level_when_next_consume, &pq.mq)
                    .await
                {
                    tracing::warn!(mq = %pq.mq, offset = m.queue_offset, error = %e, "send back failed; retrying locally");
                    let mut again = m.clone();
                    again.reconsume_times += 1;
                    retry_locally.push(again);
                }
            }
        } else if acked < msgs.len() {
            tracing::warn!(mq = %pq.mq, count = msgs.len() - acked, "broadcasting: failed messages are dropped");
        }
        let done = msgs
            .iter()
            .map(|m| m.queue_offset)
            .filter(|off| !retry_locally.iter().any(|r| r.queue_offset == *off));
        if let Some(offset) = pq.remove(done) {
            if !pq.is_dropped() {
                self.record_offset(&pq.mq, offset);
            }
        }
        if !retry_locally.is_empty() {
            let me = self.clone();
            let pq = pq.clone();
            tokio::spawn(async move {
                if !super::sleep_or_stop(&pq.cancel, LOCAL_RETRY_DELAY).await {
                    me.dispatch(&pq, retry_locally);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ack_index_semantics() {
        assert_eq!(acked_count(4, ConsumeStatus::Success, None), 4);
        assert_eq!(acked_count(4, ConsumeStatus::Success, Some(1)), 2);
        assert_eq!(acked_count(4, ConsumeStatus::Success, Some(9)), 4);
        assert_eq!(acked_count(4, ConsumeStatus::ReconsumeLater, None), 0);
        assert_eq!(acked_count(4, ConsumeStatus::ReconsumeLater, Some(3)), 0);
    }
}
