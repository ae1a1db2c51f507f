//! Ferrocket's message store: commit log, consume queues, index, flush, recovery, retention. No networking.
//!
//! The on-disk format is Apache RocketMQ's, byte for byte (see `shared/spec/storage-format.md`).

pub mod checkpoint;
pub mod config;
pub mod env;
pub mod error;
pub mod mapped_file;
pub mod mapped_file_queue;

pub use config::{BrokerRole, FlushDiskType, StoreConfig};
pub use env::{Clock, DiskUsage, FakeClock, FakeDiskUsage, FlushObserver, StoreEnv, SystemClock};
pub use error::{StoreError, StoreResult};
