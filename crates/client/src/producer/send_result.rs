//! The outcome of a send.

use ferrocket_protocol::body::MessageQueue;
use ferrocket_protocol::codes::response_code;

/// How the broker stored the message. Every status means the message was stored; the non-OK ones say the
/// flush or replication the broker was configured to wait for did not complete in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendStatus {
    SendOk,
    FlushDiskTimeout,
    FlushSlaveTimeout,
    SlaveNotAvailable,
}

impl SendStatus {
    /// The status for a success-class response code; `None` for any other code.
    pub fn from_code(code: i32) -> Option<Self> {
        match code {
            response_code::SUCCESS => Some(SendStatus::SendOk),
            response_code::FLUSH_DISK_TIMEOUT => Some(SendStatus::FlushDiskTimeout),
            response_code::FLUSH_SLAVE_TIMEOUT => Some(SendStatus::FlushSlaveTimeout),
            response_code::SLAVE_NOT_AVAILABLE => Some(SendStatus::SlaveNotAvailable),
            _ => None,
        }
    }
}

/// A stored message's ids and position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendResult {
    pub status: SendStatus,
    /// Client id (UNIQ_KEY); for a batch, the inner messages' ids joined by commas.
    pub msg_id: String,
    /// Server id (store host + commit-log offset); for a batch, comma-joined.
    pub offset_msg_id: String,
    pub queue: MessageQueue,
    /// Consume-queue offset (of the first message of a batch).
    pub queue_offset: i64,
    /// Transaction id (the UNIQ_KEY) when the broker returned one.
    pub transaction_id: Option<String>,
    /// The broker's region (`MSG_REGION`).
    pub region_id: Option<String>,
    /// The broker's `TRACE_ON` switch.
    pub trace_on: bool,
}
