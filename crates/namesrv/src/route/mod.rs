//! The route registry: which brokers exist, which topics they serve, and which are alive.
//!
//! Reads (route queries, by far the most frequent request) load an immutable [`RouteSnapshot`] without locking;
//! registrations build a new snapshot and swap it in only when something a reader could see has changed. Liveness
//! (last heartbeat per broker) changes every 30 s per broker and is kept apart, so refreshing it never swaps.

mod live;
mod registry;
mod snapshot;

pub use live::{BrokerLiveInfo, LiveTable};
pub use registry::{Registration, RegistrationOutcome, RouteRegistry, TopicQueues, Unregistration};
pub use snapshot::{BrokerGroup, QueueInfo, RouteSnapshot};
