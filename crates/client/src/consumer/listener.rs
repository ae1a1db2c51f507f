//! What applications implement to receive messages. Listeners run on blocking threads (at most
//! `consume_threads` at a time), so they may block; a panic counts as "consume later".

use ferrocket_protocol::body::MessageQueue;
use ferrocket_protocol::message::MessageExt;

/// Result of concurrent consumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsumeStatus {
    /// Consumed; the offset may advance past these messages.
    Success,
    /// Deliver again later (clustering: through the group's retry topic after a delay).
    ReconsumeLater,
}

/// Per-call context of concurrent consumption.
#[derive(Debug, Clone)]
pub struct ConsumeContext {
    pub queue: MessageQueue,
    /// Delay level for messages sent back on `ReconsumeLater`; 0 lets the broker pick `3 + reconsumeTimes`,
    /// a negative value sends them straight to the dead-letter queue.
    pub delay_level_when_next_consume: i32,
    /// With `Success`, only messages `0..=ack_index` count as consumed; the rest are retried. `None`: all.
    pub ack_index: Option<usize>,
}

impl ConsumeContext {
    pub(crate) fn new(queue: MessageQueue) -> Self {
        ConsumeContext {
            queue,
            delay_level_when_next_consume: 0,
            ack_index: None,
        }
    }
}

/// Consumes messages of any queue, in parallel.
pub trait MessageListener: Send + Sync + 'static {
    fn consume(&self, msgs: &[MessageExt], ctx: &mut ConsumeContext) -> ConsumeStatus;
}

impl<F> MessageListener for F
where
    F: Fn(&[MessageExt], &mut ConsumeContext) -> ConsumeStatus + Send + Sync + 'static,
{
    fn consume(&self, msgs: &[MessageExt], ctx: &mut ConsumeContext) -> ConsumeStatus {
        self(msgs, ctx)
    }
}

/// Result of orderly consumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConsumeOrderlyStatus {
    Success,
    /// Stop this queue for `suspend_millis` and deliver the same messages again, in order.
    SuspendCurrentQueueAMoment,
}

/// Per-call context of orderly consumption.
#[derive(Debug, Clone)]
pub struct ConsumeOrderlyContext {
    pub queue: MessageQueue,
    /// Pause after `SuspendCurrentQueueAMoment`; defaults to `suspendCurrentQueueTimeMillis`.
    pub suspend_millis: u64,
}

/// Consumes the messages of one queue at a time, in queue order.
pub trait OrderlyMessageListener: Send + Sync + 'static {
    fn consume(&self, msgs: &[MessageExt], ctx: &mut ConsumeOrderlyContext)
        -> ConsumeOrderlyStatus;
}

impl<F> OrderlyMessageListener for F
where
    F: Fn(&[MessageExt], &mut ConsumeOrderlyContext) -> ConsumeOrderlyStatus
        + Send
        + Sync
        + 'static,
{
    fn consume(
        &self,
        msgs: &[MessageExt],
        ctx: &mut ConsumeOrderlyContext,
    ) -> ConsumeOrderlyStatus {
        self(msgs, ctx)
    }
}
