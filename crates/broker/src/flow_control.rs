//! Bounded work per processor family, so an overloaded broker answers SYSTEM_BUSY at once instead of hanging.
//!
//! Apache runs each family on a thread pool with a bounded queue. Here every request already runs on its own task,
//! so the same two limits become two semaphores per family:
//! - *in flight* (the queue capacity, `sendThreadPoolQueueCapacity` / `pullThreadPoolQueueCapacity` /
//!   `adminBrokerThreadPoolQueueCapacity`): taken without waiting when a request arrives; none left → SYSTEM_BUSY
//!   `[OVERLOAD]`.
//! - *running* (the pool size, `sendMessageThreadPoolNums` / `pullMessageThreadPoolNums`): awaited before the store
//!   work; a request that waited longer than `waitTimeMillsInSendQueue` / `waitTimeMillsInPullQueue` →
//!   SYSTEM_BUSY `[TIMEOUT_CLEAN_QUEUE]` (Apache's BrokerFastFailure).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ferrocket_protocol::codes::response_code;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::BrokerConfig;
use crate::processor::Failure;

/// Remark of a request refused because its family has too much in flight.
pub const OVERLOAD_REMARK: &str = "[OVERLOAD]system busy, start flow control for a while";
/// Remark of a send refused before it starts because the store's append lock is held too long (§13.3).
pub const REJECT_REQUEST_REMARK: &str =
    "[REJECTREQUEST]system busy, start flow control for a while";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Send,
    Pull,
    /// Everything else (heartbeats, offsets, admin, queries).
    Admin,
}

struct Lane {
    in_flight: Arc<Semaphore>,
    capacity: usize,
    running: Arc<Semaphore>,
}

impl Lane {
    fn new(capacity: usize, running: usize) -> Self {
        let capacity = capacity.clamp(1, Semaphore::MAX_PERMITS);
        Lane {
            in_flight: Arc::new(Semaphore::new(capacity)),
            capacity,
            running: Arc::new(Semaphore::new(running.clamp(1, Semaphore::MAX_PERMITS))),
        }
    }
}

/// A request admitted to its family; dropping it frees the place.
#[derive(Debug)]
pub struct Ticket {
    _permit: OwnedSemaphorePermit,
}

/// The right to do a family's store work now; dropping it lets the next waiting request run.
#[derive(Debug)]
pub struct RunSlot {
    _permit: OwnedSemaphorePermit,
}

pub struct FlowControl {
    send: Lane,
    pull: Lane,
    admin: Lane,
}

impl FlowControl {
    pub fn new(config: &BrokerConfig) -> Self {
        FlowControl {
            send: Lane::new(
                config.send_thread_pool_queue_capacity,
                config.send_message_thread_pool_nums,
            ),
            pull: Lane::new(
                config.pull_thread_pool_queue_capacity,
                config.pull_message_thread_pool_nums,
            ),
            admin: Lane::new(config.admin_broker_thread_pool_queue_capacity, usize::MAX),
        }
    }

    fn lane(&self, family: Family) -> &Lane {
        match family {
            Family::Send => &self.send,
            Family::Pull => &self.pull,
            Family::Admin => &self.admin,
        }
    }

    /// Admits a request of `family`, or refuses it at once with `[OVERLOAD]` when the family is full.
    pub fn enter(&self, family: Family) -> Result<Ticket, Failure> {
        match self.lane(family).in_flight.clone().try_acquire_owned() {
            Ok(permit) => Ok(Ticket { _permit: permit }),
            Err(_) => Err(Failure::new(response_code::SYSTEM_BUSY, OVERLOAD_REMARK)),
        }
    }

    /// Requests of `family` admitted and not yet answered.
    pub fn in_flight(&self, family: Family) -> usize {
        let lane = self.lane(family);
        lane.capacity - lane.in_flight.available_permits()
    }

    /// Waits for a running slot of `family`. With `max_wait`, a request still waiting after it is refused with
    /// `[TIMEOUT_CLEAN_QUEUE]`; without, it waits as long as it takes.
    pub async fn run_slot(
        &self,
        family: Family,
        max_wait: Option<Duration>,
    ) -> Result<RunSlot, Failure> {
        let lane = self.lane(family);
        // Fast path: a free slot costs no clock read.
        if let Ok(permit) = lane.running.clone().try_acquire_owned() {
            return Ok(RunSlot { _permit: permit });
        }
        let started = Instant::now();
        let acquire = lane.running.clone().acquire_owned();
        let permit = match max_wait {
            None => acquire.await,
            Some(limit) => match tokio::time::timeout(limit, acquire).await {
                Ok(p) => p,
                Err(_) => {
                    return Err(Failure::new(
                        response_code::SYSTEM_BUSY,
                        format!(
                            "[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: {}ms, \
                             size of queue: {}",
                            started.elapsed().as_millis(),
                            self.in_flight(family)
                        ),
                    ))
                }
            },
        };
        // The semaphores are never closed.
        permit
            .map(|p| RunSlot { _permit: p })
            .map_err(|_| Failure::system("flow control closed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(capacity: usize, threads: usize) -> BrokerConfig {
        BrokerConfig {
            send_thread_pool_queue_capacity: capacity,
            send_message_thread_pool_nums: threads,
            ..BrokerConfig::default()
        }
    }

    #[test]
    fn overload_when_full_and_recovers_when_freed() {
        let fc = FlowControl::new(&config(2, 1));
        let a = fc.enter(Family::Send).unwrap();
        let _b = fc.enter(Family::Send).unwrap();
        assert_eq!(fc.in_flight(Family::Send), 2);
        let err = fc.enter(Family::Send).unwrap_err();
        assert_eq!(err.code, response_code::SYSTEM_BUSY);
        assert!(err.remark.starts_with("[OVERLOAD]"), "{}", err.remark);
        // Other families are not affected.
        assert!(fc.enter(Family::Pull).is_ok());
        drop(a);
        assert!(fc.enter(Family::Send).is_ok());
    }

    #[tokio::test]
    async fn waiting_too_long_for_a_slot_is_timeout_clean_queue() {
        let fc = FlowControl::new(&config(10, 1));
        let held = fc.run_slot(Family::Send, None).await.unwrap();
        let t = Instant::now();
        let err = fc
            .run_slot(Family::Send, Some(Duration::from_millis(50)))
            .await
            .unwrap_err();
        assert!(t.elapsed() >= Duration::from_millis(50));
        assert_eq!(err.code, response_code::SYSTEM_BUSY);
        assert!(
            err.remark.starts_with("[TIMEOUT_CLEAN_QUEUE]"),
            "{}",
            err.remark
        );
        drop(held);
        fc.run_slot(Family::Send, Some(Duration::from_millis(50)))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_freed_slot_goes_to_the_waiter() {
        let fc = Arc::new(FlowControl::new(&config(10, 1)));
        let held = fc.run_slot(Family::Send, None).await.unwrap();
        let fc2 = fc.clone();
        let waiter = tokio::spawn(async move {
            fc2.run_slot(Family::Send, Some(Duration::from_secs(5)))
                .await
                .map(|_| ())
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(held);
        waiter.await.unwrap().unwrap();
    }
}
