//! Result types of appends and reads, with Apache's status names.

use bytes::Bytes;

/// Outcome of an append (Apache's PutMessageStatus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutMessageStatus {
    PutOk,
    /// Stored, but the SYNC_FLUSH wait timed out (`syncFlushTimeout`).
    FlushDiskTimeout,
    FlushSlaveTimeout,
    SlaveNotAvailable,
    /// Disk full, slave role, or shut down (see the remark).
    ServiceNotAvailable,
    CreateMappedFileFailed,
    MessageIllegal,
    PropertiesSizeExceeded,
    OsPageCacheBusy,
    UnknownError,
}

impl PutMessageStatus {
    /// Apache's enum constant name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::PutOk => "PUT_OK",
            Self::FlushDiskTimeout => "FLUSH_DISK_TIMEOUT",
            Self::FlushSlaveTimeout => "FLUSH_SLAVE_TIMEOUT",
            Self::SlaveNotAvailable => "SLAVE_NOT_AVAILABLE",
            Self::ServiceNotAvailable => "SERVICE_NOT_AVAILABLE",
            Self::CreateMappedFileFailed => "CREATE_MAPPED_FILE_FAILED",
            Self::MessageIllegal => "MESSAGE_ILLEGAL",
            Self::PropertiesSizeExceeded => "PROPERTIES_SIZE_EXCEEDED",
            Self::OsPageCacheBusy => "OS_PAGE_CACHE_BUSY",
            Self::UnknownError => "UNKNOWN_ERROR",
        }
    }

    /// Whether the message is stored (PUT_OK and the flush/slave timeouts).
    pub fn is_stored(&self) -> bool {
        matches!(
            self,
            Self::PutOk
                | Self::FlushDiskTimeout
                | Self::FlushSlaveTimeout
                | Self::SlaveNotAvailable
        )
    }
}

/// Result of `put_message`/`put_messages`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutMessageResult {
    pub status: PutMessageStatus,
    /// Commit-log offset of the (first) record; −1 when nothing was stored.
    pub phys_offset: i64,
    pub wrote_bytes: i64,
    /// Queue offset of the (first) record.
    pub queue_offset: i64,
    pub msg_num: i32,
    pub store_timestamp: i64,
    /// Commit-log offset of every record of a batch (empty for a single record).
    pub batch_phys_offsets: Vec<i64>,
    /// Under SYNC_FLUSH with WAIT=true: the offset that must be flushed before the append counts as durable.
    /// `put_message` returns at once; wait with `wait_flushed` / `wait_flushed_blocking` (the `_blocking` and
    /// `_async` put variants do it for you and turn a timeout into FLUSH_DISK_TIMEOUT).
    pub flush_wait_offset: Option<i64>,
    /// Human-readable reason for a failure (e.g. the disk-full remark of §13.2).
    pub remark: Option<String>,
}

impl PutMessageResult {
    pub fn failed(status: PutMessageStatus, remark: impl Into<String>) -> Self {
        PutMessageResult {
            status,
            phys_offset: -1,
            wrote_bytes: 0,
            queue_offset: -1,
            msg_num: 0,
            store_timestamp: 0,
            batch_phys_offsets: Vec::new(),
            flush_wait_offset: None,
            remark: Some(remark.into()),
        }
    }

    pub fn is_ok(&self) -> bool {
        self.status == PutMessageStatus::PutOk
    }
}

/// Outcome of a read from a queue (remoting-protocol.md §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetMessageStatus {
    Found,
    NoMatchedMessage,
    MessageWasRemoving,
    OffsetFoundNull,
    OffsetOverflowBadly,
    OffsetOverflowOne,
    OffsetTooSmall,
    NoMatchedLogicQueue,
    NoMessageInQueue,
}

impl GetMessageStatus {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Found => "FOUND",
            Self::NoMatchedMessage => "NO_MATCHED_MESSAGE",
            Self::MessageWasRemoving => "MESSAGE_WAS_REMOVING",
            Self::OffsetFoundNull => "OFFSET_FOUND_NULL",
            Self::OffsetOverflowBadly => "OFFSET_OVERFLOW_BADLY",
            Self::OffsetOverflowOne => "OFFSET_OVERFLOW_ONE",
            Self::OffsetTooSmall => "OFFSET_TOO_SMALL",
            Self::NoMatchedLogicQueue => "NO_MATCHED_LOGIC_QUEUE",
            Self::NoMessageInQueue => "NO_MESSAGE_IN_QUEUE",
        }
    }
}

/// Result of `get_message`.
#[derive(Debug, Clone)]
pub struct GetMessageResult {
    pub status: GetMessageStatus,
    pub next_begin_offset: i64,
    pub min_offset: i64,
    pub max_offset: i64,
    /// The stored records, each a slice of the mapped commit log (no copy).
    pub messages: Vec<Bytes>,
    /// Queue offset of each returned record.
    pub queue_offsets: Vec<i64>,
    pub total_bytes: usize,
    /// The data read lies far behind the log end (beyond `accessMessageInMemoryMaxRatio` of RAM): likely on disk.
    pub suggest_pull_from_slave: bool,
}

impl GetMessageResult {
    pub(crate) fn empty(status: GetMessageStatus, next: i64, min: i64, max: i64) -> Self {
        GetMessageResult {
            status,
            next_begin_offset: next,
            min_offset: min,
            max_offset: max,
            messages: Vec::new(),
            queue_offsets: Vec::new(),
            total_bytes: 0,
            suggest_pull_from_slave: false,
        }
    }
}

/// Which end of a run of equal timestamps `offset_by_time` returns (BoundaryType).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BoundaryType {
    #[default]
    Lower,
    Upper,
}

/// Messages found by key (QUERY_MESSAGE).
#[derive(Debug, Clone, Default)]
pub struct QueryMessageResult {
    pub messages: Vec<Bytes>,
    pub phys_offsets: Vec<i64>,
    pub index_last_update_timestamp: i64,
    pub index_last_update_phyoffset: i64,
}

/// Counters and gauges for monitoring.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreStats {
    pub put_message_times: u64,
    pub put_message_bytes: u64,
    pub put_message_failures: u64,
    pub get_message_times: u64,
    pub get_message_found: u64,
    pub commit_log_min_offset: i64,
    pub commit_log_max_offset: i64,
    pub commit_log_flushed_offset: i64,
    pub dispatched_offset: i64,
    pub commit_log_disk_ratio: f64,
    pub consume_queue_disk_ratio: f64,
    pub disk_full: bool,
    pub topics: usize,
}
