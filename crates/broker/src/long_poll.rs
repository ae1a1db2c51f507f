//! Parked PULL_MESSAGE requests, woken when the dispatcher makes new messages readable.
//!
//! A pull that found nothing (PULL_NOT_FOUND) with the SUSPEND bit registers a waiter for its (topic, queue) and the
//! offset it asked for, then awaits it with a deadline. The store's arrival listener calls [`LongPollService::notify`]
//! with the queue's new max offset; every waiter of that queue whose offset is now below the max is woken at once
//! (a oneshot), so a new message answers a parked pull within milliseconds instead of at the next periodic check.

use std::collections::HashMap;
use std::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::oneshot;

struct Waiter {
    id: u64,
    offset: i64,
    wake: oneshot::Sender<()>,
}

/// Why a parked pull stopped waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WakeReason {
    /// A message arrived in the queue past the awaited offset.
    Arrived,
    Timeout,
    /// The service was told to release everyone (shutdown).
    Released,
}

#[derive(Default)]
pub struct LongPollService {
    /// topic → queue id → waiters.
    waiters: Mutex<HashMap<String, HashMap<i32, Vec<Waiter>>>>,
    /// Number of waiters, read without the lock so that arrivals cost nothing while nobody is parked.
    parked: AtomicUsize,
    next_id: AtomicU64,
}

/// A registered waiter. Dropping it (timeout, closed connection) unregisters it.
pub struct Parked<'a> {
    service: &'a LongPollService,
    topic: String,
    queue_id: i32,
    id: u64,
    rx: oneshot::Receiver<()>,
    /// Set once a wake was received: the notifier already unregistered this waiter.
    woken: bool,
}

impl LongPollService {
    pub fn new() -> Self {
        Self::default()
    }

    /// Waiters currently parked.
    pub fn parked(&self) -> usize {
        self.parked.load(Ordering::Relaxed)
    }

    /// Registers interest in (topic, queue) past `offset`. The caller must re-check the queue's max offset *after*
    /// this returns (an arrival between its read and the registration would otherwise be missed) and then
    /// [`Parked::wait`].
    pub fn park(&self, topic: &str, queue_id: i32, offset: i64) -> Parked<'_> {
        let (tx, rx) = oneshot::channel();
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        {
            let mut map = self.waiters.lock();
            map.entry(topic.to_string())
                .or_default()
                .entry(queue_id)
                .or_default()
                .push(Waiter {
                    id,
                    offset,
                    wake: tx,
                });
            self.parked.fetch_add(1, Ordering::SeqCst);
        }
        // Pairs with the fence in `notify`: either the notifier sees this waiter, or the caller's re-check of the
        // max offset sees the notifier's new data.
        fence(Ordering::SeqCst);
        Parked {
            service: self,
            topic: topic.to_string(),
            queue_id,
            id,
            rx,
            woken: false,
        }
    }

    /// Called by the store's dispatcher when (topic, queue) has new data up to `max_offset` (exclusive).
    pub fn notify(&self, topic: &str, queue_id: i32, max_offset: i64) {
        fence(Ordering::SeqCst);
        if self.parked.load(Ordering::SeqCst) == 0 {
            return;
        }
        let mut map = self.waiters.lock();
        let Some(queues) = map.get_mut(topic) else {
            return;
        };
        let Some(list) = queues.get_mut(&queue_id) else {
            return;
        };
        let before = list.len();
        let mut i = 0;
        while i < list.len() {
            if list[i].offset < max_offset {
                let w = list.swap_remove(i);
                let _ = w.wake.send(());
            } else {
                i += 1;
            }
        }
        let woken = before - list.len();
        if list.is_empty() {
            queues.remove(&queue_id);
            if queues.is_empty() {
                map.remove(topic);
            }
        }
        self.parked.fetch_sub(woken, Ordering::SeqCst);
    }

    /// Wakes every parked pull (shutdown: each answers with what the store has now). They see
    /// [`WakeReason::Arrived`] and re-run their pull.
    pub fn release_all(&self) {
        let mut map = self.waiters.lock();
        let mut n = 0;
        for (_, queues) in map.drain() {
            for (_, list) in queues {
                for w in list {
                    let _ = w.wake.send(());
                    n += 1;
                }
            }
        }
        self.parked.fetch_sub(n, Ordering::SeqCst);
    }

    fn remove(&self, topic: &str, queue_id: i32, id: u64) {
        let mut map = self.waiters.lock();
        let Some(queues) = map.get_mut(topic) else {
            return;
        };
        let Some(list) = queues.get_mut(&queue_id) else {
            return;
        };
        if let Some(i) = list.iter().position(|w| w.id == id) {
            list.swap_remove(i);
            self.parked.fetch_sub(1, Ordering::SeqCst);
        }
        if list.is_empty() {
            queues.remove(&queue_id);
            if queues.is_empty() {
                map.remove(topic);
            }
        }
    }
}

impl Parked<'_> {
    /// Waits until woken or `timeout`.
    pub async fn wait(mut self, timeout: Duration) -> WakeReason {
        match tokio::time::timeout(timeout, &mut self.rx).await {
            Ok(Ok(())) => {
                self.woken = true;
                WakeReason::Arrived
            }
            // The sender went away without a wake: the service itself is being dropped.
            Ok(Err(_)) => {
                self.woken = true;
                WakeReason::Released
            }
            Err(_) => WakeReason::Timeout,
        }
    }
}

impl Drop for Parked<'_> {
    fn drop(&mut self) {
        // Woken waiters were already removed by the notifier. A timed-out one may have been woken meanwhile;
        // then `remove` finds nothing, which is fine.
        if !self.woken {
            self.service.remove(&self.topic, self.queue_id, self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    #[tokio::test]
    async fn arrival_past_the_offset_wakes_only_that_queue() {
        let s = LongPollService::new();
        let a = s.park("T", 0, 5);
        let b = s.park("T", 1, 5);
        assert_eq!(s.parked(), 2);
        s.notify("T", 0, 5); // nothing past offset 5 yet
        s.notify("U", 0, 100);
        assert_eq!(s.parked(), 2);
        s.notify("T", 0, 6);
        assert_eq!(s.parked(), 1);
        assert_eq!(a.wait(Duration::from_secs(5)).await, WakeReason::Arrived);
        let t = Instant::now();
        assert_eq!(b.wait(Duration::from_millis(30)).await, WakeReason::Timeout);
        assert!(t.elapsed() >= Duration::from_millis(30));
        assert_eq!(s.parked(), 0, "a timed-out waiter unregisters itself");
        assert!(s.waiters.lock().is_empty());
    }

    #[tokio::test]
    async fn wake_from_another_thread_is_prompt() {
        let s = Arc::new(LongPollService::new());
        let s2 = s.clone();
        let notifier = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            s2.notify("T", 3, 1);
        });
        let t = Instant::now();
        let r = s.park("T", 3, 0).wait(Duration::from_secs(10)).await;
        assert_eq!(r, WakeReason::Arrived);
        assert!(t.elapsed() < Duration::from_secs(2));
        notifier.join().unwrap();
    }

    #[tokio::test]
    async fn release_all_wakes_everyone() {
        let s = LongPollService::new();
        let a = s.park("T", 0, 0);
        let b = s.park("U", 2, 9);
        s.release_all();
        assert_eq!(s.parked(), 0);
        assert_eq!(a.wait(Duration::from_secs(1)).await, WakeReason::Arrived);
        assert_eq!(b.wait(Duration::from_secs(1)).await, WakeReason::Arrived);
    }

    #[test]
    fn dropping_unwoken_waiters_cleans_up() {
        let s = LongPollService::new();
        for i in 0..10 {
            drop(s.park("T", i % 3, 0));
        }
        assert_eq!(s.parked(), 0);
        assert!(s.waiters.lock().is_empty());
    }
}
