//! Ferrocket client SDK: producers, push and lite-pull consumers, and an admin API over RocketMQ's classic
//! remoting protocol. It speaks only the wire protocol, so it works against Apache RocketMQ brokers as well as
//! Ferrocket's.

pub mod admin;
pub(crate) mod api;
pub mod config;
pub mod consumer;
pub mod error;
pub mod instance;
pub mod message;
pub mod producer;
pub mod rebalance;
pub mod route;

pub use admin::Admin;
pub use config::ClientConfig;
pub use consumer::{ConsumeStatus, LitePullConsumer, MessageSelector, PushConsumer};
pub use error::{ClientError, Result};
pub use ferrocket_protocol::body::MessageQueue;
pub use ferrocket_protocol::message::MessageExt;
pub use instance::ClientInstance;
pub use message::Message;
pub use producer::{
    LocalTransactionState, Producer, ProducerBuilder, QueueSelector, SendResult, SendStatus,
    TransactionListener,
};
