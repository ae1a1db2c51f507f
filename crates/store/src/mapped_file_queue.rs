//! A directory of equally sized mapped files named by their 20-digit start offset: the commit log, or one consume
//! queue (storage-format.md §1).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use crate::env::FlushObserver;
use crate::error::{StoreError, StoreResult};
use crate::mapped_file::{create_dir_durable, offset_file_name, sync_dir, MappedFile};

pub struct MappedFileQueue {
    dir: PathBuf,
    file_size: u64,
    files: RwLock<Vec<Arc<MappedFile>>>,
    /// Absolute offset up to which everything is flushed.
    flushed_where: AtomicU64,
    observer: Option<Arc<dyn FlushObserver>>,
    /// A file created ahead of need (see `preallocate`), not yet part of the queue.
    spare: Mutex<Option<MappedFile>>,
}

impl std::fmt::Debug for MappedFileQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MappedFileQueue")
            .field("dir", &self.dir)
            .field("files", &self.files.read().len())
            .finish()
    }
}

impl MappedFileQueue {
    pub fn new(dir: PathBuf, file_size: u64, observer: Option<Arc<dyn FlushObserver>>) -> Self {
        MappedFileQueue {
            dir,
            file_size,
            files: RwLock::new(Vec::new()),
            flushed_where: AtomicU64::new(0),
            observer,
            spare: Mutex::new(None),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// Maps every file of the directory (if it exists). Files must have the configured size, except an empty last
    /// file, which is deleted; names must be 20-digit offsets that follow each other.
    pub fn load(&self) -> StoreResult<()> {
        let mut names: Vec<(u64, PathBuf)> = Vec::new();
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StoreError::io(&self.dir, e)),
        };
        for entry in rd {
            let entry = entry.map_err(|e| StoreError::io(&self.dir, e))?;
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.len() != 20 || !name.bytes().all(|b| b.is_ascii_digit()) {
                // Foreign files (editor backups, .tmp) are not ours to judge.
                tracing::warn!(path = %path.display(), "ignoring file with a non-offset name");
                continue;
            }
            let off = name
                .parse::<u64>()
                .map_err(|_| StoreError::BadFileName(path.clone()))?;
            names.push((off, path));
        }
        names.sort();
        let mut files = Vec::with_capacity(names.len());
        let count = names.len();
        for (i, (off, path)) in names.into_iter().enumerate() {
            let len = std::fs::metadata(&path)
                .map_err(|e| StoreError::io(&path, e))?
                .len();
            if len == 0 && i + 1 == count {
                tracing::warn!(path = %path.display(), "deleting empty last file");
                std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
                continue;
            }
            if off % self.file_size != 0 {
                return Err(StoreError::NotContiguous {
                    dir: self.dir.clone(),
                    detail: format!(
                        "{} is not a multiple of the file size {}",
                        off, self.file_size
                    ),
                });
            }
            let mf = MappedFile::open(path, off, self.file_size, self.observer.clone())?;
            if let Some(prev) = files.last() {
                let prev: &Arc<MappedFile> = prev;
                if prev.from_offset() + self.file_size != off {
                    return Err(StoreError::NotContiguous {
                        dir: self.dir.clone(),
                        detail: format!("{} follows {}", off, prev.from_offset()),
                    });
                }
            }
            files.push(Arc::new(mf));
        }
        if let Some(first) = files.first() {
            self.flushed_where
                .store(first.from_offset(), Ordering::Release);
        }
        *self.files.write() = files;
        Ok(())
    }

    pub fn files(&self) -> Vec<Arc<MappedFile>> {
        self.files.read().clone()
    }
    pub fn file_count(&self) -> usize {
        self.files.read().len()
    }
    pub fn is_empty(&self) -> bool {
        self.files.read().is_empty()
    }
    pub fn first(&self) -> Option<Arc<MappedFile>> {
        self.files.read().first().cloned()
    }
    pub fn last(&self) -> Option<Arc<MappedFile>> {
        self.files.read().last().cloned()
    }

    /// Start offset of the first file, or 0 when empty.
    pub fn min_offset(&self) -> u64 {
        self.first().map(|f| f.from_offset()).unwrap_or(0)
    }

    /// Absolute end of the written data.
    pub fn max_offset(&self) -> u64 {
        self.last()
            .map(|f| f.from_offset() + f.wrote_pos())
            .unwrap_or(0)
    }

    pub fn flushed_where(&self) -> u64 {
        self.flushed_where.load(Ordering::Acquire)
    }

    /// Creates the file that starts at `from` and appends it. `from` must follow the last file (or be any multiple
    /// of the file size when the queue is empty).
    pub fn create_file(&self, from: u64) -> StoreResult<Arc<MappedFile>> {
        let mut files = self.files.write();
        if let Some(last) = files.last() {
            if last.from_offset() + self.file_size != from {
                return Err(StoreError::NotContiguous {
                    dir: self.dir.clone(),
                    detail: format!("new file {} after {}", from, last.from_offset()),
                });
            }
        } else {
            self.flushed_where.store(from, Ordering::Release);
        }
        let spare = self.spare.lock().take().filter(|s| s.from_offset() == from);
        let mf = match spare {
            Some(s) => Arc::new(s),
            None => {
                create_dir_durable(&self.dir)?;
                let path = self.dir.join(offset_file_name(from));
                Arc::new(MappedFile::create(
                    path,
                    from,
                    self.file_size,
                    self.observer.clone(),
                )?)
            }
        };
        files.push(mf.clone());
        Ok(mf)
    }

    /// Creates the file that will start at `from` ahead of time (off the append path), so the append that needs
    /// it does not wait for allocation. A crash leaves it as an empty last file, which recovery removes.
    pub fn preallocate(&self, from: u64) -> StoreResult<()> {
        if self
            .spare
            .lock()
            .as_ref()
            .is_some_and(|s| s.from_offset() == from)
        {
            return Ok(());
        }
        if self.last().is_some_and(|l| l.from_offset() >= from) {
            return Ok(());
        }
        create_dir_durable(&self.dir)?;
        let path = self.dir.join(offset_file_name(from));
        let mf = MappedFile::create(path, from, self.file_size, self.observer.clone())?;
        *self.spare.lock() = Some(mf);
        Ok(())
    }

    /// The last file if it has room, else a new one after it (or at `start_if_empty` for an empty queue, rounded
    /// down to a file boundary).
    pub fn last_or_create(&self, start_if_empty: u64) -> StoreResult<Arc<MappedFile>> {
        match self.last() {
            Some(f) if !f.is_full() => Ok(f),
            Some(f) => self.create_file(f.from_offset() + self.file_size),
            None => self.create_file(start_if_empty - start_if_empty % self.file_size),
        }
    }

    /// The file holding absolute `offset`.
    pub fn find(&self, offset: u64) -> Option<Arc<MappedFile>> {
        let files = self.files.read();
        let first = files.first()?;
        if offset < first.from_offset() {
            return None;
        }
        let idx = ((offset - first.from_offset()) / self.file_size) as usize;
        let f = files.get(idx)?;
        if offset >= f.from_offset() && offset < f.from_offset() + self.file_size {
            Some(f.clone())
        } else {
            // Not contiguous (should not happen); fall back to a scan.
            files
                .iter()
                .find(|f| offset >= f.from_offset() && offset < f.from_offset() + self.file_size)
                .cloned()
        }
    }

    /// Flushes from the flushed position on; with `least_pages` > 0 only if that many pages are dirty in the file
    /// being flushed or that file is full. Returns the new absolute flushed position.
    pub fn flush(&self, least_pages: u32) -> StoreResult<u64> {
        loop {
            let at = self.flushed_where();
            let Some(f) = self.find(at).or_else(|| {
                self.last()
                    .filter(|l| at == l.from_offset() + self.file_size)
            }) else {
                return Ok(at);
            };
            let pos = f.flush(least_pages)?;
            let new = f.from_offset() + pos;
            if new > at {
                // fetch_max: two flushers (group-commit leader and the flusher thread) may race here.
                self.flushed_where.fetch_max(new, Ordering::AcqRel);
            }
            // A full, fully flushed file: continue with the next one.
            if pos >= f.size() && new > at {
                continue;
            }
            return Ok(self.flushed_where());
        }
    }

    /// Sets the flushed position (recovery).
    pub fn set_flushed_where(&self, off: u64) {
        self.flushed_where.store(off, Ordering::Release);
    }

    /// Drops everything at and after absolute `offset`: the file holding it is cut there, later files are deleted.
    pub fn truncate_from(&self, offset: u64) -> StoreResult<()> {
        let mut files = self.files.write();
        let mut keep = Vec::with_capacity(files.len());
        let mut removed = false;
        for f in files.drain(..) {
            let end = f.from_offset() + self.file_size;
            if end <= offset {
                keep.push(f);
            } else if f.from_offset() < offset || (f.from_offset() == offset && keep.is_empty()) {
                f.truncate_to(offset - f.from_offset())?;
                keep.push(f);
            } else {
                f.destroy()?;
                removed = true;
            }
        }
        *files = keep;
        if removed {
            sync_dir(&self.dir)?;
        }
        if self.flushed_where() > offset {
            self.flushed_where.store(offset, Ordering::Release);
        }
        Ok(())
    }

    /// Removes the first `n` files from the queue and deletes them.
    pub fn delete_first(&self, n: usize) -> StoreResult<Vec<Arc<MappedFile>>> {
        let removed: Vec<Arc<MappedFile>> = {
            let mut files = self.files.write();
            let n = n.min(files.len());
            files.drain(..n).collect()
        };
        for f in &removed {
            f.destroy()?;
        }
        if !removed.is_empty() {
            sync_dir(&self.dir)?;
            let min = self.min_offset();
            if self.flushed_where() < min {
                self.flushed_where.store(min, Ordering::Release);
            }
        }
        Ok(removed)
    }

    /// Deletes every file and the directory.
    pub fn destroy(&self) -> StoreResult<()> {
        let files: Vec<_> = self.files.write().drain(..).collect();
        for f in files {
            f.destroy()?;
        }
        match std::fs::remove_dir(&self.dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(dir = %self.dir.display(), error = %e, "could not remove directory")
            }
        }
        self.flushed_where.store(0, Ordering::Release);
        Ok(())
    }

    /// Total bytes of all files.
    pub fn total_file_size(&self) -> u64 {
        self.files.read().len() as u64 * self.file_size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_find_flush_truncate_load() {
        let dir = tempfile::tempdir().unwrap();
        let q = MappedFileQueue::new(dir.path().join("q"), 4096, None);
        q.load().unwrap();
        assert!(q.is_empty());
        let f = q.last_or_create(0).unwrap();
        f.append(&[1u8; 4096]).unwrap();
        let f2 = q.last_or_create(0).unwrap();
        assert_eq!(f2.from_offset(), 4096);
        f2.append(&[2u8; 100]).unwrap();
        assert_eq!(q.max_offset(), 4196);
        assert_eq!(q.find(4100).unwrap().from_offset(), 4096);
        assert!(q.find(8192).is_none());
        assert_eq!(q.flush(0).unwrap(), 4196);
        q.truncate_from(4000).unwrap();
        assert_eq!(q.file_count(), 1);
        assert_eq!(q.max_offset(), 4000);
        drop((f, f2));
        let q2 = MappedFileQueue::new(dir.path().join("q"), 4096, None);
        q2.load().unwrap();
        assert_eq!(q2.file_count(), 1);
        // a file of the wrong size aborts the load
        std::fs::write(dir.path().join("q").join(offset_file_name(4096)), b"x").unwrap();
        let q3 = MappedFileQueue::new(dir.path().join("q"), 4096, None);
        assert!(matches!(q3.load(), Err(StoreError::BadFileSize { .. })));
    }

    #[test]
    fn queue_may_start_past_zero_and_delete_first() {
        let dir = tempfile::tempdir().unwrap();
        let q = MappedFileQueue::new(dir.path().to_path_buf(), 4096, None);
        let f = q.last_or_create(10_000).unwrap();
        assert_eq!(f.from_offset(), 8192);
        f.append(&[0u8; 4096]).unwrap();
        q.last_or_create(0).unwrap();
        assert_eq!(q.min_offset(), 8192);
        q.delete_first(1).unwrap();
        assert_eq!(q.min_offset(), 12288);
        assert!(!dir.path().join(offset_file_name(8192)).exists());
    }

    #[test]
    fn flush_with_least_pages_moves_past_a_full_file_with_a_short_dirty_tail() {
        // ASYNC_FLUSH: a file that filled up with fewer than `least_pages` pages left dirty must not hold the
        // flush back until the next thorough flush.
        let dir = tempfile::tempdir().unwrap();
        let q = MappedFileQueue::new(dir.path().to_path_buf(), 4 * 4096, None);
        let f = q.last_or_create(0).unwrap();
        f.append(&[1u8; 3 * 4096]).unwrap();
        assert_eq!(q.flush(2).unwrap(), 3 * 4096);
        f.append(&[1u8; 4096]).unwrap();
        let f2 = q.last_or_create(0).unwrap();
        f2.append(&[2u8; 3 * 4096]).unwrap();
        assert_eq!(q.flush(2).unwrap(), 4 * 4096 + 3 * 4096);
    }
}
