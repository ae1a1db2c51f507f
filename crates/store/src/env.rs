//! What the store takes from its surroundings, injectable so tests can fake them: the clock, the disk-usage probe
//! and an observer of every flushed byte range (used by the power-cut test).

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Wall-clock milliseconds since the epoch (store timestamps, file expiry, deleteWhen hour).
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> i64;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// A clock tests set by hand.
#[derive(Debug, Default)]
pub struct FakeClock(AtomicI64);

impl FakeClock {
    pub fn new(now_ms: i64) -> Self {
        FakeClock(AtomicI64::new(now_ms))
    }
    pub fn set(&self, now_ms: i64) {
        self.0.store(now_ms, Ordering::SeqCst);
    }
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Disk usage of the partition holding a path, as a fraction (0.76 = 76 %), or −1 when unknown (§13.1).
pub trait DiskUsage: Send + Sync {
    fn used_ratio(&self, path: &Path) -> f64;
}

/// `statvfs`-based probe with Apache's rounding: percent = ceil(used·100 / (used + avail)).
#[derive(Debug, Default, Clone, Copy)]
pub struct StatvfsDiskUsage;

impl DiskUsage for StatvfsDiskUsage {
    fn used_ratio(&self, path: &Path) -> f64 {
        use std::os::unix::ffi::OsStrExt;
        let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
            return -1.0;
        };
        // SAFETY: statvfs writes into the zeroed struct we own; the path is a valid C string.
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
            return -1.0;
        }
        let frsize = st.f_frsize as u128;
        let total = st.f_blocks as u128 * frsize;
        let free = st.f_bfree as u128 * frsize;
        let usable = st.f_bavail as u128 * frsize;
        if total == 0 {
            return -1.0;
        }
        let used = total - free;
        let entire = used + usable;
        if entire == 0 {
            return -1.0;
        }
        let percent = (used * 100).div_ceil(entire);
        percent as f64 / 100.0
    }
}

/// A probe that returns whatever a test sets (as a fraction).
#[derive(Debug)]
pub struct FakeDiskUsage(AtomicI64);

impl FakeDiskUsage {
    pub fn new(ratio: f64) -> Self {
        FakeDiskUsage(AtomicI64::new((ratio * 10_000.0) as i64))
    }
    pub fn set(&self, ratio: f64) {
        self.0.store((ratio * 10_000.0) as i64, Ordering::SeqCst);
    }
}

impl DiskUsage for FakeDiskUsage {
    fn used_ratio(&self, _path: &Path) -> f64 {
        self.0.load(Ordering::SeqCst) as f64 / 10_000.0
    }
}

/// Sees every byte range the store makes durable, right after the msync and before anyone is told the range is
/// durable. Test-only in spirit: the power-cut test copies these ranges into a shadow directory, so the shadow is
/// exactly "what a power cut would leave".
pub trait FlushObserver: Send + Sync {
    /// `data` was made durable at `offset` in the file at `path` (whose full size is `file_size`).
    fn flushed(&self, path: &Path, file_size: u64, offset: u64, data: &[u8]);
    /// The file at `path` was deleted (retention, truncation).
    fn deleted(&self, path: &Path);
}

/// The injectable parts, passed to `MessageStore::open_with`.
#[derive(Clone)]
pub struct StoreEnv {
    pub clock: Arc<dyn Clock>,
    pub disk: Arc<dyn DiskUsage>,
    pub flush_observer: Option<Arc<dyn FlushObserver>>,
}

impl Default for StoreEnv {
    fn default() -> Self {
        StoreEnv {
            clock: Arc::new(SystemClock),
            disk: Arc::new(StatvfsDiskUsage),
            flush_observer: None,
        }
    }
}

impl std::fmt::Debug for StoreEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreEnv")
            .field("flush_observer", &self.flush_observer.is_some())
            .finish()
    }
}

/// Local hour of day (0–23) of a ms timestamp, for `deleteWhen`.
pub fn local_hour(ms: i64) -> u32 {
    let secs = (ms / 1000) as libc::time_t;
    // SAFETY: localtime_r writes into the zeroed struct we own.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::localtime_r(&secs, &mut tm) };
    if r.is_null() {
        return 0;
    }
    tm.tm_hour as u32
}

/// Local time formatted `yyyyMMddHHmmssSSS` (index file names, storage-format.md §5).
pub fn index_file_name(ms: i64) -> String {
    let secs = (ms.div_euclid(1000)) as libc::time_t;
    // SAFETY: as above.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::localtime_r(&secs, &mut tm) };
    format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}{:03}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        ms.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statvfs_ratio_is_a_fraction() {
        let r = StatvfsDiskUsage.used_ratio(Path::new("/"));
        assert!(r > 0.0 && r <= 1.0, "{r}");
        assert_eq!(StatvfsDiskUsage.used_ratio(Path::new("/no/such/dir")), -1.0);
    }

    #[test]
    fn index_name_has_17_digits() {
        let n = index_file_name(1_700_000_000_123);
        assert_eq!(n.len(), 17);
        assert!(n.ends_with("123"));
        assert!(n.starts_with("2023"));
    }
}
