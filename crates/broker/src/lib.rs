//! The broker: stores and serves messages over the RocketMQ remoting protocol.
//!
//! [`BrokerServer::start`] opens the store, loads the managers, listens on `listenPort` (and the VIP port
//! `listenPort − 2`), registers with the name servers and serves until shut down. Requests are dispatched by code in
//! [`handler`] to one small module per request family under [`processor`].

pub mod client_manager;
pub mod config;
pub mod consumer_offset;
pub mod context;
pub mod error;
pub mod flow_control;
pub mod handler;
pub mod internal_message;
pub mod long_poll;
pub mod message_build;
pub mod namesrv_register;
pub mod offset_reset;
pub mod processor;
pub mod rebalance_lock;
pub mod schedule;
pub mod server;
pub mod sql_filter;
pub mod subscription_group;
pub mod topic_manager;
pub mod transaction;

pub use config::BrokerConfig;
pub use context::BrokerContext;
pub use error::BrokerError;
pub use server::BrokerServer;

// --- Management modules (owned by the broker-management helper) ---
pub mod broker_stats;
pub mod config_file;
pub mod topic_attributes;
pub mod topic_validator;
// --- end of management modules ---
