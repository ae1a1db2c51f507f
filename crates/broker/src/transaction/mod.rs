//! Transactional messages (remoting-protocol.md §7.6, §14).
//!
//! Everything durable is in the commit log: half messages in `RMQ_SYS_TRANS_HALF_TOPIC` queue 0 ([`half`]), one
//! op record per ended half message in `RMQ_SYS_TRANS_OP_HALF_TOPIC` ([`op`]), and how far the checker got in
//! each queue as the consumer offsets of group `CID_RMQ_SYS_TRANS`. The checker ([`check`]) rebuilds its view of
//! the undecided half messages from those after a restart.
//!
//! In memory only: which transaction ids ended recently, so that a producer answering two checks of the same
//! transaction (or a check and its own END_TRANSACTION) does not commit it twice.

pub mod check;
pub mod half;
pub mod op;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::BrokerContext;

/// The group whose offsets record the checker's progress in the half and op queues (Apache's name).
pub const SYSTEM_GROUP: &str = "CID_RMQ_SYS_TRANS";

/// Transaction state shared by END_TRANSACTION and the checker.
#[derive(Default)]
pub struct TransactionService {
    /// Transaction id → when it was committed or rolled back here.
    ended: Mutex<HashMap<String, Instant>>,
    check: tokio::sync::Mutex<check::CheckState>,
    /// CHECK_TRANSACTION_STATE requests sent.
    pub checks_sent: AtomicU64,
    /// Half messages moved to TRANS_CHECK_MAX_TIME_TOPIC.
    pub discarded: AtomicU64,
}

impl TransactionService {
    pub fn new() -> Self {
        Self::default()
    }

    /// Claims the right to end transaction `id`; false when it already ended (recently) — then the caller must not
    /// store the committed message again.
    pub fn begin_end(&self, id: &str) -> bool {
        let mut m = self.ended.lock();
        if m.contains_key(id) {
            return false;
        }
        m.insert(id.to_owned(), Instant::now());
        true
    }

    /// Undoes [`Self::begin_end`] when ending failed.
    pub fn abort_end(&self, id: &str) {
        self.ended.lock().remove(id);
    }

    pub fn is_ended(&self, id: &str) -> bool {
        self.ended.lock().contains_key(id)
    }

    /// Forgets ids ended longer than `keep` ago.
    pub fn prune_ended(&self, keep: Duration) {
        let now = Instant::now();
        self.ended
            .lock()
            .retain(|_, at| now.saturating_duration_since(*at) <= keep);
    }

    /// Runs one check round now (also what the periodic task does).
    pub async fn check_now(&self, ctx: &BrokerContext) -> check::RoundReport {
        let mut state = self.check.lock().await;
        check::check_round(ctx, &mut state).await
    }

    /// The checker: a round every `transactionCheckInterval` ms on a master, until shutdown.
    pub async fn run(ctx: Arc<BrokerContext>) {
        loop {
            let config = ctx.config.load_full();
            let interval = Duration::from_millis(config.transaction_check_interval.max(50));
            tokio::select! {
                _ = ctx.shutdown.cancelled() => return,
                _ = tokio::time::sleep(interval) => {}
            }
            if !ctx.is_master() {
                continue;
            }
            let report = ctx.transactions.check_now(&ctx).await;
            if report.checked + report.discarded + report.resolved > 0 {
                tracing::debug!(?report, "transaction check round");
            }
            // Long enough to catch a second answer to the same check, short enough to stay small.
            let keep = interval * 3
                + Duration::from_millis(config.transaction_time_out)
                + Duration::from_secs(60);
            ctx.transactions.prune_ended(keep);
        }
    }

    pub(crate) fn count_check(&self) {
        self.checks_sent.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_discard(&self) {
        self.discarded.fetch_add(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_ends_once() {
        let s = TransactionService::new();
        assert!(s.begin_end("T1"));
        assert!(!s.begin_end("T1"));
        assert!(s.is_ended("T1"));
        s.abort_end("T1");
        assert!(s.begin_end("T1"));
        s.prune_ended(Duration::from_secs(60));
        assert!(s.is_ended("T1"));
        s.prune_ended(Duration::ZERO);
        std::thread::sleep(Duration::from_millis(2));
        s.prune_ended(Duration::ZERO);
        assert!(!s.is_ended("T1"));
    }
}
