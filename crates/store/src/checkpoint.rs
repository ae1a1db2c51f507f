//! The checkpoint file (storage-format.md §6): 4 KiB, big-endian i64 fields at 0/8/16/24/32.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::env::FlushObserver;
use crate::error::{StoreError, StoreResult};
use crate::mapped_file::MappedFile;

pub const CHECKPOINT_SIZE: u64 = 4096;

/// Store times up to which each kind of data is known durable, plus the 5.x offsets.
pub struct StoreCheckpoint {
    file: MappedFile,
    physic_msg_timestamp: AtomicI64,
    logics_msg_timestamp: AtomicI64,
    index_msg_timestamp: AtomicI64,
    master_flushed_offset: AtomicI64,
    confirm_phy_offset: AtomicI64,
}

impl std::fmt::Debug for StoreCheckpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreCheckpoint")
            .field("physic", &self.physic_msg_timestamp())
            .field("logics", &self.logics_msg_timestamp())
            .field("index", &self.index_msg_timestamp())
            .finish()
    }
}

fn field(buf: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&buf[at..at + 8]);
    i64::from_be_bytes(a)
}

impl StoreCheckpoint {
    /// Opens `path`, creating a zeroed file when missing.
    pub fn open(path: PathBuf, observer: Option<Arc<dyn FlushObserver>>) -> StoreResult<Self> {
        let file = if path.exists() {
            let len = std::fs::metadata(&path)
                .map_err(|e| StoreError::io(&path, e))?
                .len();
            if len != CHECKPOINT_SIZE {
                return Err(StoreError::BadFileSize {
                    path,
                    actual: len,
                    expected: CHECKPOINT_SIZE,
                });
            }
            MappedFile::open(path, 0, CHECKPOINT_SIZE, observer)?
        } else {
            let f = MappedFile::create(path, 0, CHECKPOINT_SIZE, observer)?;
            f.set_positions(CHECKPOINT_SIZE);
            f
        };
        let buf = file
            .bytes_unpublished(0, 40)
            .ok_or_else(|| StoreError::Config("checkpoint mapping too small".into()))?;
        let cp = StoreCheckpoint {
            physic_msg_timestamp: AtomicI64::new(field(buf, 0)),
            logics_msg_timestamp: AtomicI64::new(field(buf, 8)),
            index_msg_timestamp: AtomicI64::new(field(buf, 16)),
            master_flushed_offset: AtomicI64::new(field(buf, 24)),
            confirm_phy_offset: AtomicI64::new(field(buf, 32)),
            file,
        };
        Ok(cp)
    }

    pub fn physic_msg_timestamp(&self) -> i64 {
        self.physic_msg_timestamp.load(Ordering::Acquire)
    }
    pub fn logics_msg_timestamp(&self) -> i64 {
        self.logics_msg_timestamp.load(Ordering::Acquire)
    }
    pub fn index_msg_timestamp(&self) -> i64 {
        self.index_msg_timestamp.load(Ordering::Acquire)
    }
    pub fn master_flushed_offset(&self) -> i64 {
        self.master_flushed_offset.load(Ordering::Acquire)
    }
    pub fn confirm_phy_offset(&self) -> i64 {
        self.confirm_phy_offset.load(Ordering::Acquire)
    }
    pub fn set_physic_msg_timestamp(&self, v: i64) {
        self.physic_msg_timestamp.store(v, Ordering::Release);
    }
    pub fn set_logics_msg_timestamp(&self, v: i64) {
        self.logics_msg_timestamp.store(v, Ordering::Release);
    }
    pub fn set_index_msg_timestamp(&self, v: i64) {
        self.index_msg_timestamp.store(v, Ordering::Release);
    }
    pub fn set_master_flushed_offset(&self, v: i64) {
        self.master_flushed_offset.store(v, Ordering::Release);
    }
    pub fn set_confirm_phy_offset(&self, v: i64) {
        self.confirm_phy_offset.store(v, Ordering::Release);
    }

    /// `min(physic, logics) − 3000`, not below 0 (§6).
    pub fn min_timestamp(&self) -> i64 {
        (self.physic_msg_timestamp().min(self.logics_msg_timestamp()) - 3000).max(0)
    }

    /// `min(minTimestamp, indexMsgTimestamp)` (§6).
    pub fn min_timestamp_index(&self) -> i64 {
        self.min_timestamp().min(self.index_msg_timestamp())
    }

    /// Writes the fields into the mapping and msyncs it.
    pub fn flush(&self) -> StoreResult<()> {
        let mut buf = [0u8; 40];
        buf[0..8].copy_from_slice(&self.physic_msg_timestamp().to_be_bytes());
        buf[8..16].copy_from_slice(&self.logics_msg_timestamp().to_be_bytes());
        buf[16..24].copy_from_slice(&self.index_msg_timestamp().to_be_bytes());
        buf[24..32].copy_from_slice(&self.master_flushed_offset().to_be_bytes());
        buf[32..40].copy_from_slice(&self.confirm_phy_offset().to_be_bytes());
        self.file.write_at(0, &buf);
        self.file.flush_whole()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint");
        let cp = StoreCheckpoint::open(path.clone(), None).unwrap();
        assert_eq!(cp.physic_msg_timestamp(), 0);
        cp.set_physic_msg_timestamp(1_700_000_010_000);
        cp.set_logics_msg_timestamp(1_700_000_005_000);
        cp.set_index_msg_timestamp(1_700_000_001_000);
        cp.flush().unwrap();
        drop(cp);
        let raw = std::fs::read(&path).unwrap();
        assert_eq!(raw.len(), 4096);
        assert_eq!(&raw[0..8], &1_700_000_010_000i64.to_be_bytes());
        assert_eq!(&raw[8..16], &1_700_000_005_000i64.to_be_bytes());
        let cp = StoreCheckpoint::open(path, None).unwrap();
        assert_eq!(cp.logics_msg_timestamp(), 1_700_000_005_000);
        assert_eq!(cp.min_timestamp(), 1_700_000_002_000);
        assert_eq!(cp.min_timestamp_index(), 1_700_000_001_000);
    }
}
