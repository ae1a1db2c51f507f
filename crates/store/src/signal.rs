//! A wake-up flag for a background thread: cheap to raise from hot paths (one atomic swap when already raised),
//! no lost wake-ups.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::{Condvar, Mutex};

#[derive(Debug, Default)]
pub struct Signal {
    pending: AtomicBool,
    lock: Mutex<()>,
    cv: Condvar,
}

impl Signal {
    pub fn new() -> Self {
        Self::default()
    }

    /// Raises the flag and wakes the waiter.
    pub fn notify(&self) {
        if !self.pending.swap(true, Ordering::AcqRel) {
            // Taking the lock orders us after a waiter that checked `pending` and is about to sleep.
            let _g = self.lock.lock();
            self.cv.notify_all();
        }
    }

    /// Waits until the flag is raised or `timeout` passes, then clears it. Returns whether it was raised.
    pub fn wait(&self, timeout: Duration) -> bool {
        if self.pending.swap(false, Ordering::AcqRel) {
            return true;
        }
        let mut g = self.lock.lock();
        if !self.pending.load(Ordering::Acquire) {
            self.cv.wait_for(&mut g, timeout);
        }
        drop(g);
        self.pending.swap(false, Ordering::AcqRel)
    }
}

/// A monotonically increasing i64 that threads can wait on, from blocking code (condvar) and async code (watch).
#[derive(Debug)]
pub struct Progress {
    /// Lock-free copy of `value` for hot-path reads.
    fast: std::sync::atomic::AtomicI64,
    value: Mutex<i64>,
    cv: Condvar,
    tx: tokio::sync::watch::Sender<i64>,
}

impl Progress {
    pub fn new(v: i64) -> Self {
        let (tx, _rx) = tokio::sync::watch::channel(v);
        Progress {
            fast: std::sync::atomic::AtomicI64::new(v),
            value: Mutex::new(v),
            cv: Condvar::new(),
            tx,
        }
    }

    pub fn get(&self) -> i64 {
        self.fast.load(Ordering::Acquire)
    }

    /// Raises the value (never lowers it, except through `reset`) and wakes waiters.
    pub fn advance(&self, v: i64) {
        let mut g = self.value.lock();
        if v > *g {
            *g = v;
            self.fast.store(v, Ordering::Release);
            drop(g);
            self.cv.notify_all();
            self.tx.send_replace(v);
        }
    }

    /// Sets the value unconditionally (recovery).
    pub fn reset(&self, v: i64) {
        *self.value.lock() = v;
        self.fast.store(v, Ordering::Release);
        self.cv.notify_all();
        self.tx.send_replace(v);
    }

    /// Wakes async waiters without a change, so they can re-check their deadlines.
    pub fn tick(&self) {
        self.tx.send_modify(|_| {});
    }

    /// Blocks until the value reaches `target` or `timeout` passes. Returns whether it was reached.
    pub fn wait_blocking(&self, target: i64, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let mut g = self.value.lock();
        while *g < target {
            if self.cv.wait_until(&mut g, deadline).timed_out() {
                return *g >= target;
            }
        }
        true
    }

    /// Waits (async, no runtime timer needed) until the value reaches `target` or `deadline` passes. Deadlines
    /// are checked whenever the value changes or `tick` is called; the owner ticks periodically while anyone waits.
    pub async fn wait_async(&self, target: i64, deadline: std::time::Instant) -> bool {
        let mut rx = self.tx.subscribe();
        loop {
            if *rx.borrow_and_update() >= target {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            if rx.changed().await.is_err() {
                return *rx.borrow() >= target;
            }
        }
    }

    pub fn has_async_waiters(&self) -> bool {
        self.tx.receiver_count() > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn signal_wakes_waiter() {
        let s = Arc::new(Signal::new());
        assert!(!s.wait(Duration::from_millis(1)));
        let s2 = s.clone();
        let t = std::thread::spawn(move || s2.wait(Duration::from_secs(5)));
        std::thread::sleep(Duration::from_millis(20));
        s.notify();
        assert!(t.join().unwrap());
    }

    #[test]
    fn progress_blocking_wait() {
        let p = Arc::new(Progress::new(0));
        assert!(!p.wait_blocking(10, Duration::from_millis(5)));
        let p2 = p.clone();
        let t = std::thread::spawn(move || p2.wait_blocking(10, Duration::from_secs(5)));
        std::thread::sleep(Duration::from_millis(10));
        p.advance(5);
        p.advance(12);
        assert!(t.join().unwrap());
        p.advance(3);
        assert_eq!(p.get(), 12);
    }
}
