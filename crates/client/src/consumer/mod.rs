//! Consumers: the push consumer (listener-driven) and the lite pull consumer (poll-driven), and what they share.

pub(crate) mod listener;
mod lite;
pub(crate) mod offset_store;
pub(crate) mod process_queue;
mod push;
mod subscription;

pub use ferrocket_protocol::body::{ConsumeFromWhere, MessageModel};
pub use listener::{
    ConsumeContext, ConsumeOrderlyContext, ConsumeOrderlyStatus, ConsumeStatus, MessageListener,
    OrderlyMessageListener,
};
pub use lite::{LitePullConsumer, LitePullConsumerBuilder, LitePullConsumerConfig};
pub use push::{PushConsumer, PushConsumerBuilder, PushConsumerConfig, QueueStats};
pub use subscription::MessageSelector;
