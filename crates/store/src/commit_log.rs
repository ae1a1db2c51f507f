//! The commit log: one append-only log of records for all topics in fixed-size mapped segments
//! (storage-format.md §3).
//!
//! Appends are serialized by one short lock. The caller encodes the record outside it; inside it the store only
//! assigns the queue offset, physical offset and store timestamp (three in-place patches) and copies the bytes into
//! the mapping. Reads hand out `Bytes` that share the mapping.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use ferrocket_protocol::message::record::{
    pos, set_physical_offset, set_queue_offset, set_store_timestamp, BLANK_MAGIC,
};
use ferrocket_protocol::message::sysflag::TransactionType;
use ferrocket_protocol::message::{MessageError, RecordView};
use parking_lot::Mutex;

use crate::env::{Clock, FlushObserver};
use crate::error::{StoreError, StoreResult};
use crate::mapped_file::MappedFile;
use crate::mapped_file_queue::MappedFileQueue;

/// A record is written only if `len + END_FILE_MIN_BLANK_LENGTH <= remaining` (§3.1).
pub const END_FILE_MIN_BLANK_LENGTH: u64 = 8;

/// Files at least this large are created ahead of need on a helper thread.
const PREALLOCATE_MIN_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// What the append path needs to know about each record of a put (found by parsing outside the lock).
#[derive(Debug, Clone, Copy)]
pub struct RecordMeta {
    /// Start of the record in the put buffer.
    pub start: usize,
    pub len: usize,
    pub sys_flag: i32,
}

impl RecordMeta {
    /// PREPARED and ROLLBACK records get queue offset 0 and do not consume one (§3).
    pub fn takes_queue_offset(&self) -> bool {
        matches!(
            TransactionType::from_sys_flag(self.sys_flag),
            TransactionType::NotType | TransactionType::Commit
        )
    }
}

/// Where an append landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub phys_offset: i64,
    pub wrote_bytes: i64,
    /// Queue offset of the first record that takes one (0 when none does).
    pub queue_offset: i64,
    pub store_timestamp: i64,
}

/// Outcome of validating one record found while scanning the log.
#[derive(Debug)]
pub enum Scanned<'a> {
    Record(RecordView<'a>),
    /// End-of-file blank record: continue at the next file.
    Blank,
    /// No valid record here (end of data or corruption).
    Invalid(String),
}

/// Checks the record at the start of `buf`, which sits at absolute `phys`. Rules of §9 "record scan", plus the
/// PHYSICALOFFSET field must equal the position (stale bytes from an older incarnation of the file never pass).
pub fn scan_record(buf: &[u8], phys: i64, check_crc: bool) -> Scanned<'_> {
    if buf.len() < 8 {
        return Scanned::Invalid("fewer than 8 bytes left".into());
    }
    match RecordView::parse(buf) {
        Ok(v) => {
            if v.physical_offset != phys {
                return Scanned::Invalid(format!(
                    "PHYSICALOFFSET {} at {}",
                    v.physical_offset, phys
                ));
            }
            if check_crc && !v.crc_ok() {
                return Scanned::Invalid(format!("body CRC mismatch at {phys}"));
            }
            Scanned::Record(v)
        }
        Err(MessageError::BlankRecord { .. }) => Scanned::Blank,
        Err(e) => Scanned::Invalid(e.to_string()),
    }
}

#[derive(Default)]
struct PutState {
    /// Next queue offset per topic and queue id.
    queue_offsets: HashMap<String, HashMap<i32, i64>>,
}

pub struct CommitLog {
    files: Arc<MappedFileQueue>,
    file_size: u64,
    put: Mutex<PutState>,
    /// End of the published data (what readers and the dispatcher may see).
    max_offset: AtomicI64,
    /// Store timestamp of the last appended record.
    last_store_ts: AtomicI64,
    /// When the current append took the lock (0 when idle), for the page-cache-busy check (§13.3).
    begin_time_in_lock: AtomicI64,
    clock: Arc<dyn Clock>,
    write_through: AtomicBool,
}

impl std::fmt::Debug for CommitLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CommitLog")
            .field("files", &self.files)
            .field("max_offset", &self.max_offset())
            .finish()
    }
}

impl CommitLog {
    pub fn new(
        dir: std::path::PathBuf,
        file_size: u64,
        clock: Arc<dyn Clock>,
        observer: Option<Arc<dyn FlushObserver>>,
    ) -> Self {
        CommitLog {
            files: Arc::new(MappedFileQueue::new(dir, file_size, observer)),
            file_size,
            put: Mutex::new(PutState::default()),
            max_offset: AtomicI64::new(0),
            last_store_ts: AtomicI64::new(0),
            begin_time_in_lock: AtomicI64::new(0),
            clock,
            write_through: AtomicBool::new(false),
        }
    }

    /// Appends through `pwrite` + `fdatasync` instead of copies into the mapping + msync (see
    /// `MappedFile::set_write_through`). Applies to the current and future files.
    pub fn set_write_through(&self, on: bool) {
        self.write_through.store(on, Ordering::Release);
        for f in self.files.files() {
            f.set_write_through(on);
        }
    }

    pub fn files(&self) -> &MappedFileQueue {
        &self.files
    }
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    pub fn load(&self) -> StoreResult<()> {
        self.files.load()?;
        self.max_offset
            .store(self.files.max_offset() as i64, Ordering::Release);
        Ok(())
    }

    /// End of the written log.
    pub fn max_offset(&self) -> i64 {
        self.max_offset.load(Ordering::Acquire)
    }

    /// Start of the first file still on disk.
    pub fn min_offset(&self) -> i64 {
        self.files.min_offset() as i64
    }

    pub fn flushed_offset(&self) -> i64 {
        self.files.flushed_where() as i64
    }

    pub fn last_store_timestamp(&self) -> i64 {
        self.last_store_ts.load(Ordering::Acquire)
    }

    /// Time the current append has held the lock, 0 when idle.
    pub fn lock_held_ms(&self) -> i64 {
        let b = self.begin_time_in_lock.load(Ordering::Acquire);
        if b == 0 {
            0
        } else {
            self.clock.now_ms() - b
        }
    }

    /// Sets the next queue offset of every queue (after recovery, from the consume queues).
    pub fn set_queue_offsets(&self, table: HashMap<String, HashMap<i32, i64>>) {
        self.put.lock().queue_offsets = table;
    }

    /// Next queue offset that an append to (topic, queue) would get.
    pub fn next_queue_offset(&self, topic: &str, queue_id: i32) -> i64 {
        self.put
            .lock()
            .queue_offsets
            .get(topic)
            .and_then(|m| m.get(&queue_id))
            .copied()
            .unwrap_or(0)
    }

    /// Forgets a topic's queue offsets (topic deleted).
    pub fn remove_topic(&self, topic: &str) {
        self.put.lock().queue_offsets.remove(topic);
    }

    /// Appends one or more encoded records of one (topic, queue), back to back in `buf`, assigning consecutive queue
    /// offsets, the physical offsets and one store timestamp. All land in the same file.
    ///
    /// `topic` is the byte range of the topic inside `buf` (so no copy of it is needed on the hot path).
    pub fn append(
        &self,
        buf: &mut BytesMut,
        topic: std::ops::Range<usize>,
        queue_id: i32,
        metas: &[RecordMeta],
    ) -> StoreResult<Appended> {
        let total = buf.len() as u64;
        if total + END_FILE_MIN_BLANK_LENGTH > self.file_size {
            return Err(StoreError::TooLarge {
                len: buf.len(),
                file_size: self.file_size,
            });
        }
        let mut st = self.put.lock();
        let now = self.clock.now_ms();
        self.begin_time_in_lock.store(now.max(1), Ordering::Release);
        let result = self.append_locked(&mut st, buf, topic, queue_id, metas, now);
        self.begin_time_in_lock.store(0, Ordering::Release);
        result
    }

    fn append_locked(
        &self,
        st: &mut PutState,
        buf: &mut BytesMut,
        topic: std::ops::Range<usize>,
        queue_id: i32,
        metas: &[RecordMeta],
        now: i64,
    ) -> StoreResult<Appended> {
        let total = buf.len() as u64;
        let first_qo = {
            let topic = buf
                .get(topic.clone())
                .and_then(|t| std::str::from_utf8(t).ok())
                .ok_or_else(|| StoreError::Config("topic range outside the record".into()))?;
            match st.queue_offsets.get_mut(topic) {
                Some(m) => *m.entry(queue_id).or_insert(0),
                None => {
                    st.queue_offsets
                        .entry(topic.to_string())
                        .or_default()
                        .insert(queue_id, 0);
                    0
                }
            }
        };
        let topic_range = topic;
        let mut file = self.current_file()?;
        if file.remaining() < total + END_FILE_MIN_BLANK_LENGTH {
            let remaining = file.remaining();
            let mut blank = [0u8; 8];
            blank[0..4].copy_from_slice(&(remaining as i32).to_be_bytes());
            blank[4..8].copy_from_slice(&BLANK_MAGIC.to_be_bytes());
            file.fill_to_end(&blank);
            self.max_offset
                .store((file.from_offset() + file.size()) as i64, Ordering::Release);
            file = self.current_file()?;
        }
        let phys = (file.from_offset() + file.wrote_pos()) as i64;
        let mut qo = first_qo;
        for m in metas {
            let rec = &mut buf[m.start..m.start + m.len];
            if m.takes_queue_offset() {
                set_queue_offset(rec, qo);
                qo += 1;
            } else {
                set_queue_offset(rec, 0);
            }
            set_physical_offset(rec, phys + m.start as i64);
            set_store_timestamp(rec, now);
        }
        if file.try_append(buf)?.is_none() {
            return Err(StoreError::TooLarge {
                len: buf.len(),
                file_size: self.file_size,
            });
        }
        if qo != first_qo {
            let topic = std::str::from_utf8(&buf[topic_range]).unwrap_or_default();
            if let Some(next) = st
                .queue_offsets
                .get_mut(topic)
                .and_then(|m| m.get_mut(&queue_id))
            {
                *next = qo;
            }
        }
        self.max_offset
            .store(phys + total as i64, Ordering::Release);
        self.last_store_ts.store(now, Ordering::Release);
        Ok(Appended {
            phys_offset: phys,
            wrote_bytes: total as i64,
            queue_offset: if metas.iter().any(|m| m.takes_queue_offset()) {
                first_qo
            } else {
                0
            },
            store_timestamp: now,
        })
    }

    /// The file appends go to: the last one, or a new one when it is full (or none exists).
    fn current_file(&self) -> StoreResult<Arc<MappedFile>> {
        if let Some(f) = self.files.last() {
            if !f.is_full() {
                return Ok(f);
            }
        }
        let start = self.max_offset() as u64;
        let f = self.files.last_or_create(start)?;
        f.set_write_through(self.write_through.load(Ordering::Acquire));
        if self.file_size >= PREALLOCATE_MIN_FILE_SIZE {
            let files = self.files.clone();
            let next = f.from_offset() + self.file_size;
            std::thread::Builder::new()
                .name("ferrocket-store-prealloc".into())
                .spawn(move || {
                    if let Err(e) = files.preallocate(next) {
                        tracing::warn!(error = %e, "could not preallocate the next commit-log file");
                    }
                })
                .map_err(|e| StoreError::io(self.files.dir(), e))?;
        }
        Ok(f)
    }

    /// Appends raw log bytes at `offset`, which must be the current end (replication: a slave copies the master's
    /// log). `data` must not cross a file boundary (the master never sends such a chunk).
    pub fn append_raw(&self, offset: i64, data: &[u8]) -> StoreResult<()> {
        let _st = self.put.lock();
        let end = self.max_offset();
        if offset != end {
            return Err(StoreError::RawAppendOffset {
                offset,
                expected: end,
            });
        }
        let file = self.current_file()?;
        if file.try_append(data)?.is_none() {
            return Err(StoreError::TooLarge {
                len: data.len(),
                file_size: self.file_size,
            });
        }
        self.max_offset
            .store(end + data.len() as i64, Ordering::Release);
        Ok(())
    }

    /// The record bytes `[phys, phys+size)` as a `Bytes` sharing the mapping.
    pub fn read(&self, phys: i64, size: i32) -> Option<Bytes> {
        if phys < 0 || size <= 0 || phys + size as i64 > self.max_offset() {
            return None;
        }
        let f = self.files.find(phys as u64)?;
        f.slice(phys as u64 - f.from_offset(), size as u64)
    }

    /// Up to `max_len` raw bytes from `offset` to the end of its file's data (replication, tools).
    pub fn read_raw(&self, offset: i64, max_len: usize) -> Option<Bytes> {
        if offset < 0 || offset >= self.max_offset() {
            return None;
        }
        let f = self.files.find(offset as u64)?;
        let rel = offset as u64 - f.from_offset();
        let avail = f.wrote_pos().saturating_sub(rel);
        let n = avail.min(max_len as u64);
        if n == 0 {
            return None;
        }
        f.slice(rel, n)
    }

    /// The whole record starting at `phys` (its size read from the log), sharing the mapping.
    pub fn read_record(&self, phys: i64) -> Option<Bytes> {
        let head = self.read(phys, 4)?;
        let size = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        self.read(phys, size)
    }

    /// Store timestamp of the record at `phys` (reads two fields, no full parse).
    pub fn store_timestamp_at(&self, phys: i64) -> Option<i64> {
        let f = self.files.find(phys as u64)?;
        let rel = phys as u64 - f.from_offset();
        let head = f.bytes(rel, (pos::SYS_FLAG + 4) as u64)?;
        let sys_flag = i32::from_be_bytes(head[pos::SYS_FLAG..pos::SYS_FLAG + 4].try_into().ok()?);
        let at = pos::store_timestamp_pos(sys_flag) as u64;
        let b = f.bytes(rel + at, 8)?;
        Some(i64::from_be_bytes(b.try_into().ok()?))
    }

    /// Store timestamp of the first record of file `idx`, if that record is valid (recovery start selection).
    pub fn first_record_timestamp(&self, file: &MappedFile) -> Option<i64> {
        let buf = file.bytes_unpublished(0, file.size())?;
        match scan_record(buf, file.from_offset() as i64, false) {
            Scanned::Record(v) => Some(v.store_timestamp),
            _ => None,
        }
    }

    /// Scans the log from the start of file `start_idx`, validating each record (§9) and calling `on_record` for
    /// each valid one, then cuts the log after the last valid record. Returns the new end offset.
    pub fn recover_from(
        &self,
        start_idx: usize,
        check_crc: bool,
        mut on_record: impl FnMut(&RecordView<'_>),
    ) -> StoreResult<i64> {
        let files = self.files.files();
        let Some(start) = files.get(start_idx) else {
            self.max_offset
                .store(self.files.max_offset() as i64, Ordering::Release);
            return Ok(self.max_offset());
        };
        let mut end = start.from_offset();
        let mut last_ts = 0i64;
        'files: for f in &files[start_idx..] {
            let Some(data) = f.bytes_unpublished(0, f.size()) else {
                break;
            };
            let mut pos = 0usize;
            loop {
                let phys = (f.from_offset() + pos as u64) as i64;
                match scan_record(&data[pos..], phys, check_crc) {
                    Scanned::Record(v) => {
                        on_record(&v);
                        last_ts = v.store_timestamp;
                        pos += v.total_size as usize;
                        end = f.from_offset() + pos as u64;
                        if pos == data.len() {
                            continue 'files;
                        }
                    }
                    Scanned::Blank => {
                        end = f.from_offset() + f.size();
                        continue 'files;
                    }
                    Scanned::Invalid(why) => {
                        if pos < data.len() && data[pos..].iter().take(8).any(|&b| b != 0) {
                            tracing::warn!(offset = phys, reason = %why, "commit log ends at an invalid record");
                        }
                        break 'files;
                    }
                }
            }
        }
        self.files.truncate_from(end)?;
        self.files.set_flushed_where(end);
        self.max_offset.store(end as i64, Ordering::Release);
        if last_ts > 0 {
            self.last_store_ts.store(last_ts, Ordering::Release);
        }
        Ok(end as i64)
    }

    pub fn flush(&self, least_pages: u32) -> StoreResult<i64> {
        Ok(self.files.flush(least_pages)? as i64)
    }

    /// Deletes files (never the active last one) last modified more than `expired_ms` ago, or any when `force`.
    /// Returns how many were deleted.
    pub fn delete_expired_files(
        &self,
        now_ms: i64,
        expired_ms: i64,
        force: bool,
        max: usize,
    ) -> StoreResult<usize> {
        let files = self.files.files();
        let mut n = 0;
        for f in files.iter().take(files.len().saturating_sub(1)) {
            if n >= max {
                break;
            }
            if force || f.last_modified_ms() + expired_ms <= now_ms {
                n += 1;
            } else {
                break;
            }
        }
        if n > 0 {
            self.files.delete_first(n)?;
        }
        Ok(n)
    }
}
