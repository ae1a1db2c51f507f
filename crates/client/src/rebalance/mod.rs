//! Rebalancing: which queues of a topic this consumer owns.

mod md5;
pub mod strategy;

pub use strategy::{
    AllocateAveragely, AllocateAveragelyByCircle, AllocateByConfig, AllocateConsistentHash,
    AllocateStrategy,
};
