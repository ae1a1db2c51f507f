//! Parked PULL_MESSAGE requests, woken when the dispatcher makes new messages readable. OWNER: broker-core helper.

#[derive(Default)]
pub struct LongPollService {}
