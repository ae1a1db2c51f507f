//! The name server: a stateless route registry. Brokers register with every name server every 30 s; clients ask any
//! of them for a topic's route. Name servers never talk to each other.

pub mod config;
pub mod kv;
mod processor;
pub mod route;
mod server;

pub use config::NamesrvConfig;
pub use server::NamesrvServer;
