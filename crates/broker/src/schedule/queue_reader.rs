//! Reading a schedule queue in order without ever passing over a message.
//!
//! The store's `get_message` silently leaves out a unit whose record it cannot read at that instant; such a
//! unit can be one that is readable a moment later (the commit log publishes the record to the dispatcher just
//! before it publishes its new end offset), and a delivery task that moved past it would lose the message for
//! good. So a batch is cut at the first missing offset, and a unit missing at the very start is retried briefly
//! before it is given up as really unreadable (a blank unit, or removed by retention).

use std::time::Duration;

use bytes::Bytes;
use ferrocket_store::GetMessageStatus;

use crate::BrokerContext;

/// Attempts at a missing first unit before passing over it, and the pause between them.
const MISSING_RETRIES: u32 = 20;
const MISSING_PAUSE: Duration = Duration::from_millis(2);

pub struct Batch {
    pub status: GetMessageStatus,
    /// (queue offset, record), consecutive from the requested offset.
    pub records: Vec<(i64, Bytes)>,
    /// Where to read next.
    pub next: i64,
}

/// Up to `max` records of (topic, queue) from `from`, consecutive; see the module doc.
pub async fn read(ctx: &BrokerContext, topic: &str, queue_id: i32, from: i64, max: usize) -> Batch {
    let mut attempt = 0;
    loop {
        let r = ctx
            .store
            .get_message(topic, queue_id, from, max, usize::MAX, None);
        if r.status != GetMessageStatus::Found {
            return Batch {
                status: r.status,
                records: Vec::new(),
                next: r.next_begin_offset,
            };
        }
        let mut expected = from;
        let mut records = Vec::with_capacity(r.messages.len());
        for (rec, qoff) in r.messages.into_iter().zip(r.queue_offsets) {
            if qoff != expected {
                break;
            }
            records.push((qoff, rec));
            expected += 1;
        }
        if expected == r.next_begin_offset || !records.is_empty() {
            // Everything up to `expected` is here; a gap after it is met again at the start of the next read.
            return Batch {
                status: GetMessageStatus::Found,
                records,
                next: expected,
            };
        }
        attempt += 1;
        if attempt >= MISSING_RETRIES {
            tracing::warn!(
                topic,
                queue_id,
                from,
                to = r.next_begin_offset,
                "schedule queue units stayed unreadable; passed over"
            );
            return Batch {
                status: GetMessageStatus::Found,
                records: Vec::new(),
                next: r.next_begin_offset,
            };
        }
        tokio::time::sleep(MISSING_PAUSE).await;
    }
}
