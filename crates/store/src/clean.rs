//! Retention (storage-format.md §10, §13): deletes expired commit-log files at `deleteWhen`, sooner when the disk
//! fills, forcibly past the clean-forcibly ratio; marks the store disk-full past the warning ratio. Consume-queue
//! and index files whose data is gone follow.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::commit_log::CommitLog;
use crate::config::StoreConfig;
use crate::consume_queue_store::ConsumeQueueStore;
use crate::env::{local_hour, StoreEnv};
use crate::index_service::IndexService;
use crate::signal::Signal;

/// What one cleanup pass saw and did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CleanReport {
    pub commit_log_ratio: f64,
    pub consume_queue_ratio: f64,
    pub disk_full: bool,
    pub forced: bool,
    pub commit_log_files_deleted: usize,
    pub consume_queue_files_deleted: usize,
    pub index_files_deleted: usize,
}

pub struct Cleaner {
    pub commit_log: Arc<CommitLog>,
    pub queues: Arc<ConsumeQueueStore>,
    pub index: Option<Arc<IndexService>>,
    pub config: StoreConfig,
    pub env: StoreEnv,
    pub disk_full: AtomicBool,
    cl_ratio_bits: AtomicU64,
    cq_ratio_bits: AtomicU64,
    pub stop: AtomicBool,
    pub signal: Signal,
}

impl Cleaner {
    pub fn new(
        commit_log: Arc<CommitLog>,
        queues: Arc<ConsumeQueueStore>,
        index: Option<Arc<IndexService>>,
        config: StoreConfig,
        env: StoreEnv,
    ) -> Self {
        Cleaner {
            commit_log,
            queues,
            index,
            config,
            env,
            disk_full: AtomicBool::new(false),
            cl_ratio_bits: AtomicU64::new(0f64.to_bits()),
            cq_ratio_bits: AtomicU64::new(0f64.to_bits()),
            stop: AtomicBool::new(false),
            signal: Signal::new(),
        }
    }

    pub fn is_disk_full(&self) -> bool {
        self.disk_full.load(Ordering::Acquire)
    }

    /// Last measured (commit log, consume queue) usage ratios.
    pub fn ratios(&self) -> (f64, f64) {
        (
            f64::from_bits(self.cl_ratio_bits.load(Ordering::Acquire)),
            f64::from_bits(self.cq_ratio_bits.load(Ordering::Acquire)),
        )
    }

    /// The remark senders get while the disk is full (§13.2).
    pub fn disk_full_remark(&self) -> String {
        let (cl, cq) = self.ratios();
        format!(
            "service not available now. It may be caused by one of the following reasons: the broker's disk is full \
             [CL: {cl:5.2} CQ: {cq:5.2} INDEX: {cq:5.2}], messages are put to the slave, message store has been shut down, etc."
        )
    }

    /// One cleanup pass (the cleaner thread runs this every `cleanResourceInterval` ms).
    pub fn run_once(&self) -> CleanReport {
        let cl_dir: PathBuf = self.config.commit_log_dir();
        let cq_dir: PathBuf = self.config.consume_queue_dir();
        let cl_ratio = self.env.disk.used_ratio(&cl_dir);
        let cq_ratio = self.env.disk.used_ratio(&cq_dir);
        self.cl_ratio_bits
            .store(cl_ratio.to_bits(), Ordering::Release);
        self.cq_ratio_bits
            .store(cq_ratio.to_bits(), Ordering::Release);

        let warning = self.config.warning_ratio();
        let forcibly = self.config.clean_forcibly_ratio();
        let full = cl_ratio > warning || cq_ratio > warning;
        let was_full = self.disk_full.swap(full, Ordering::AcqRel);
        if full && !was_full {
            tracing::error!(
                cl_ratio,
                cq_ratio,
                "disk full: appends are refused until space is freed"
            );
        } else if !full && was_full {
            tracing::info!(cl_ratio, cq_ratio, "disk space ok again: appends accepted");
        }
        let over_forcibly = cl_ratio > forcibly || cq_ratio > forcibly;
        let forced = (full || over_forcibly) && self.config.clean_file_forcibly_enable;
        let max_used = self.config.max_used_ratio();
        let space_pressure =
            cl_ratio > max_used || cq_ratio > max_used || cl_ratio < 0.0 || cq_ratio < 0.0;
        let now = self.env.clock.now_ms();
        let time_to_delete = self.config.delete_hours().contains(&local_hour(now));

        let mut report = CleanReport {
            commit_log_ratio: cl_ratio,
            consume_queue_ratio: cq_ratio,
            disk_full: full,
            forced,
            ..CleanReport::default()
        };
        if time_to_delete || space_pressure || forced || full || over_forcibly {
            let expired_ms = self.config.file_reserved_time as i64 * 3_600_000;
            match self.commit_log.delete_expired_files(
                now,
                expired_ms,
                forced,
                self.config.delete_file_batch_max.max(1) as usize,
            ) {
                Ok(n) => report.commit_log_files_deleted = n,
                Err(e) => tracing::error!(error = %e, "deleting expired commit-log files failed"),
            }
            if report.commit_log_files_deleted > 0 {
                tracing::info!(
                    files = report.commit_log_files_deleted,
                    forced,
                    "deleted commit-log files"
                );
            }
        }
        let cl_min = self.commit_log.min_offset();
        match self.queues.delete_expired(cl_min, usize::MAX) {
            Ok(n) => report.consume_queue_files_deleted = n,
            Err(e) => tracing::error!(error = %e, "deleting consume-queue files failed"),
        }
        if let Some(index) = &self.index {
            match index.delete_expired(cl_min) {
                Ok(n) => report.index_files_deleted = n,
                Err(e) => tracing::error!(error = %e, "deleting index files failed"),
            }
        }
        report
    }

    /// The cleaner thread's loop: first pass after `first_delay`, then every `cleanResourceInterval` ms.
    pub fn run(&self, first_delay: Duration) {
        self.signal.wait(first_delay);
        while !self.stop.load(Ordering::Acquire) {
            self.run_once();
            self.signal.wait(Duration::from_millis(
                self.config.clean_resource_interval.max(10),
            ));
        }
    }
}
