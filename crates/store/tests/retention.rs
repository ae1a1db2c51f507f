//! Retention with tiny files, a fake clock and a fake disk-usage probe (storage-format.md §10, §13).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ferrocket_store::env::local_hour;
use ferrocket_store::Clock;
use ferrocket_store::{
    FakeClock, FakeDiskUsage, GetMessageStatus, MessageStore, PutMessageStatus, StoreEnv,
    SystemClock,
};

const HOUR: i64 = 3_600_000;

#[test]
fn expired_files_go_at_delete_when_or_under_disk_pressure_and_disk_full_refuses_appends() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemClock.now_ms();
    let clock = Arc::new(FakeClock::new(now));
    let disk = Arc::new(FakeDiskUsage::new(0.50));
    let mut cfg = small_config(dir.path());
    // Not the hour we will look at, so only disk pressure can trigger deletion of expired files.
    cfg.delete_when = ((local_hour(now + 73 * HOUR) + 12) % 24).to_string();
    let env = StoreEnv {
        clock: clock.clone(),
        disk: disk.clone(),
        flush_observer: None,
    };
    let store = MessageStore::open_with(cfg.clone(), env).unwrap();
    let body = vec![3u8; 1000];
    for i in 0..300 {
        let r = store.put_message(record(
            "RT",
            0,
            &body,
            &props(&[("KEYS", &format!("k{i}"))]),
        ));
        assert!(r.is_ok());
    }
    assert!(store.wait_dispatched_blocking(store.commit_log_max_offset(), Duration::from_secs(5)));
    let cl_files = || std::fs::read_dir(cfg.commit_log_dir()).unwrap().count();
    let cq_files = || {
        std::fs::read_dir(cfg.consume_queue_dir().join("RT/0"))
            .unwrap()
            .count()
    };
    let index_files = || std::fs::read_dir(cfg.index_dir()).unwrap().count();
    let (cl0, cq0, ix0) = (cl_files(), cq_files(), index_files());
    assert!(cl0 >= 5 && cq0 >= 3 && ix0 >= 1, "{cl0} {cq0} {ix0}");

    // Fresh files, low disk use: nothing goes.
    let r = store.clean_now();
    assert_eq!(r.commit_log_files_deleted, 0);
    assert!(!r.disk_full);

    // 73 h later the files are expired, but it is not the deleteWhen hour and the disk is fine: kept.
    clock.set(now + 73 * HOUR);
    assert_eq!(store.clean_now().commit_log_files_deleted, 0);

    // At the deleteWhen hour they go (all but the active file).
    let mut cfg_hour = cfg.clone();
    cfg_hour.delete_when = local_hour(now + 73 * HOUR).to_string();
    drop(store);
    let env = StoreEnv {
        clock: clock.clone(),
        disk: disk.clone(),
        flush_observer: None,
    };
    let store = MessageStore::open_with(cfg_hour, env).unwrap();
    let r = store.clean_now();
    assert_eq!(r.commit_log_files_deleted, cl0 - 1);
    assert_eq!(cl_files(), 1);
    assert!(r.consume_queue_files_deleted >= 1);
    assert!(cq_files() < cq0);
    let min = store.min_offset_in_queue("RT", 0);
    assert!(min > 0, "queue min offset advanced past deleted data");
    assert_eq!(
        store.commit_log_min_offset() % cfg.mapped_file_size_commit_log as i64,
        0
    );
    let g = store.get_message("RT", 0, 0, 8, 1 << 20, None);
    assert_eq!(g.status, GetMessageStatus::OffsetTooSmall);
    assert_eq!(g.next_begin_offset, min);
    let g = store.get_message("RT", 0, min, 8, 1 << 20, None);
    assert_eq!(g.status, GetMessageStatus::Found);
    assert!(index_files() <= ix0);
}

#[test]
fn disk_pressure_forcible_deletion_and_disk_full() {
    let dir = tempfile::tempdir().unwrap();
    let now = SystemClock.now_ms();
    let clock = Arc::new(FakeClock::new(now));
    let disk = Arc::new(FakeDiskUsage::new(0.50));
    let mut cfg = small_config(dir.path());
    cfg.delete_when = ((local_hour(now) + 12) % 24).to_string();
    let env = StoreEnv {
        clock: clock.clone(),
        disk: disk.clone(),
        flush_observer: None,
    };
    let store = MessageStore::open_with(cfg.clone(), env).unwrap();
    let body = vec![5u8; 1000];
    for _ in 0..300 {
        assert!(store.put_message(record("F", 1, &body, "")).is_ok());
    }
    let cl_files = || std::fs::read_dir(cfg.commit_log_dir()).unwrap().count();
    let cl0 = cl_files();

    // Above diskMaxUsedSpaceRatio (75 %): only expired files go, and these are fresh.
    disk.set(0.80);
    assert_eq!(store.clean_now().commit_log_files_deleted, 0);
    // Expired + pressure: deleted whatever the hour.
    clock.set(now + 80 * HOUR);
    let r = store.clean_now();
    assert_eq!(r.commit_log_files_deleted, cl0 - 1);
    clock.set(now);

    for _ in 0..200 {
        assert!(store.put_message(record("F", 1, &body, "")).is_ok());
    }
    let cl1 = cl_files();
    assert!(cl1 >= 3);
    // Above diskSpaceCleanForciblyRatio (85 %): even fresh files go.
    disk.set(0.87);
    let r = store.clean_now();
    assert!(r.forced);
    assert!(!r.disk_full);
    assert_eq!(r.commit_log_files_deleted, cl1 - 1);

    // Above diskSpaceWarningLevelRatio (90 %): appends refused with a disk-full remark, reads go on.
    disk.set(0.93);
    let r = store.clean_now();
    assert!(r.disk_full);
    assert!(store.is_disk_full());
    let p = store.put_message(record("F", 1, b"refused", ""));
    assert_eq!(p.status, PutMessageStatus::ServiceNotAvailable);
    assert!(p.remark.unwrap().contains("disk is full [CL:  0.93"));
    let max = store.max_offset_in_queue("F", 1);
    assert!(store.wait_dispatched_blocking(store.commit_log_max_offset(), Duration::from_secs(5)));
    let g = store.get_message("F", 1, max - 1, 1, 1 << 20, None);
    assert_eq!(g.status, GetMessageStatus::Found);
    assert!(store.stats().disk_full);

    // Space back: appends accepted again.
    disk.set(0.40);
    assert!(!store.clean_now().disk_full);
    assert!(store.put_message(record("F", 1, b"ok again", "")).is_ok());
}
