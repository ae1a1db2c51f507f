//! One index file (storage-format.md §5): 40-byte header, hash slots, then 20-byte entries chained per slot.

use std::path::PathBuf;
use std::sync::Arc;

use ferrocket_protocol::message::java_string_hash;
use parking_lot::RwLock;

use crate::env::FlushObserver;
use crate::error::{StoreError, StoreResult};
use crate::mapped_file::MappedFile;

pub const INDEX_HEADER_SIZE: u64 = 40;
pub const HASH_SLOT_SIZE: u64 = 4;
pub const INDEX_ENTRY_SIZE: u64 = 20;

/// Header fields, mirrored in memory and written through to the file on every change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexHeader {
    pub begin_timestamp: i64,
    pub end_timestamp: i64,
    pub begin_phy_offset: i64,
    pub end_phy_offset: i64,
    pub hash_slot_count: i32,
    /// Next entry number; starts at 1 (entry 0 is never used).
    pub index_count: i32,
}

impl IndexHeader {
    fn encode(&self) -> [u8; 40] {
        let mut b = [0u8; 40];
        b[0..8].copy_from_slice(&self.begin_timestamp.to_be_bytes());
        b[8..16].copy_from_slice(&self.end_timestamp.to_be_bytes());
        b[16..24].copy_from_slice(&self.begin_phy_offset.to_be_bytes());
        b[24..32].copy_from_slice(&self.end_phy_offset.to_be_bytes());
        b[32..36].copy_from_slice(&self.hash_slot_count.to_be_bytes());
        b[36..40].copy_from_slice(&self.index_count.to_be_bytes());
        b
    }

    fn decode(b: &[u8]) -> IndexHeader {
        let i64_at = |at: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[at..at + 8]);
            i64::from_be_bytes(a)
        };
        let i32_at = |at: usize| {
            let mut a = [0u8; 4];
            a.copy_from_slice(&b[at..at + 4]);
            i32::from_be_bytes(a)
        };
        IndexHeader {
            begin_timestamp: i64_at(0),
            end_timestamp: i64_at(8),
            begin_phy_offset: i64_at(16),
            end_phy_offset: i64_at(24),
            hash_slot_count: i32_at(32),
            index_count: i32_at(36),
        }
    }
}

/// `abs(key.hashCode())`, 0 when that overflows (§5).
pub fn index_key_hash(key: &str) -> i32 {
    let h = java_string_hash(key);
    if h == i32::MIN {
        0
    } else {
        h.abs()
    }
}

pub struct IndexFile {
    file: MappedFile,
    slot_num: u32,
    index_num: u32,
    header: RwLock<IndexHeader>,
}

impl std::fmt::Debug for IndexFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexFile")
            .field("path", &self.file.path())
            .field("header", &*self.header.read())
            .finish()
    }
}

pub fn index_file_size(slot_num: u32, index_num: u32) -> u64 {
    INDEX_HEADER_SIZE + slot_num as u64 * HASH_SLOT_SIZE + index_num as u64 * INDEX_ENTRY_SIZE
}

impl IndexFile {
    /// Creates a new file whose begin/end start at the previous file's end (§5).
    pub fn create(
        path: PathBuf,
        slot_num: u32,
        index_num: u32,
        prev_end_phy_offset: i64,
        prev_end_timestamp: i64,
        observer: Option<Arc<dyn FlushObserver>>,
    ) -> StoreResult<IndexFile> {
        let size = index_file_size(slot_num, index_num);
        let file = MappedFile::create(path, 0, size, observer)?;
        file.set_positions(size);
        let header = IndexHeader {
            begin_timestamp: prev_end_timestamp,
            end_timestamp: prev_end_timestamp,
            begin_phy_offset: prev_end_phy_offset,
            end_phy_offset: prev_end_phy_offset,
            hash_slot_count: 0,
            index_count: 1,
        };
        file.write_at(0, &header.encode());
        Ok(IndexFile {
            file,
            slot_num,
            index_num,
            header: RwLock::new(header),
        })
    }

    pub fn open(
        path: PathBuf,
        slot_num: u32,
        index_num: u32,
        observer: Option<Arc<dyn FlushObserver>>,
    ) -> StoreResult<IndexFile> {
        let size = index_file_size(slot_num, index_num);
        let file = MappedFile::open(path, 0, size, observer)?;
        let raw = file
            .bytes(0, INDEX_HEADER_SIZE)
            .ok_or_else(|| StoreError::Config("index file too small".into()))?;
        let mut header = IndexHeader::decode(raw);
        if header.index_count < 1 || header.index_count as u32 > index_num {
            // A torn header: treat as empty rather than chase garbage chains.
            header.index_count = 1;
        }
        Ok(IndexFile {
            file,
            slot_num,
            index_num,
            header: RwLock::new(header),
        })
    }

    pub fn path(&self) -> &std::path::Path {
        self.file.path()
    }
    pub fn header(&self) -> IndexHeader {
        *self.header.read()
    }
    pub fn is_full(&self) -> bool {
        self.header.read().index_count as u32 >= self.index_num
    }

    fn read_i32(&self, at: u64) -> i32 {
        self.file
            .bytes(at, 4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
            .unwrap_or(0)
    }

    fn read_i64(&self, at: u64) -> i64 {
        self.file
            .bytes(at, 8)
            .map(|b| {
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                i64::from_be_bytes(a)
            })
            .unwrap_or(0)
    }

    fn slot_pos(&self, key_hash: i32) -> u64 {
        INDEX_HEADER_SIZE + (key_hash as u32 % self.slot_num) as u64 * HASH_SLOT_SIZE
    }

    fn entry_pos(&self, n: i32) -> u64 {
        INDEX_HEADER_SIZE + self.slot_num as u64 * HASH_SLOT_SIZE + n as u64 * INDEX_ENTRY_SIZE
    }

    /// Adds `key` → `phy_offset`. Returns false when the file is full.
    pub fn put_key(&self, key: &str, phy_offset: i64, store_timestamp: i64) -> bool {
        let mut h = self.header.write();
        if h.index_count as u32 >= self.index_num {
            return false;
        }
        let key_hash = index_key_hash(key);
        let slot_pos = self.slot_pos(key_hash);
        let mut slot_value = self.read_i32(slot_pos);
        if slot_value <= 0 || slot_value > h.index_count {
            slot_value = 0;
        }
        let time_diff = if h.begin_timestamp <= 0 {
            0
        } else {
            ((store_timestamp - h.begin_timestamp) / 1000).clamp(0, i32::MAX as i64)
        };
        let mut entry = [0u8; 20];
        entry[0..4].copy_from_slice(&key_hash.to_be_bytes());
        entry[4..12].copy_from_slice(&phy_offset.to_be_bytes());
        entry[12..16].copy_from_slice(&(time_diff as i32).to_be_bytes());
        entry[16..20].copy_from_slice(&slot_value.to_be_bytes());
        self.file.write_at(self.entry_pos(h.index_count), &entry);
        self.file.write_at(slot_pos, &h.index_count.to_be_bytes());
        if h.index_count <= 1 {
            h.begin_phy_offset = phy_offset;
            h.begin_timestamp = store_timestamp;
        }
        if slot_value == 0 {
            h.hash_slot_count += 1;
        }
        h.index_count += 1;
        h.end_phy_offset = phy_offset;
        h.end_timestamp = store_timestamp;
        self.file.write_at(0, &h.encode());
        true
    }

    /// Whether this file's time span overlaps [begin, end].
    pub fn time_matched(&self, begin: i64, end: i64) -> bool {
        let h = self.header();
        (h.begin_timestamp >= begin && h.begin_timestamp <= end)
            || (h.end_timestamp >= begin && h.end_timestamp <= end)
            || (h.begin_timestamp <= begin && h.end_timestamp >= end)
    }

    /// Physical offsets of entries whose key hash equals `key`'s and whose time is within [begin, end], newest
    /// first, appended to `out` until it holds `max`. Callers must check the real key (hash collisions).
    pub fn select(&self, key: &str, max: usize, begin: i64, end: i64, out: &mut Vec<i64>) {
        let h = self.header.read();
        let key_hash = index_key_hash(key);
        let slot_value = self.read_i32(self.slot_pos(key_hash));
        if slot_value <= 0 || slot_value > h.index_count || h.index_count <= 1 {
            return;
        }
        let mut next = slot_value;
        // A damaged chain cannot loop forever: at most index_count steps.
        for _ in 0..h.index_count {
            if out.len() >= max {
                break;
            }
            let at = self.entry_pos(next);
            let hash_read = self.read_i32(at);
            let phy = self.read_i64(at + 4);
            let diff = self.read_i32(at + 12);
            let prev = self.read_i32(at + 16);
            if diff < 0 {
                break;
            }
            let time = h.begin_timestamp + diff as i64 * 1000;
            if hash_read == key_hash && time >= begin && time <= end {
                out.push(phy);
            }
            if prev <= 0 || prev > h.index_count || prev == next || time < begin {
                break;
            }
            next = prev;
        }
    }

    pub fn flush(&self) -> StoreResult<()> {
        let _h = self.header.read();
        self.file.flush_whole()
    }

    pub fn destroy(&self) -> StoreResult<()> {
        self.file.destroy()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_layout_put_select_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("20231114221320000");
        let f = IndexFile::create(path.clone(), 10, 8, 0, 0, None).unwrap();
        assert!(f.put_key("T#k1", 100, 1_700_000_000_000));
        assert!(f.put_key("T#k2", 200, 1_700_000_002_000));
        assert!(f.put_key("T#k1", 300, 1_700_000_005_000));
        let mut out = Vec::new();
        f.select("T#k1", 10, 0, i64::MAX, &mut out);
        assert_eq!(out, vec![300, 100]);
        out.clear();
        f.select("T#k1", 10, 1_700_000_001_000, 1_700_000_009_000, &mut out);
        assert_eq!(out, vec![300]);
        f.flush().unwrap();
        drop(f);
        let raw = std::fs::read(&path).unwrap();
        assert_eq!(raw.len() as u64, index_file_size(10, 8));
        assert_eq!(&raw[0..8], &1_700_000_000_000i64.to_be_bytes());
        assert_eq!(&raw[24..32], &300i64.to_be_bytes());
        assert_eq!(&raw[36..40], &4i32.to_be_bytes(), "index count starts at 1");
        // entry 3: hash, offset 300, diff 5 s, prev 1
        let e3 = 40 + 10 * 4 + 3 * 20;
        assert_eq!(&raw[e3..e3 + 4], &index_key_hash("T#k1").to_be_bytes());
        assert_eq!(&raw[e3 + 12..e3 + 16], &5i32.to_be_bytes());
        assert_eq!(&raw[e3 + 16..e3 + 20], &1i32.to_be_bytes());
        let f = IndexFile::open(path, 10, 8, None).unwrap();
        assert_eq!(f.header().index_count, 4);
        for i in 0..4 {
            assert!(f.put_key(&format!("T#x{i}"), 400 + i, 1_700_000_006_000));
        }
        assert!(f.is_full());
        assert!(!f.put_key("T#y", 999, 1_700_000_007_000));
    }

    #[test]
    fn key_hash_is_abs_java_hash() {
        assert_eq!(index_key_hash("TagA"), 2_598_919);
        assert!(index_key_hash("polygenelubricants") >= 0);
    }
}
