//! Scheduled delivery: delay levels (`DELAY`, stored in `SCHEDULE_TOPIC_XXXX` queue level−1) and 5.x timer messages
//! (`TIMER_DELIVER_MS` / `TIMER_DELAY_SEC` / `TIMER_DELAY_MS`), delivered to their real topic when due.
//! OWNER: schedule helper. Scaffold: nothing is redirected yet.

use crate::message_build::RecordMeta;
use crate::processor::Failure;
use crate::BrokerContext;

/// Where a message is actually stored when its delivery is deferred.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub topic: String,
    pub queue_id: i32,
    /// The stored properties, with the real topic and queue saved (`REAL_TOPIC`, `REAL_QID`).
    pub properties: String,
}

/// Decides whether a message being stored (`meta`, with its final `properties`) is to be delivered later, and if so
/// where it is parked instead. `None`: store it where it was sent.
pub fn redirect_for_delivery(
    _ctx: &BrokerContext,
    _meta: &RecordMeta<'_>,
    _properties: &str,
) -> Result<Option<Redirect>, Failure> {
    Ok(None)
}
