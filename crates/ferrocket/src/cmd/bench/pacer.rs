//! Fixed-rate pacing for `bench producer --rate`.
//!
//! Why a thread: latency at a given rate is measured from each send's scheduled time, so the pacer's own lateness
//! lands in the figures. tokio's timer wheel has millisecond ticks (a sleep ends up to ~1 ms after its deadline,
//! which dominated the p99 at moderate rates), so a plain thread with a 1 µs timer slack sleeps to each due time
//! and hands out one semaphore permit per send that has come due. Senders take a permit, then claim their
//! sequence numbers: claims never outrun releases, so a claimed send is always already due, and a sender that
//! falls behind measures from the due time it missed (no coordinated omission).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

/// The longest the pacer thread sleeps at once, so it notices the end of the run.
const MAX_NAP: Duration = Duration::from_millis(5);
/// The shortest: bounds the pacer's wake-ups (and the workers it wakes) to 5,000 a second. A send released up to
/// this late still counts its latency from its due time.
const MIN_NAP: Duration = Duration::from_micros(200);

pub struct Pacer {
    start: Instant,
    rate: f64,
    permits: Arc<Semaphore>,
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Pacer {
    /// Starts releasing `rate` messages per second, `batch` messages per send (one permit per send).
    pub fn start(rate: f64, batch: u64) -> std::io::Result<Pacer> {
        let start = Instant::now();
        let permits = Arc::new(Semaphore::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let per_send = Duration::from_secs_f64(batch.max(1) as f64 / rate);
        let thread = {
            let (permits, done) = (permits.clone(), done.clone());
            std::thread::Builder::new()
                .name("bench-pacer".into())
                .spawn(move || release_loop(start, per_send, &permits, &done))?
        };
        Ok(Pacer {
            start,
            rate,
            permits,
            done,
            thread: Some(thread),
        })
    }

    /// Waits until one more send is due. `None` once the pacer was stopped.
    pub async fn next(&self) -> Option<()> {
        self.permits.acquire().await.ok()?.forget();
        Some(())
    }

    /// When message `seq` was due.
    pub fn due(&self, seq: u64) -> Instant {
        self.start + Duration::from_secs_f64(seq as f64 / self.rate)
    }

    /// Ends the release thread and wakes every waiting sender with `None`.
    pub fn stop(&self) {
        self.done.store(true, Ordering::Release);
        self.permits.close();
    }
}

impl Drop for Pacer {
    fn drop(&mut self) {
        self.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn release_loop(start: Instant, per_send: Duration, permits: &Semaphore, done: &AtomicBool) {
    fine_timer_slack();
    let mut released: u64 = 0;
    while !done.load(Ordering::Acquire) {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(start);
        // Sends 0..=k are due once k·per_send has passed.
        let due = (elapsed.as_secs_f64() / per_send.as_secs_f64()) as u64 + 1;
        if due > released {
            let n = (due - released).min(Semaphore::MAX_PERMITS as u64 / 2) as usize;
            permits.add_permits(n);
            released += n as u64;
        }
        let next = start + per_send.mul_f64(released as f64);
        let nap = next
            .saturating_duration_since(Instant::now())
            .clamp(MIN_NAP, MAX_NAP);
        std::thread::sleep(nap);
    }
}

/// Asks the kernel to wake this thread within 1 µs of its deadline instead of the default 50 µs.
fn fine_timer_slack() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes one integer argument and affects only the calling thread.
    unsafe {
        libc::prctl(libc::PR_SET_TIMERSLACK, 1_u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[tokio::test]
    async fn a_claimed_send_is_never_ahead_of_its_due_time() {
        let pacer = Arc::new(Pacer::start(4_000.0, 1).unwrap());
        let next = Arc::new(AtomicU64::new(0));
        let mut senders = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (pacer, next) = (pacer.clone(), next.clone());
            senders.spawn(async move {
                let mut early = 0u32;
                for _ in 0..50 {
                    pacer.next().await.unwrap();
                    let seq = next.fetch_add(1, Ordering::Relaxed);
                    if pacer.due(seq) > Instant::now() {
                        early += 1;
                    }
                }
                early
            });
        }
        let mut early = 0;
        while let Some(r) = senders.join_next().await {
            early += r.unwrap();
        }
        assert_eq!(early, 0, "sends claimed before they were due");
        assert_eq!(next.load(Ordering::Relaxed), 400);
    }

    #[tokio::test]
    async fn releases_at_the_rate_and_stops() {
        let pacer = Pacer::start(2_000.0, 4).unwrap();
        let t0 = Instant::now();
        for _ in 0..100 {
            pacer.next().await.unwrap();
        }
        // 100 sends of 4 messages at 2,000 msg/s are due over 0.2 s (the first at once).
        let took = t0.elapsed();
        assert!(
            took >= Duration::from_millis(190),
            "{took:?}: faster than the rate"
        );
        assert!(took < Duration::from_secs(5), "{took:?}");
        pacer.stop();
        assert!(
            pacer.next().await.is_none(),
            "a stopped pacer releases nothing"
        );
    }
}
