//! One consume queue: 20-byte units (commit-log offset i64, size i32, tags code i64) indexed by logical queue
//! offset (storage-format.md §4).

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::env::FlushObserver;
use crate::error::StoreResult;
use crate::mapped_file_queue::MappedFileQueue;

pub const CQ_UNIT_SIZE: u64 = 20;

/// Size of the blank units that pre-fill a queue starting past zero (§4).
pub const BLANK_UNIT_SIZE: i32 = i32::MAX;

/// One decoded unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CqUnit {
    pub phys_offset: i64,
    pub size: i32,
    pub tags_code: i64,
}

impl CqUnit {
    pub fn encode(&self) -> [u8; 20] {
        let mut b = [0u8; 20];
        b[0..8].copy_from_slice(&self.phys_offset.to_be_bytes());
        b[8..12].copy_from_slice(&self.size.to_be_bytes());
        b[12..20].copy_from_slice(&self.tags_code.to_be_bytes());
        b
    }

    pub fn decode(b: &[u8]) -> Option<CqUnit> {
        if b.len() < 20 {
            return None;
        }
        let mut o = [0u8; 8];
        o.copy_from_slice(&b[0..8]);
        let mut s = [0u8; 4];
        s.copy_from_slice(&b[8..12]);
        let mut t = [0u8; 8];
        t.copy_from_slice(&b[12..20]);
        Some(CqUnit {
            phys_offset: i64::from_be_bytes(o),
            size: i32::from_be_bytes(s),
            tags_code: i64::from_be_bytes(t),
        })
    }

    /// A unit recovery accepts: offset ≥ 0 and size > 0 (a zero unit ends the data).
    pub fn is_valid(&self) -> bool {
        self.phys_offset >= 0 && self.size > 0
    }

    pub fn is_blank(&self) -> bool {
        self.phys_offset == 0 && self.size == BLANK_UNIT_SIZE && self.tags_code == 0
    }
}

/// Outcome of appending a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CqPut {
    Written,
    /// Already present (re-dispatch after recovery).
    Duplicate,
}

pub struct ConsumeQueue {
    topic: String,
    queue_id: i32,
    files: MappedFileQueue,
    /// End (offset + size) of the commit-log record behind the last unit.
    max_physic_offset: AtomicI64,
    /// First valid logical offset (units before it are gone or point at deleted commit-log data).
    min_logic_offset: AtomicI64,
}

impl std::fmt::Debug for ConsumeQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsumeQueue")
            .field("topic", &self.topic)
            .field("queue_id", &self.queue_id)
            .field("min", &self.min_offset())
            .field("max", &self.max_offset())
            .finish()
    }
}

/// Whether a file starts with a valid unit (read past the write position: recovery only).
fn first_unit_valid(f: &crate::mapped_file::MappedFile) -> bool {
    f.bytes_unpublished(0, CQ_UNIT_SIZE)
        .and_then(CqUnit::decode)
        .is_some_and(|u| u.is_valid())
}

impl ConsumeQueue {
    pub fn new(
        root: PathBuf,
        topic: &str,
        queue_id: i32,
        file_size: u64,
        observer: Option<Arc<dyn FlushObserver>>,
    ) -> Self {
        let dir = root.join(topic).join(queue_id.to_string());
        ConsumeQueue {
            topic: topic.to_string(),
            queue_id,
            files: MappedFileQueue::new(dir, file_size, observer),
            max_physic_offset: AtomicI64::new(-1),
            min_logic_offset: AtomicI64::new(0),
        }
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }
    pub fn queue_id(&self) -> i32 {
        self.queue_id
    }
    pub fn files(&self) -> &MappedFileQueue {
        &self.files
    }

    pub fn load(&self) -> StoreResult<()> {
        self.files.load()?;
        self.min_logic_offset
            .store(self.files.min_offset() as i64, Ordering::Release);
        Ok(())
    }

    /// Finds the end of the valid units and cuts everything after it (§4). The scan starts at the third-to-last
    /// file, or further back past files that begin with an invalid unit: a power cut can leave any number of
    /// created (durable, all-zero) but never flushed files after the data, and the end lies before them.
    pub fn recover(&self) -> StoreResult<()> {
        let files = self.files.files();
        if files.is_empty() {
            return Ok(());
        }
        let mut start = files.len().saturating_sub(3);
        while start > 0 && !first_unit_valid(&files[start]) {
            start -= 1;
        }
        let mut end = files[start].from_offset();
        let mut max_phys = -1i64;
        'files: for f in &files[start..] {
            let mut pos = 0u64;
            while pos + CQ_UNIT_SIZE <= f.size() {
                let Some(unit) = f
                    .bytes_unpublished(pos, CQ_UNIT_SIZE)
                    .and_then(CqUnit::decode)
                else {
                    break 'files;
                };
                if !unit.is_valid() {
                    end = f.from_offset() + pos;
                    break 'files;
                }
                if !unit.is_blank() {
                    max_phys = unit.phys_offset + unit.size as i64;
                }
                pos += CQ_UNIT_SIZE;
            }
            end = f.from_offset() + f.size();
        }
        self.files.truncate_from(end)?;
        self.files.set_flushed_where(end);
        self.max_physic_offset.store(max_phys, Ordering::Release);
        let min = self
            .min_logic_offset
            .load(Ordering::Acquire)
            .max(self.files.min_offset() as i64);
        self.min_logic_offset
            .store(min.min(end as i64), Ordering::Release);
        Ok(())
    }

    /// Next logical offset to be written (number of units, counting from 0).
    pub fn max_offset(&self) -> i64 {
        (self.files.max_offset() / CQ_UNIT_SIZE) as i64
    }

    pub fn min_offset(&self) -> i64 {
        self.min_logic_offset.load(Ordering::Acquire) / CQ_UNIT_SIZE as i64
    }

    /// End of the commit-log data this queue covers (−1 when empty).
    pub fn max_physic_offset(&self) -> i64 {
        self.max_physic_offset.load(Ordering::Acquire)
    }

    /// Appends the unit for logical `queue_offset` (single writer: the dispatcher). Units already present are
    /// skipped; a gap (which only a damaged queue can have) is filled with blank units so offsets stay aligned.
    pub fn put(&self, unit: CqUnit, queue_offset: i64) -> StoreResult<CqPut> {
        if unit.phys_offset + unit.size as i64 <= self.max_physic_offset() {
            return Ok(CqPut::Duplicate);
        }
        let expected = queue_offset as u64 * CQ_UNIT_SIZE;
        if self.files.is_empty() {
            let f = self.files.last_or_create(expected)?;
            if expected > f.from_offset() {
                self.fill_blank(expected)?;
            }
            self.min_logic_offset
                .store(expected as i64, Ordering::Release);
        }
        let cur = self.files.max_offset();
        if cur > expected {
            return Ok(CqPut::Duplicate);
        }
        if cur < expected {
            tracing::error!(
                topic = %self.topic, queue_id = self.queue_id, have = cur / CQ_UNIT_SIZE, offset = queue_offset,
                "consume queue gap, filling with blank units"
            );
            self.fill_blank(expected)?;
        }
        let f = self.files.last_or_create(expected)?;
        if f.append(&unit.encode()).is_none() {
            // Files hold whole units, so a file with room always takes one.
            return Err(crate::error::StoreError::Config(
                "consume queue file size not a multiple of 20".into(),
            ));
        }
        self.max_physic_offset
            .store(unit.phys_offset + unit.size as i64, Ordering::Release);
        Ok(CqPut::Written)
    }

    fn fill_blank(&self, until: u64) -> StoreResult<()> {
        let blank = CqUnit {
            phys_offset: 0,
            size: BLANK_UNIT_SIZE,
            tags_code: 0,
        }
        .encode();
        while self.files.max_offset() < until {
            let f = self.files.last_or_create(until)?;
            if f.append(&blank).is_none() {
                break;
            }
        }
        Ok(())
    }

    /// The unit at logical `offset`, if written and not deleted.
    pub fn unit(&self, offset: i64) -> Option<CqUnit> {
        if offset < 0 {
            return None;
        }
        let pos = offset as u64 * CQ_UNIT_SIZE;
        let f = self.files.find(pos)?;
        f.bytes(pos - f.from_offset(), CQ_UNIT_SIZE)
            .and_then(CqUnit::decode)
    }

    /// Up to `max` consecutive units from `offset`, within one file (callers loop for more).
    pub fn units_from(&self, offset: i64, max: usize) -> Option<Vec<CqUnit>> {
        if offset < 0 {
            return None;
        }
        let pos = offset as u64 * CQ_UNIT_SIZE;
        let f = self.files.find(pos)?;
        let rel = pos - f.from_offset();
        let avail = f.wrote_pos().saturating_sub(rel) / CQ_UNIT_SIZE;
        let n = (avail as usize).min(max);
        let buf = f.bytes(rel, n as u64 * CQ_UNIT_SIZE)?;
        Some(
            buf.chunks_exact(CQ_UNIT_SIZE as usize)
                .filter_map(CqUnit::decode)
                .collect(),
        )
    }

    /// First logical offset of the file after the one holding `offset` (to skip a missing file).
    pub fn roll_next_file(&self, offset: i64) -> i64 {
        let per_file = (self.files.file_size() / CQ_UNIT_SIZE) as i64;
        offset + per_file - offset.rem_euclid(per_file)
    }

    /// Removes units that point at or past `phys_end` (commit-log end after recovery), and everything from the
    /// first invalid (e.g. all-zero, never flushed) unit on: such a unit ends the queue wherever it is.
    pub fn truncate_dirty(&self, phys_end: i64) -> StoreResult<()> {
        while let Some(last) = self.files.last() {
            let mut cut: Option<u64> = None;
            let mut pos = 0u64;
            while pos + CQ_UNIT_SIZE <= last.wrote_pos() {
                let Some(u) = last.bytes(pos, CQ_UNIT_SIZE).and_then(CqUnit::decode) else {
                    break;
                };
                if !u.is_valid() || (!u.is_blank() && u.phys_offset >= phys_end) {
                    cut = Some(pos);
                    break;
                }
                pos += CQ_UNIT_SIZE;
            }
            match cut {
                Some(0) if self.files.file_count() > 1 => {
                    self.files.truncate_from(last.from_offset())?;
                    continue;
                }
                Some(p) => self.files.truncate_from(last.from_offset() + p)?,
                None => {}
            }
            break;
        }
        self.max_physic_offset
            .store(self.last_unit_end().min(phys_end), Ordering::Release);
        let max_logic = self.files.max_offset() as i64;
        if self.min_logic_offset.load(Ordering::Acquire) > max_logic {
            self.min_logic_offset.store(max_logic, Ordering::Release);
        }
        Ok(())
    }

    /// End (offset + size) of the record behind the last non-blank unit, looking back at most through the last
    /// two files (blank units fill at most the head of a queue's first file); −1 when there is none.
    fn last_unit_end(&self) -> i64 {
        let files = self.files.files();
        for f in files.iter().rev().take(2) {
            let mut pos = f.wrote_pos() - f.wrote_pos() % CQ_UNIT_SIZE;
            while pos >= CQ_UNIT_SIZE {
                pos -= CQ_UNIT_SIZE;
                match f.bytes(pos, CQ_UNIT_SIZE).and_then(CqUnit::decode) {
                    Some(u) if u.is_blank() => {}
                    Some(u) if u.is_valid() => return u.phys_offset + u.size as i64,
                    _ => return -1,
                }
            }
        }
        -1
    }

    /// Moves the min offset to the first unit that points at or past `cl_min` (commit-log min offset).
    pub fn correct_min_offset(&self, cl_min: i64) {
        let Some(first) = self.files.first() else {
            return;
        };
        let mut pos = self
            .min_logic_offset
            .load(Ordering::Acquire)
            .max(first.from_offset() as i64) as u64
            - first.from_offset();
        while pos + CQ_UNIT_SIZE <= first.wrote_pos() {
            match first.bytes(pos, CQ_UNIT_SIZE).and_then(CqUnit::decode) {
                Some(u) if !u.is_blank() && u.phys_offset >= cl_min => break,
                Some(_) => pos += CQ_UNIT_SIZE,
                None => break,
            }
        }
        let new = (first.from_offset() + pos) as i64;
        if new > self.min_logic_offset.load(Ordering::Acquire) {
            self.min_logic_offset.store(new, Ordering::Release);
        }
    }

    /// Deletes files (never the last) whose units all point below `cl_min`. Returns how many were deleted.
    pub fn delete_expired_files(&self, cl_min: i64, max: usize) -> StoreResult<usize> {
        let files = self.files.files();
        let mut n = 0;
        for f in files.iter().take(files.len().saturating_sub(1)) {
            if n >= max {
                break;
            }
            let last_pos = f.wrote_pos().saturating_sub(CQ_UNIT_SIZE);
            let expired = match f.bytes(last_pos, CQ_UNIT_SIZE).and_then(CqUnit::decode) {
                Some(u) => u.phys_offset + u.size as i64 <= cl_min || u.is_blank(),
                None => true,
            };
            if !expired {
                break;
            }
            n += 1;
        }
        if n > 0 {
            self.files.delete_first(n)?;
            let min = self.files.min_offset() as i64;
            if self.min_logic_offset.load(Ordering::Acquire) < min {
                self.min_logic_offset.store(min, Ordering::Release);
            }
        }
        self.correct_min_offset(cl_min);
        Ok(n)
    }

    pub fn flush(&self, least_pages: u32) -> StoreResult<u64> {
        self.files.flush(least_pages)
    }

    pub fn destroy(&self) -> StoreResult<()> {
        self.files.destroy()?;
        self.max_physic_offset.store(-1, Ordering::Release);
        self.min_logic_offset.store(0, Ordering::Release);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(p: i64) -> CqUnit {
        CqUnit {
            phys_offset: p,
            size: 100,
            tags_code: 7,
        }
    }

    #[test]
    fn unit_bytes_match_spec_vector() {
        // storage-format.md §3.4: unit for the test-vector record.
        let u = CqUnit {
            phys_offset: 0,
            size: 125,
            tags_code: 2_598_919,
        };
        let hex: String = u.encode().iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(hex, "00000000000000000000007D000000000027A807");
        assert_eq!(CqUnit::decode(&u.encode()), Some(u));
    }

    #[test]
    fn put_read_recover_truncate() {
        let dir = tempfile::tempdir().unwrap();
        let cq = ConsumeQueue::new(dir.path().to_path_buf(), "T", 1, 20 * 4, None);
        for i in 0..10 {
            assert_eq!(cq.put(unit(i * 100), i).unwrap(), CqPut::Written);
        }
        assert_eq!(cq.put(unit(500), 5).unwrap(), CqPut::Duplicate);
        assert_eq!(cq.max_offset(), 10);
        assert_eq!(cq.files().file_count(), 3);
        assert_eq!(cq.unit(6).unwrap().phys_offset, 600);
        assert_eq!(
            cq.units_from(5, 10).unwrap().len(),
            3,
            "stops at the file end"
        );
        assert_eq!(cq.max_physic_offset(), 1000);
        drop(cq);

        let cq = reopen(dir.path(), 20 * 4);
        assert_eq!(cq.max_offset(), 10);
        assert_eq!(cq.max_physic_offset(), 1000);
        cq.truncate_dirty(800).unwrap();
        assert_eq!(cq.max_offset(), 8);
        assert_eq!(cq.max_physic_offset(), 800);
        cq.truncate_dirty(400).unwrap();
        assert_eq!(cq.max_offset(), 4);
        assert_eq!(cq.files().file_count(), 1);
        // writing continues at the cut
        cq.put(unit(400), 4).unwrap();
        assert_eq!(cq.unit(4).unwrap().phys_offset, 400);
    }

    #[test]
    fn truncate_dirty_cuts_a_queue_far_ahead_of_the_log() {
        // A power cut can leave the queues durable well past the log (they flush on their own timer).
        let dir = tempfile::tempdir().unwrap();
        let cq = ConsumeQueue::new(dir.path().to_path_buf(), "T", 1, 20 * 50, None);
        for i in 0..6_537 {
            cq.put(unit(i * 100), i).unwrap();
        }
        cq.flush(0).unwrap();
        drop(cq);
        for end in [6_500i64, 5_000, 4_951, 4_950, 4_949, 1] {
            let cq = reopen(dir.path(), 20 * 50);
            cq.truncate_dirty(end * 100).unwrap();
            assert_eq!(cq.max_offset(), end, "cut at {end}");
            assert_eq!(cq.max_physic_offset(), end * 100);
        }
    }

    /// Opens queue T/1 under `dir` as the store does at startup: load, then recover.
    fn reopen(dir: &std::path::Path, file_size: u64) -> ConsumeQueue {
        let cq = ConsumeQueue::new(dir.to_path_buf(), "T", 1, file_size, None);
        cq.load().unwrap();
        cq.recover().unwrap();
        cq
    }

    /// Writes a queue file by hand: `units` valid units from logical `first`, then zeros to `per_file` units.
    fn write_file(dir: &std::path::Path, first: i64, units: i64, per_file: i64) {
        let qdir = dir.join("T").join("1");
        std::fs::create_dir_all(&qdir).unwrap();
        let mut b = vec![0u8; (per_file * 20) as usize];
        for i in 0..units {
            let at = (i * 20) as usize;
            b[at..at + 20].copy_from_slice(&unit((first + i) * 100).encode());
        }
        let name = crate::mapped_file::offset_file_name(first as u64 * 20);
        std::fs::write(qdir.join(name), b).unwrap();
    }

    #[test]
    fn recover_finds_the_end_behind_more_than_three_zero_files() {
        // A power cut after the queue created files faster than it flushed them: the created files are durable
        // and all zero, the data ends several files back.
        let dir = tempfile::tempdir().unwrap();
        write_file(dir.path(), 0, 4, 4);
        write_file(dir.path(), 4, 3, 4);
        for f in 2..7 {
            write_file(dir.path(), f * 4, 0, 4);
        }
        let cq = reopen(dir.path(), 20 * 4);
        assert_eq!(cq.max_offset(), 7);
        assert_eq!(cq.max_physic_offset(), 700);
        assert_eq!(cq.files().file_count(), 2);
        cq.truncate_dirty(10_000).unwrap();
        assert_eq!(cq.max_offset(), 7);
        // all files zero: the queue is empty
        let dir = tempfile::tempdir().unwrap();
        for f in 0..5 {
            write_file(dir.path(), f * 4, 0, 4);
        }
        let cq = reopen(dir.path(), 20 * 4);
        assert_eq!(cq.max_offset(), 0);
        assert_eq!(cq.max_physic_offset(), -1);
    }

    #[test]
    fn truncate_dirty_stops_at_a_zero_unit() {
        // Zeros outside recover()'s window (here: a file whose tail was never flushed, followed by files that
        // point past the log end) must end the queue, not count as units pointing at offset 0.
        let dir = tempfile::tempdir().unwrap();
        write_file(dir.path(), 0, 4, 4);
        write_file(dir.path(), 4, 2, 4);
        for f in 2..6 {
            write_file(dir.path(), f * 4, 4, 4);
        }
        let cq = reopen(dir.path(), 20 * 4);
        assert_eq!(cq.max_offset(), 24, "the window holds only valid units");
        cq.truncate_dirty(800).unwrap();
        assert_eq!(cq.max_offset(), 6);
        assert_eq!(cq.max_physic_offset(), 600);
        // the same with the zero run starting at a file boundary
        let dir = tempfile::tempdir().unwrap();
        write_file(dir.path(), 0, 4, 4);
        write_file(dir.path(), 4, 0, 4);
        for f in 2..6 {
            write_file(dir.path(), f * 4, 4, 4);
        }
        let cq = reopen(dir.path(), 20 * 4);
        cq.truncate_dirty(800).unwrap();
        assert_eq!(cq.max_offset(), 4);
        assert_eq!(cq.max_physic_offset(), 400);
        assert_eq!(cq.files().file_count(), 1);
    }

    #[test]
    fn starts_past_zero_with_blank_units_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let cq = ConsumeQueue::new(dir.path().to_path_buf(), "T", 0, 20 * 4, None);
        cq.put(unit(1000), 6).unwrap();
        assert_eq!(cq.min_offset(), 6);
        assert_eq!(cq.max_offset(), 7);
        assert!(cq.unit(5).unwrap().is_blank());
        for i in 7..14 {
            cq.put(unit(1000 + (i - 6) * 100), i).unwrap();
        }
        // files: [4..8) [8..12) [12..16)
        assert_eq!(cq.delete_expired_files(1350, 10).unwrap(), 1);
        assert_eq!(cq.min_offset(), 10, "offsets 8 and 9 point below 1350");
    }
}
