//! Ferrocket's message store: commit log, consume queues, index, flush, recovery, retention. No networking.
//!
//! The on-disk format is Apache RocketMQ's, byte for byte (see `shared/spec/storage-format.md`): a store
//! directory written by one can be opened by the other.
//!
//! Entry point: [`MessageStore::open`]. Appends take records encoded by
//! `ferrocket_protocol::message::RecordBuilder`; reads hand out `Bytes` slices of the mapped commit log.

pub mod bench;
pub mod checkpoint;
pub mod clean;
pub mod commit_log;
pub mod config;
pub mod consume_queue;
pub mod consume_queue_store;
pub mod dispatch;
pub mod env;
pub mod error;
pub mod flush;
pub mod index_file;
pub mod index_service;
pub mod mapped_file;
pub mod mapped_file_queue;
pub mod message_store;
pub mod query;
pub mod recovery;
pub mod signal;
pub mod status;

pub use clean::CleanReport;
pub use config::{BrokerRole, CommitLogWriteMode, FlushDiskType, StoreConfig};
pub use dispatch::ArrivalListener;
pub use env::{Clock, DiskUsage, FakeClock, FakeDiskUsage, FlushObserver, StoreEnv, SystemClock};
pub use error::{StoreError, StoreResult};
pub use message_store::MessageStore;
pub use query::TagFilter;
pub use recovery::RecoveryReport;
pub use status::{
    BoundaryType, GetMessageResult, GetMessageStatus, PutMessageResult, PutMessageStatus,
    QueryMessageResult, StoreStats,
};
