//! Startup recovery (storage-format.md §9).
//!
//! 1. Consume queues find their valid end (zero unit) from their third-to-last file.
//! 2. The commit-log scan start is chosen so the cost depends only on what lies past the last checkpoint, never
//!    on the total log size:
//!    - normal (no abort file): the last file whose first record is at or before what the consume queues already
//!      cover (everything was flushed and dispatched at the clean shutdown);
//!    - abnormal (abort file present): the last file whose first record is older than the checkpoint's
//!      `min(physic, logics, index) − 3 s`; everything before that was flushed together with its consume-queue
//!      units and index entries.
//! 3. Records are validated from there (size, magic, position, CRC when `checkCRCOnRecover`); the log is cut after
//!    the last valid one (torn tail), later files deleted.
//! 4. Consume-queue units and index files that point at or past the new end are removed.
//! 5. Everything from the scan start to the end is re-dispatched; units and entries already present are skipped.

use std::sync::Arc;

use crate::checkpoint::StoreCheckpoint;
use crate::commit_log::CommitLog;
use crate::consume_queue_store::ConsumeQueueStore;
use crate::dispatch::Dispatcher;
use crate::error::StoreResult;
use crate::index_service::IndexService;

/// What recovery found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// The abort file was present (the last run did not shut down cleanly).
    pub abnormal: bool,
    /// Commit-log offset where the scan started.
    pub scan_from: i64,
    /// Commit-log end after recovery.
    pub end_offset: i64,
    /// Bytes of the commit log the scan examined (the cost of recovery).
    pub scanned_bytes: i64,
    /// Commit-log offset from which consume queues / index were re-dispatched.
    pub redispatch_from: i64,
}

pub(crate) struct Recovery<'a> {
    pub commit_log: &'a CommitLog,
    pub queues: &'a ConsumeQueueStore,
    pub index: Option<&'a Arc<IndexService>>,
    pub checkpoint: &'a StoreCheckpoint,
    pub dispatcher: &'a Dispatcher,
    pub check_crc: bool,
}

impl Recovery<'_> {
    pub fn run(&self, abnormal: bool) -> StoreResult<RecoveryReport> {
        self.queues.recover()?;
        let files = self.commit_log.files().files();
        if files.is_empty() {
            // No log: nothing the queues or the index point at can exist (§9).
            self.queues.destroy_all()?;
            if let Some(index) = self.index {
                index.destroy()?;
            }
            self.dispatcher.set_reput_from(0);
            return Ok(RecoveryReport {
                abnormal,
                ..RecoveryReport::default()
            });
        }
        let start_idx = if abnormal {
            // The index timestamp only counts when there is an index to protect (no keys, no files).
            let min_ts = if self.index.is_some_and(|i| i.file_count() > 0) {
                self.checkpoint.min_timestamp_index()
            } else {
                self.checkpoint.min_timestamp()
            };
            let mut idx = 0;
            for i in (0..files.len()).rev() {
                match self.commit_log.first_record_timestamp(&files[i]) {
                    Some(ts) if ts > 0 && ts <= min_ts => {
                        idx = i;
                        break;
                    }
                    _ => {}
                }
            }
            idx
        } else {
            let covered = self.queues.max_physic_offset();
            let mut idx = 0;
            if covered > 0 {
                for i in (0..files.len()).rev() {
                    if files[i].from_offset() as i64 <= covered {
                        idx = i;
                        break;
                    }
                }
            }
            idx
        };
        let scan_from = files[start_idx].from_offset() as i64;
        drop(files);

        let end = self
            .commit_log
            .recover_from(start_idx, self.check_crc, |_| {})?;
        self.queues.truncate_dirty(end)?;
        let mut redispatch_from = scan_from;
        if let Some(index) = self.index {
            if let Some(r) = index.drop_files_past(end)? {
                redispatch_from = redispatch_from.min(r.max(self.commit_log.min_offset()));
            }
        }
        self.dispatcher.set_reput_from(redispatch_from);
        self.dispatcher.dispatch_available();
        if self.dispatcher.reput_from() < end {
            tracing::error!(
                at = self.dispatcher.reput_from(),
                end,
                "recovery could not re-dispatch the whole log"
            );
        }
        self.commit_log
            .set_queue_offsets(self.queues.queue_offset_table());
        self.queues
            .correct_min_offsets(self.commit_log.min_offset());
        Ok(RecoveryReport {
            abnormal,
            scan_from,
            end_offset: end,
            scanned_bytes: end - scan_from,
            redispatch_from,
        })
    }
}
