//! Store configuration with Apache RocketMQ key names and defaults (storage-format.md §2, §10, §13).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// When an append counts as durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlushDiskType {
    /// A background flusher msyncs every `flushIntervalCommitLog` ms; appends return before their bytes are on disk.
    #[default]
    AsyncFlush,
    /// Appends that wait for the store (WAIT=true) return only after a group-commit msync covered them.
    SyncFlush,
}

/// How the commit log writes appended bytes (a Ferrocket setting, not an Apache key; the files are the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CommitLogWriteMode {
    /// `Pwrite` under SYNC_FLUSH, `Mmap` under ASYNC_FLUSH.
    #[default]
    Auto,
    /// Copy into the mapping; flush with msync.
    Mmap,
    /// `pwrite` into the page cache; flush with fdatasync. Readers still use the mapping.
    Pwrite,
}

/// The broker's replication role; the store refuses appends on a slave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BrokerRole {
    #[default]
    AsyncMaster,
    SyncMaster,
    Slave,
}

/// Store settings. Field names serialize as Apache's `MessageStoreConfig` keys (camelCase), with the old
/// `maped*` spellings accepted as aliases. Loading from `.properties` is the broker's job.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StoreConfig {
    pub store_path_root_dir: String,
    /// Empty means `<storePathRootDir>/commitlog`.
    pub store_path_commit_log: String,
    #[serde(alias = "mapedFileSizeCommitLog")]
    pub mapped_file_size_commit_log: u64,
    #[serde(alias = "mapedFileSizeConsumeQueue")]
    pub mapped_file_size_consume_queue: u64,
    pub flush_disk_type: FlushDiskType,
    pub broker_role: BrokerRole,
    pub flush_interval_commit_log: u64,
    pub flush_commit_log_least_pages: u32,
    pub flush_commit_log_thorough_interval: u64,
    pub sync_flush_timeout: u64,
    pub flush_interval_consume_queue: u64,
    pub flush_consume_queue_least_pages: u32,
    pub flush_consume_queue_thorough_interval: u64,
    pub max_message_size: u32,
    pub max_hash_slot_num: u32,
    pub max_index_num: u32,
    pub message_index_enable: bool,
    pub file_reserved_time: u64,
    pub delete_when: String,
    pub disk_max_used_space_ratio: u32,
    pub disk_space_clean_forcibly_ratio: u32,
    pub disk_space_warning_level_ratio: u32,
    pub clean_file_forcibly_enable: bool,
    pub clean_resource_interval: u64,
    pub delete_commit_log_files_interval: u64,
    pub delete_consume_queue_files_interval: u64,
    pub delete_file_batch_max: u32,
    #[serde(rename = "checkCRCOnRecover")]
    pub check_crc_on_recover: bool,
    pub os_page_cache_busy_time_out_mills: u64,
    pub message_delay_level: String,
    pub access_message_in_memory_max_ratio: u32,
    /// Ferrocket-only: an append that leaves more than this many bytes not yet dispatched (not readable through
    /// consume queues) helps the dispatcher (or waits up to 20 ms while another thread does), which bounds the
    /// append-to-readable lag when appenders outnumber the cores. 0 disables (`maxDispatchLagBytes`).
    pub max_dispatch_lag_bytes: u64,
    /// Ferrocket-only: how appends reach the commit-log file (`commitLogWriteMode`).
    pub commit_log_write_mode: CommitLogWriteMode,
    /// Most consume-queue units one `get_message` examines when a filter rejects them (Apache's 16000).
    pub max_filter_message_size: u32,
}

impl Default for StoreConfig {
    fn default() -> Self {
        let home = std::env::var("HOME").unwrap_or_else(|_| ".".to_string());
        StoreConfig {
            store_path_root_dir: format!("{home}/store"),
            store_path_commit_log: String::new(),
            mapped_file_size_commit_log: 1024 * 1024 * 1024,
            mapped_file_size_consume_queue: 300_000 * 20,
            flush_disk_type: FlushDiskType::AsyncFlush,
            broker_role: BrokerRole::AsyncMaster,
            flush_interval_commit_log: 500,
            flush_commit_log_least_pages: 4,
            flush_commit_log_thorough_interval: 10_000,
            sync_flush_timeout: 5_000,
            flush_interval_consume_queue: 1_000,
            flush_consume_queue_least_pages: 2,
            flush_consume_queue_thorough_interval: 60_000,
            max_message_size: 4 * 1024 * 1024,
            max_hash_slot_num: 5_000_000,
            max_index_num: 20_000_000,
            message_index_enable: true,
            file_reserved_time: 72,
            delete_when: "04".to_string(),
            disk_max_used_space_ratio: 75,
            disk_space_clean_forcibly_ratio: 85,
            disk_space_warning_level_ratio: 90,
            clean_file_forcibly_enable: true,
            clean_resource_interval: 10_000,
            delete_commit_log_files_interval: 100,
            delete_consume_queue_files_interval: 100,
            delete_file_batch_max: 10,
            check_crc_on_recover: true,
            os_page_cache_busy_time_out_mills: 1_000,
            message_delay_level: "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"
                .to_string(),
            access_message_in_memory_max_ratio: 40,
            max_filter_message_size: 16_000,
            commit_log_write_mode: CommitLogWriteMode::Auto,
            max_dispatch_lag_bytes: 2 * 1024 * 1024,
        }
    }
}

/// Size of the OS page used for flush thresholds (storage-format.md §2).
pub const OS_PAGE_SIZE: u64 = 4096;

impl StoreConfig {
    /// A config rooted at `root` with every other value at its default.
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        StoreConfig {
            store_path_root_dir: root.into().to_string_lossy().into_owned(),
            ..StoreConfig::default()
        }
    }

    pub fn root_dir(&self) -> PathBuf {
        PathBuf::from(&self.store_path_root_dir)
    }

    pub fn commit_log_dir(&self) -> PathBuf {
        if self.store_path_commit_log.is_empty() {
            self.root_dir().join("commitlog")
        } else {
            PathBuf::from(&self.store_path_commit_log)
        }
    }

    pub fn consume_queue_dir(&self) -> PathBuf {
        self.root_dir().join("consumequeue")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.root_dir().join("index")
    }

    pub fn checkpoint_path(&self) -> PathBuf {
        self.root_dir().join("checkpoint")
    }

    pub fn abort_path(&self) -> PathBuf {
        self.root_dir().join("abort")
    }

    pub fn lock_path(&self) -> PathBuf {
        self.root_dir().join("lock")
    }

    /// Warning ratio as a fraction, clamped to [0.35, 0.90] (§13.2).
    pub fn warning_ratio(&self) -> f64 {
        (self.disk_space_warning_level_ratio as f64 / 100.0).clamp(0.35, 0.90)
    }

    /// Clean-forcibly ratio as a fraction, clamped to [0.30, 0.85] (§13.2).
    pub fn clean_forcibly_ratio(&self) -> f64 {
        (self.disk_space_clean_forcibly_ratio as f64 / 100.0).clamp(0.30, 0.85)
    }

    /// `diskMaxUsedSpaceRatio` as a fraction (not clamped).
    pub fn max_used_ratio(&self) -> f64 {
        self.disk_max_used_space_ratio as f64 / 100.0
    }

    /// Hours of the day at which expired files may be deleted (`deleteWhen`, `;`-separated).
    pub fn delete_hours(&self) -> Vec<u32> {
        self.delete_when
            .split(';')
            .filter_map(|h| h.trim().parse::<u32>().ok())
            .collect()
    }

    /// Delay of each level in ms, level 1 first (`messageDelayLevel`, units s/m/h/d).
    pub fn delay_levels_ms(&self) -> Result<Vec<i64>, StoreError> {
        self.message_delay_level
            .split_whitespace()
            .map(|item| {
                let (num, unit) = item.split_at(item.len().saturating_sub(1));
                let mult = match unit {
                    "s" => 1_000,
                    "m" => 60_000,
                    "h" => 3_600_000,
                    "d" => 86_400_000,
                    _ => return Err(StoreError::Config(format!("bad delay level {item:?}"))),
                };
                num.parse::<i64>()
                    .map(|n| n * mult)
                    .map_err(|_| StoreError::Config(format!("bad delay level {item:?}")))
            })
            .collect()
    }

    /// Whether commit-log appends use `pwrite` (resolving `Auto`).
    pub fn commit_log_write_through(&self) -> bool {
        match self.commit_log_write_mode {
            CommitLogWriteMode::Auto => self.flush_disk_type == FlushDiskType::SyncFlush,
            CommitLogWriteMode::Mmap => false,
            CommitLogWriteMode::Pwrite => true,
        }
    }

    /// Checks the values the store relies on.
    pub fn validate(&self) -> Result<(), StoreError> {
        if self.mapped_file_size_commit_log < 4096 {
            return Err(StoreError::Config(
                "mappedFileSizeCommitLog must be at least 4096".into(),
            ));
        }
        let cq = self.mapped_file_size_consume_queue;
        if cq < 20 || !cq.is_multiple_of(20) {
            return Err(StoreError::Config(
                "mappedFileSizeConsumeQueue must be a positive multiple of 20".into(),
            ));
        }
        if self.max_hash_slot_num == 0 || self.max_index_num < 2 {
            return Err(StoreError::Config(
                "maxHashSlotNum/maxIndexNum too small".into(),
            ));
        }
        self.delay_levels_ms()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_apache() {
        let c = StoreConfig::default();
        assert_eq!(c.mapped_file_size_commit_log, 1_073_741_824);
        assert_eq!(c.mapped_file_size_consume_queue, 6_000_000);
        assert_eq!(c.flush_interval_commit_log, 500);
        assert_eq!(c.sync_flush_timeout, 5000);
        assert_eq!(c.delete_hours(), vec![4]);
        assert_eq!(c.delay_levels_ms().unwrap().len(), 18);
        assert_eq!(c.delay_levels_ms().unwrap()[17], 7_200_000);
        c.validate().unwrap();
    }

    #[test]
    fn json_keys_and_aliases() {
        let c: StoreConfig = serde_json::from_str(
            r#"{"storePathRootDir":"/x","mapedFileSizeCommitLog":1048576,"flushDiskType":"SYNC_FLUSH",
                "checkCRCOnRecover":false,"diskSpaceWarningLevelRatio":99}"#,
        )
        .unwrap();
        assert_eq!(c.store_path_root_dir, "/x");
        assert_eq!(c.mapped_file_size_commit_log, 1_048_576);
        assert_eq!(c.flush_disk_type, FlushDiskType::SyncFlush);
        assert!(!c.check_crc_on_recover);
        assert_eq!(c.commit_log_dir(), PathBuf::from("/x/commitlog"));
        // clamped to 0.90 (§13.2)
        assert!((c.warning_ratio() - 0.90).abs() < 1e-9);
        let v = serde_json::to_value(&c).unwrap();
        assert!(v.get("mappedFileSizeConsumeQueue").is_some());
        assert!(v.get("checkCRCOnRecover").is_some());
    }
}
