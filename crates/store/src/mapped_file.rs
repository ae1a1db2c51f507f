//! One fixed-size data file mapped into memory (commit-log segment, consume-queue file, index file).
//!
//! Concurrency contract: one writer at a time (an internal mutex enforces it) appends past the write position and
//! then publishes the new position with release ordering; readers only look at bytes below a published position, so
//! readers and the writer never touch the same bytes. Reads can be handed out as `Bytes` that keep the mapping
//! alive (`Bytes::from_owner`), so a deleted file's memory stays valid until the last slice is dropped.

use std::fs::{File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use memmap2::{MmapOptions, MmapRaw};
use parking_lot::Mutex;

use crate::config::OS_PAGE_SIZE;
use crate::env::FlushObserver;
use crate::error::{StoreError, StoreResult};

/// Owner of a read-only window of a mapping, for `Bytes::from_owner`.
struct MapSlice {
    map: Arc<MmapRaw>,
    off: usize,
    len: usize,
}

impl AsRef<[u8]> for MapSlice {
    fn as_ref(&self) -> &[u8] {
        // SAFETY: off+len was checked against the published write position when the slice was made; bytes below
        // that position are never written again while the mapping lives (truncation happens only at recovery,
        // before any reader exists), and the Arc keeps the mapping alive.
        unsafe { std::slice::from_raw_parts(self.map.as_ptr().add(self.off), self.len) }
    }
}

pub struct MappedFile {
    path: PathBuf,
    file: File,
    map: Arc<MmapRaw>,
    from: u64,
    size: u64,
    wrote: AtomicU64,
    flushed: AtomicU64,
    write_lock: Mutex<()>,
    flush_lock: Mutex<()>,
    observer: Option<Arc<dyn FlushObserver>>,
    removed: AtomicBool,
    /// Appends go through `pwrite` instead of a copy into the mapping, and flushes use `fdatasync`. The page cache
    /// is shared, so readers of the mapping see the same bytes. Cheaper when flushing after every few appends
    /// (SYNC_FLUSH): no write-protect fault on the next write into a page the last msync cleaned.
    write_through: AtomicBool,
}

impl std::fmt::Debug for MappedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedFile")
            .field("path", &self.path)
            .field("from", &self.from)
            .field("wrote", &self.wrote_pos())
            .field("flushed", &self.flushed_pos())
            .finish()
    }
}

/// 20-digit zero-padded offset, the name of commit-log and consume-queue files (§1).
pub fn offset_file_name(offset: u64) -> String {
    format!("{offset:020}")
}

/// fsync a directory so a file created or removed in it survives a power cut.
pub fn sync_dir(dir: &Path) -> StoreResult<()> {
    let d = File::open(dir).map_err(|e| StoreError::io(dir, e))?;
    d.sync_all().map_err(|e| StoreError::io(dir, e))
}

/// `create_dir_all` that also fsyncs the parent of every directory it created.
pub fn create_dir_durable(dir: &Path) -> StoreResult<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_durable(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(StoreError::io(dir, e)),
    }
    if let Some(parent) = dir.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

impl MappedFile {
    /// Creates (or reuses) the file `dir/<20-digit from>` of exactly `size` bytes, allocated on disk so a full disk
    /// fails here with an error instead of a SIGBUS on a later write, and durable (file and directory entry).
    pub fn create(
        path: PathBuf,
        from: u64,
        size: u64,
        observer: Option<Arc<dyn FlushObserver>>,
    ) -> StoreResult<MappedFile> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        let cur = file.metadata().map_err(|e| StoreError::io(&path, e))?.len();
        if cur != size {
            if cur > size {
                file.set_len(size).map_err(|e| StoreError::io(&path, e))?;
            }
            allocate(&file, size).map_err(|e| StoreError::io(&path, e))?;
        }
        file.sync_all().map_err(|e| StoreError::io(&path, e))?;
        if let Some(dir) = path.parent() {
            sync_dir(dir)?;
        }
        if let Some(o) = &observer {
            o.flushed(&path, size, 0, &[]);
        }
        let mf = Self::map(path, file, from, size, observer)?;
        mf.wrote.store(0, Ordering::Release);
        mf.flushed.store(0, Ordering::Release);
        Ok(mf)
    }

    /// Opens an existing file, which must be exactly `size` bytes. Positions start at the end of the file;
    /// recovery moves them back for the last file.
    pub fn open(
        path: PathBuf,
        from: u64,
        size: u64,
        observer: Option<Arc<dyn FlushObserver>>,
    ) -> StoreResult<MappedFile> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::io(&path, e))?;
        let actual = file.metadata().map_err(|e| StoreError::io(&path, e))?.len();
        if actual != size {
            return Err(StoreError::BadFileSize {
                path,
                actual,
                expected: size,
            });
        }
        Self::map(path, file, from, size, observer)
    }

    fn map(
        path: PathBuf,
        file: File,
        from: u64,
        size: u64,
        observer: Option<Arc<dyn FlushObserver>>,
    ) -> StoreResult<MappedFile> {
        let len =
            usize::try_from(size).map_err(|_| StoreError::Config("file size too large".into()))?;
        let map = MmapOptions::new()
            .len(len)
            .map_raw(&file)
            .map_err(|e| StoreError::io(&path, e))?;
        Ok(MappedFile {
            path,
            file,
            map: Arc::new(map),
            from,
            size,
            wrote: AtomicU64::new(size),
            flushed: AtomicU64::new(size),
            write_lock: Mutex::new(()),
            flush_lock: Mutex::new(()),
            observer,
            removed: AtomicBool::new(false),
            write_through: AtomicBool::new(false),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Absolute offset of the file's first byte (its name).
    pub fn from_offset(&self) -> u64 {
        self.from
    }
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn wrote_pos(&self) -> u64 {
        self.wrote.load(Ordering::Acquire)
    }
    pub fn flushed_pos(&self) -> u64 {
        self.flushed.load(Ordering::Acquire)
    }
    pub fn remaining(&self) -> u64 {
        self.size - self.wrote_pos()
    }
    pub fn is_full(&self) -> bool {
        self.wrote_pos() >= self.size
    }

    /// Switches appends to `pwrite` and flushes to `fdatasync` (see the field doc).
    pub fn set_write_through(&self, on: bool) {
        self.write_through.store(on, Ordering::Release);
    }

    /// Appends `data` at the write position and publishes it. `Ok(None)` when it does not fit; an error only in
    /// write-through mode (the `pwrite` failed).
    pub fn try_append(&self, data: &[u8]) -> StoreResult<Option<u64>> {
        if !self.write_through.load(Ordering::Acquire) {
            return Ok(self.append(data));
        }
        let _w = self.write_lock.lock();
        let pos = self.wrote.load(Ordering::Acquire);
        let Some(end) = pos.checked_add(data.len() as u64) else {
            return Ok(None);
        };
        if end > self.size {
            return Ok(None);
        }
        use std::os::unix::fs::FileExt;
        self.file
            .write_all_at(data, pos)
            .map_err(|e| StoreError::io(&self.path, e))?;
        self.wrote.store(end, Ordering::Release);
        Ok(Some(pos))
    }

    /// Appends `data` at the write position and publishes it. Returns the position it was written at, or `None`
    /// when it does not fit.
    pub fn append(&self, data: &[u8]) -> Option<u64> {
        let _w = self.write_lock.lock();
        let pos = self.wrote.load(Ordering::Acquire);
        let end = pos.checked_add(data.len() as u64)?;
        if end > self.size {
            return None;
        }
        // SAFETY: [pos, end) is inside the mapping and above the published position, so no reader looks at it;
        // the write lock excludes other writers.
        unsafe {
            std::ptr::copy_nonoverlapping(
                data.as_ptr(),
                self.map.as_mut_ptr().add(pos as usize),
                data.len(),
            );
        }
        self.wrote.store(end, Ordering::Release);
        Some(pos)
    }

    /// Appends several pieces as one unit (published together).
    pub fn append_parts(&self, parts: &[&[u8]]) -> Option<u64> {
        let _w = self.write_lock.lock();
        let pos = self.wrote.load(Ordering::Acquire);
        let total: u64 = parts.iter().map(|p| p.len() as u64).sum();
        let end = pos.checked_add(total)?;
        if end > self.size {
            return None;
        }
        let mut at = pos as usize;
        for p in parts {
            // SAFETY: as in `append`.
            unsafe {
                std::ptr::copy_nonoverlapping(p.as_ptr(), self.map.as_mut_ptr().add(at), p.len());
            }
            at += p.len();
        }
        self.wrote.store(end, Ordering::Release);
        Some(pos)
    }

    /// Writes `head` at the write position and marks the rest of the file as used (the commit log's end-of-file
    /// blank record). Returns false when `head` does not fit.
    pub fn fill_to_end(&self, head: &[u8]) -> bool {
        let _w = self.write_lock.lock();
        let pos = self.wrote.load(Ordering::Acquire);
        if pos + head.len() as u64 > self.size {
            return false;
        }
        // SAFETY: as in `append`.
        unsafe {
            std::ptr::copy_nonoverlapping(
                head.as_ptr(),
                self.map.as_mut_ptr().add(pos as usize),
                head.len(),
            );
        }
        self.wrote.store(self.size, Ordering::Release);
        true
    }

    /// Writes in place at `pos`, which must be at or above the write position, and advances the write position to
    /// the end of it. Used by the index file (random slots) under its own lock, and for blank fills.
    pub fn write_at(&self, pos: u64, data: &[u8]) -> bool {
        let _w = self.write_lock.lock();
        let Some(end) = pos.checked_add(data.len() as u64) else {
            return false;
        };
        if end > self.size {
            return false;
        }
        // SAFETY: inside the mapping; see the type's contract for who may touch which bytes.
        unsafe {
            std::ptr::copy_nonoverlapping(
                data.as_ptr(),
                self.map.as_mut_ptr().add(pos as usize),
                data.len(),
            );
        }
        if end > self.wrote.load(Ordering::Acquire) {
            self.wrote.store(end, Ordering::Release);
        }
        true
    }

    /// The published bytes `[pos, pos+len)` of this file, borrowed.
    pub fn bytes(&self, pos: u64, len: u64) -> Option<&[u8]> {
        let end = pos.checked_add(len)?;
        if end > self.wrote_pos() {
            return None;
        }
        // SAFETY: below the published position (see MapSlice).
        Some(unsafe {
            std::slice::from_raw_parts(self.map.as_ptr().add(pos as usize), len as usize)
        })
    }

    /// Bytes up to the end of the file regardless of the write position (recovery scans with no writer running).
    pub fn bytes_unpublished(&self, pos: u64, len: u64) -> Option<&[u8]> {
        let end = pos.checked_add(len)?;
        if end > self.size {
            return None;
        }
        // SAFETY: inside the mapping; only called during recovery, when nothing writes.
        Some(unsafe {
            std::slice::from_raw_parts(self.map.as_ptr().add(pos as usize), len as usize)
        })
    }

    /// The published bytes `[pos, pos+len)` as a `Bytes` that shares the mapping (no copy).
    pub fn slice(&self, pos: u64, len: u64) -> Option<Bytes> {
        let end = pos.checked_add(len)?;
        if end > self.wrote_pos() {
            return None;
        }
        Some(Bytes::from_owner(MapSlice {
            map: self.map.clone(),
            off: pos as usize,
            len: len as usize,
        }))
    }

    /// msyncs the dirty range if at least `least_pages` pages are dirty (0 = any dirty byte) or the file is full
    /// (its tail would otherwise wait for the next thorough flush, and the queue's flush could not move on to the
    /// next file). Returns the flushed position afterwards.
    pub fn flush(&self, least_pages: u32) -> StoreResult<u64> {
        let _f = self.flush_lock.lock();
        let flushed = self.flushed.load(Ordering::Acquire);
        let wrote = self.wrote.load(Ordering::Acquire);
        if wrote <= flushed {
            return Ok(flushed);
        }
        if least_pages > 0
            && wrote < self.size
            && (wrote / OS_PAGE_SIZE).saturating_sub(flushed / OS_PAGE_SIZE) < least_pages as u64
        {
            return Ok(flushed);
        }
        if self.write_through.load(Ordering::Acquire) {
            self.file
                .sync_data()
                .map_err(|e| StoreError::io(&self.path, e))?;
        } else {
            let start = flushed - flushed % OS_PAGE_SIZE;
            self.map
                .flush_range(start as usize, (wrote - start) as usize)
                .map_err(|e| StoreError::io(&self.path, e))?;
        }
        if let Some(o) = &self.observer {
            if let Some(data) = self.bytes(flushed, wrote - flushed) {
                o.flushed(&self.path, self.size, flushed, data);
            }
        }
        self.flushed.store(wrote, Ordering::Release);
        Ok(wrote)
    }

    /// msyncs the whole file regardless of positions (index files and the checkpoint, written at random places).
    pub fn flush_whole(&self) -> StoreResult<()> {
        let _f = self.flush_lock.lock();
        self.map
            .flush_range(0, self.size as usize)
            .map_err(|e| StoreError::io(&self.path, e))?;
        if let Some(o) = &self.observer {
            if let Some(data) = self.bytes_unpublished(0, self.size) {
                o.flushed(&self.path, self.size, 0, data);
            }
        }
        Ok(())
    }

    /// Sets both positions (recovery: the last valid byte of this file).
    pub fn set_positions(&self, pos: u64) {
        let p = pos.min(self.size);
        self.wrote.store(p, Ordering::Release);
        self.flushed.store(p, Ordering::Release);
    }

    /// Drops everything from `pos` to the end of the file: positions move back and the stale bytes become zeros, so
    /// a later scan cannot mistake them for data. Only for recovery/truncation with no concurrent reader of them.
    pub fn truncate_to(&self, pos: u64) -> StoreResult<()> {
        let _w = self.write_lock.lock();
        let pos = pos.min(self.size);
        let page_end = pos.div_ceil(OS_PAGE_SIZE) * OS_PAGE_SIZE;
        let head_end = page_end.min(self.size);
        // SAFETY: inside the mapping; no reader looks past the new position.
        unsafe {
            std::ptr::write_bytes(
                self.map.as_mut_ptr().add(pos as usize),
                0,
                (head_end - pos) as usize,
            );
        }
        if head_end < self.size && punch_hole(&self.file, head_end, self.size - head_end).is_err() {
            // No hole punching: zero page by page until a page that is already all zero (stale data is one run).
            let mut at = head_end;
            while at < self.size {
                let n = OS_PAGE_SIZE.min(self.size - at) as usize;
                // SAFETY: inside the mapping, as above.
                let page = unsafe {
                    std::slice::from_raw_parts_mut(self.map.as_mut_ptr().add(at as usize), n)
                };
                if page.iter().all(|&b| b == 0) {
                    break;
                }
                page.fill(0);
                at += n as u64;
            }
        }
        self.map
            .flush_range(0, self.size as usize)
            .map_err(|e| StoreError::io(&self.path, e))?;
        // The zeros are durable now: an observer copying flushed ranges must see them too.
        if let Some(o) = &self.observer {
            if let Some(data) = self.bytes_unpublished(pos, self.size - pos) {
                o.flushed(&self.path, self.size, pos, data);
            }
        }
        self.wrote.store(pos, Ordering::Release);
        self.flushed.store(pos, Ordering::Release);
        Ok(())
    }

    /// Last modification time of the file in ms since the epoch (file expiry).
    pub fn last_modified_ms(&self) -> i64 {
        self.file
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }

    /// Removes the file from disk. The mapping stays valid for outstanding slices.
    pub fn destroy(&self) -> StoreResult<()> {
        if self.removed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::io(&self.path, e)),
        }
        if let Some(o) = &self.observer {
            o.deleted(&self.path);
        }
        Ok(())
    }

    pub fn is_removed(&self) -> bool {
        self.removed.load(Ordering::Acquire)
    }
}

fn allocate(file: &File, size: u64) -> std::io::Result<()> {
    // SAFETY: plain syscall on an fd we own.
    let r = unsafe { libc::fallocate(file.as_raw_fd(), 0, 0, size as libc::off_t) };
    if r == 0 {
        return Ok(());
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) => file.set_len(size),
        _ => Err(err),
    }
}

fn punch_hole(file: &File, off: u64, len: u64) -> std::io::Result<()> {
    // SAFETY: plain syscall on an fd we own.
    let r = unsafe {
        libc::fallocate(
            file.as_raw_fd(),
            libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
            off as libc::off_t,
            len as libc::off_t,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_read_flush_truncate() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(offset_file_name(4096));
        let mf = MappedFile::create(path.clone(), 4096, 8192, None).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 8192);
        assert_eq!(mf.append(b"hello"), Some(0));
        assert_eq!(mf.append(b" world"), Some(5));
        assert_eq!(mf.bytes(0, 11).unwrap(), b"hello world");
        assert!(
            mf.bytes(0, 12).is_none(),
            "unpublished bytes are not readable"
        );
        let s = mf.slice(6, 5).unwrap();
        assert_eq!(&s[..], b"world");
        assert_eq!(mf.flush(1).unwrap(), 0, "less than one page dirty");
        assert_eq!(mf.flush(0).unwrap(), 11);
        assert!(mf.append(&vec![1u8; 8192]).is_none());
        mf.append(&vec![7u8; 5000]).unwrap();
        mf.truncate_to(3).unwrap();
        assert_eq!(mf.wrote_pos(), 3);
        assert!(mf
            .bytes_unpublished(3, 8189)
            .unwrap()
            .iter()
            .all(|&b| b == 0));
        drop(mf);
        let re = MappedFile::open(path.clone(), 4096, 8192, None).unwrap();
        assert_eq!(re.wrote_pos(), 8192);
        assert_eq!(re.bytes(0, 3).unwrap(), b"hel");
        assert!(MappedFile::open(path.clone(), 4096, 4096, None).is_err());
        // a slice outlives the file
        let keep = re.slice(0, 3).unwrap();
        re.destroy().unwrap();
        drop(re);
        assert!(!path.exists());
        assert_eq!(&keep[..], b"hel");
    }

    #[test]
    fn a_full_file_flushes_whatever_least_pages_says() {
        let dir = tempfile::tempdir().unwrap();
        let size = 8 * OS_PAGE_SIZE;
        let mf = MappedFile::create(dir.path().join(offset_file_name(0)), 0, size, None).unwrap();
        mf.append(&vec![1u8; (7 * OS_PAGE_SIZE) as usize]).unwrap();
        assert_eq!(mf.flush(4).unwrap(), 7 * OS_PAGE_SIZE);
        mf.append(&vec![2u8; (OS_PAGE_SIZE - 10) as usize]).unwrap();
        assert_eq!(
            mf.flush(4).unwrap(),
            7 * OS_PAGE_SIZE,
            "not full, one page dirty"
        );
        assert!(mf.fill_to_end(&[3u8; 8]));
        assert_eq!(
            mf.flush(4).unwrap(),
            size,
            "a full file is always able to flush"
        );
    }

    #[test]
    fn truncation_reports_the_zeroed_range_to_the_observer() {
        #[derive(Default)]
        struct Seen(parking_lot::Mutex<Vec<(u64, Vec<u8>)>>);
        impl FlushObserver for Seen {
            fn flushed(&self, _path: &Path, _file_size: u64, offset: u64, data: &[u8]) {
                self.0.lock().push((offset, data.to_vec()));
            }
            fn deleted(&self, _path: &Path) {}
        }
        let dir = tempfile::tempdir().unwrap();
        let seen = Arc::new(Seen::default());
        let obs: Arc<dyn FlushObserver> = seen.clone();
        let mf =
            MappedFile::create(dir.path().join(offset_file_name(0)), 0, 8192, Some(obs)).unwrap();
        mf.append(&[9u8; 6000]).unwrap();
        mf.flush(0).unwrap();
        mf.truncate_to(100).unwrap();
        let seen = seen.0.lock();
        let (off, data) = seen.last().unwrap();
        assert_eq!(*off, 100);
        assert_eq!(data.len(), 8092);
        assert!(data.iter().all(|&b| b == 0));
    }
}
