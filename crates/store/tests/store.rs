//! End-to-end tests of the store through its public API: the spec's byte-exact test vector, appends and reads,
//! statuses, recovery, index queries, time search, raw reads.

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;
use ferrocket_protocol::message::RecordView;
use ferrocket_store::{
    BoundaryType, FlushDiskType, GetMessageStatus, MessageStore, PutMessageStatus, StoreConfig,
};

/// storage-format.md §3.4: the record bytes, and the consume-queue unit the store must build for it.
const VECTOR: &str =
    "0000007D DAA320A7 3610A686 00000000 00000000 0000000000000000 0000000000000000 00000000
0000018BCFE56800 C0A8000A 0000C350 0000018BCFE5687B C0A80014 00002A9F 00000000
0000000000000000 00000005 68656C6C6F 09 546F70696354657374
0014 54414753 01 54616741 02 57414954 01 74727565 02";
const VECTOR_UNIT: &str = "0000000000000000 0000007D 000000000027A807";

fn wait_readable(store: &MessageStore) {
    assert!(store.wait_dispatched_blocking(store.commit_log_max_offset(), Duration::from_secs(5)));
}

#[test]
fn reads_a_store_directory_written_with_the_spec_test_vector() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config(dir.path());
    let rec = unhex(VECTOR);
    assert_eq!(rec.len(), 125);
    std::fs::create_dir_all(cfg.commit_log_dir()).unwrap();
    let mut file = vec![0u8; cfg.mapped_file_size_commit_log as usize];
    file[..rec.len()].copy_from_slice(&rec);
    std::fs::write(cfg.commit_log_dir().join("00000000000000000000"), &file).unwrap();

    let store = MessageStore::open(cfg.clone()).unwrap();
    assert_eq!(store.commit_log_max_offset(), 125);
    let r = store.get_message("TopicTest", 0, 0, 32, 1 << 20, None);
    assert_eq!(r.status, GetMessageStatus::Found);
    assert_eq!(r.messages.len(), 1);
    assert_eq!(
        &r.messages[0][..],
        &rec[..],
        "the record comes back byte for byte"
    );
    assert_eq!((r.min_offset, r.max_offset, r.next_begin_offset), (0, 1, 1));
    let v = RecordView::parse(&r.messages[0]).unwrap();
    assert_eq!(v.offset_msg_id(), "C0A8001400002A9F0000000000000000");
    store.shutdown();
    // The consume queue the recovery dispatch built holds exactly the spec's unit.
    let cq = std::fs::read(
        cfg.consume_queue_dir()
            .join("TopicTest/0/00000000000000000000"),
    )
    .unwrap();
    assert_eq!(cq.len() as u64, cfg.mapped_file_size_consume_queue);
    assert_eq!(hex(&cq[..20]), VECTOR_UNIT.replace(' ', ""));
    assert!(cq[20..40].iter().all(|&b| b == 0));
    // tag filter by the unit's tags code
    let store = MessageStore::open(cfg).unwrap();
    let code = 2_598_919i64;
    let yes = move |c: i64| c == code;
    let no = |c: i64| c == 1;
    assert_eq!(
        store
            .get_message("TopicTest", 0, 0, 32, 1 << 20, Some(&yes))
            .status,
        GetMessageStatus::Found
    );
    let r = store.get_message("TopicTest", 0, 0, 32, 1 << 20, Some(&no));
    assert_eq!(r.status, GetMessageStatus::NoMatchedMessage);
    assert_eq!(r.next_begin_offset, 1);
}

#[test]
fn put_get_statuses_and_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(small_config(dir.path())).unwrap();
    let p = props(&[("TAGS", "TagA"), ("KEYS", "k1 k2")]);
    let mut phys = Vec::new();
    for i in 0..10 {
        let r = store.put_message(record("T", 1, format!("body-{i}").as_bytes(), &p));
        assert_eq!(r.status, PutMessageStatus::PutOk);
        assert_eq!(r.queue_offset, i);
        assert!(
            r.flush_wait_offset.is_none(),
            "ASYNC_FLUSH never asks to wait"
        );
        phys.push(r.phys_offset);
    }
    assert!(phys.windows(2).all(|w| w[0] < w[1]));
    wait_readable(&store);

    let r = store.get_message("T", 1, 3, 4, 1 << 20, None);
    assert_eq!(r.status, GetMessageStatus::Found);
    assert_eq!(r.messages.len(), 4);
    assert_eq!(r.next_begin_offset, 7);
    assert_eq!(r.queue_offsets, vec![3, 4, 5, 6]);
    let v = RecordView::parse(&r.messages[0]).unwrap();
    assert_eq!(v.body, b"body-3");
    assert_eq!(v.queue_offset, 3);
    assert_eq!(v.physical_offset, phys[3]);
    assert!(v.crc_ok());
    // max_bytes stops early (but at least one message)
    let one = r.messages[0].len();
    let r2 = store.get_message("T", 1, 0, 32, one + 1, None);
    assert_eq!(r2.messages.len(), 1);

    let st = |o| store.get_message("T", 1, o, 32, 1 << 20, None);
    assert_eq!(st(10).status, GetMessageStatus::OffsetOverflowOne);
    assert_eq!(st(10).next_begin_offset, 10);
    assert_eq!(st(15).status, GetMessageStatus::OffsetOverflowBadly);
    assert_eq!(st(15).next_begin_offset, 10);
    assert_eq!(
        store.get_message("T", 9, 0, 32, 1 << 20, None).status,
        GetMessageStatus::NoMatchedLogicQueue
    );
    assert_eq!(store.max_offset_in_queue("T", 1), 10);
    assert_eq!(store.min_offset_in_queue("T", 1), 0);

    // message by physical offset and raw reads
    let m = store.message_by_phys_offset(phys[5]).unwrap();
    assert_eq!(RecordView::parse(&m).unwrap().body, b"body-5");
    assert!(store.message_by_phys_offset(phys[5] + 1).is_none());
    let raw = store.read_commit_log_raw(0, 1 << 20).unwrap();
    assert_eq!(raw.len() as i64, store.commit_log_max_offset());

    // index: by key, hash-matched and topic-checked
    let q = store.query_message("T", "k2", 32, 0, i64::MAX);
    assert_eq!(q.messages.len(), 10);
    assert_eq!(q.phys_offsets[0], phys[9], "newest first");
    assert!(store
        .query_message("T", "nope", 32, 0, i64::MAX)
        .messages
        .is_empty());
    assert!(store
        .query_message("Other", "k1", 32, 0, i64::MAX)
        .messages
        .is_empty());

    let stats = store.stats();
    assert_eq!(stats.put_message_times, 10);
    assert!(stats.get_message_found >= 1);
}

#[test]
fn batch_put_gets_consecutive_queue_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let store = MessageStore::open(small_config(dir.path())).unwrap();
    store.put_message(record("B", 0, b"first", ""));
    let mut batch = record("B", 0, b"a", "");
    batch.extend_from_slice(&record("B", 0, b"b", ""));
    batch.extend_from_slice(&record("B", 0, b"c", ""));
    let r = store.put_messages(batch);
    assert_eq!(r.status, PutMessageStatus::PutOk);
    assert_eq!(r.queue_offset, 1);
    assert_eq!(r.msg_num, 3);
    assert_eq!(r.batch_phys_offsets.len(), 3);
    wait_readable(&store);
    let g = store.get_message("B", 0, 1, 32, 1 << 20, None);
    let bodies: Vec<_> = g
        .messages
        .iter()
        .map(|m| RecordView::parse(m).unwrap().body.to_vec())
        .collect();
    assert_eq!(bodies, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    for (m, off) in g.messages.iter().zip(&r.batch_phys_offsets) {
        assert_eq!(RecordView::parse(m).unwrap().physical_offset, *off);
    }
    // mixed queues in one batch are refused
    let mut bad = record("B", 0, b"x", "");
    bad.extend_from_slice(&record("B", 1, b"y", ""));
    assert_eq!(
        store.put_messages(bad).status,
        PutMessageStatus::MessageIllegal
    );
    // garbage and oversized bodies are refused
    assert_eq!(
        store
            .put_message(bytes::BytesMut::from(&b"garbage!"[..]))
            .status,
        PutMessageStatus::MessageIllegal
    );
    let big = vec![0u8; 70 * 1024];
    assert_eq!(
        store.put_message(record("B", 0, &big, "")).status,
        PutMessageStatus::MessageIllegal
    );
}

#[test]
fn files_roll_with_blank_records_and_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config(dir.path());
    let body = vec![7u8; 1000];
    let mut phys = Vec::new();
    {
        let store = MessageStore::open(cfg.clone()).unwrap();
        for i in 0..300 {
            let r = store.put_message(record("R", i % 3, &body, &props(&[("TAGS", "x")])));
            assert!(r.is_ok());
            phys.push(r.phys_offset);
        }
        store.shutdown();
        assert!(
            !cfg.abort_path().exists(),
            "clean shutdown removes the abort file"
        );
    }
    let files: Vec<_> = std::fs::read_dir(cfg.commit_log_dir()).unwrap().collect();
    assert!(files.len() >= 4, "300 KB over 64 KB files");
    // the end of the first file holds the blank record
    let f0 = std::fs::read(cfg.commit_log_dir().join("00000000000000000000")).unwrap();
    let first_of_second = phys.iter().position(|&p| p >= 65536).unwrap();
    let last_end = {
        let p = phys[first_of_second - 1] as usize;
        p + u32::from_be_bytes(f0[p..p + 4].try_into().unwrap()) as usize
    };
    assert_eq!(&f0[last_end + 4..last_end + 8], &[0xCB, 0xD4, 0x31, 0x94]);
    assert_eq!(
        u32::from_be_bytes(f0[last_end..last_end + 4].try_into().unwrap()) as usize,
        65536 - last_end
    );

    let store = MessageStore::open(cfg.clone()).unwrap();
    let rep = store.recovery_report();
    assert!(!rep.abnormal);
    assert!(
        rep.scan_from > 0,
        "normal recovery does not rescan the whole log"
    );
    for q in 0..3 {
        assert_eq!(store.max_offset_in_queue("R", q), 100);
    }
    let r = store.put_message(record("R", 0, b"after", ""));
    assert_eq!(r.queue_offset, 100);
    assert!(r.phys_offset > *phys.last().unwrap());
}

#[test]
fn abnormal_recovery_truncates_torn_tail_and_rebuilds_queues() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config(dir.path());
    let end;
    {
        let store = MessageStore::open(cfg.clone()).unwrap();
        for i in 0..50 {
            store.put_message(record(
                "A",
                0,
                format!("m{i}").as_bytes(),
                &props(&[("KEYS", &format!("key{i}"))]),
            ));
        }
        wait_readable(&store);
        end = store.commit_log_max_offset();
        store.shutdown();
    }
    // Simulate a crash: abort file back, a torn half record after the end, and a consume queue that lost its tail.
    std::fs::write(cfg.abort_path(), b"1").unwrap();
    let cl = cfg.commit_log_dir().join("00000000000000000000");
    let mut data = std::fs::read(&cl).unwrap();
    let mut torn = record("A", 0, b"torn", "").to_vec();
    torn[28..36].copy_from_slice(&end.to_be_bytes());
    data[end as usize..end as usize + 40].copy_from_slice(&torn[..40]);
    std::fs::write(&cl, &data).unwrap();
    let cqf = cfg.consume_queue_dir().join("A/0/00000000000000000000");
    let mut cq = std::fs::read(&cqf).unwrap();
    for b in &mut cq[20 * 40..20 * 50] {
        *b = 0;
    }
    std::fs::write(&cqf, &cq).unwrap();
    // and the checkpoint claims nothing (forces the scan from the first file)
    std::fs::write(cfg.checkpoint_path(), vec![0u8; 4096]).unwrap();

    let store = MessageStore::open(cfg.clone()).unwrap();
    let rep = store.recovery_report();
    assert!(rep.abnormal);
    assert_eq!(rep.end_offset, end, "torn tail cut");
    assert_eq!(
        store.max_offset_in_queue("A", 0),
        50,
        "missing units re-dispatched"
    );
    let g = store.get_message("A", 0, 45, 32, 1 << 20, None);
    assert_eq!(g.messages.len(), 5);
    assert_eq!(RecordView::parse(&g.messages[4]).unwrap().body, b"m49");
    assert_eq!(
        store
            .query_message("A", "key47", 4, 0, i64::MAX)
            .messages
            .len(),
        1
    );
    let r = store.put_message(record("A", 0, b"next", ""));
    assert_eq!(r.phys_offset, end);
    assert_eq!(r.queue_offset, 50);
}

#[test]
fn abnormal_recovery_starts_from_the_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = small_config(dir.path());
    let clock = Arc::new(ferrocket_store::FakeClock::new(1_700_000_000_000));
    let env = || ferrocket_store::StoreEnv {
        clock: clock.clone(),
        ..Default::default()
    };
    {
        let store = MessageStore::open_with(cfg.clone(), env()).unwrap();
        for i in 0..400 {
            clock.advance(1000); // one message per second
            let r = store.put_message(record(
                "C",
                0,
                &[1u8; 900],
                &props(&[("KEYS", &format!("c{i}"))]),
            ));
            assert!(r.is_ok());
        }
        wait_readable(&store);
        store.flush_all();
        store.shutdown();
    }
    let total = std::fs::read_dir(cfg.commit_log_dir()).unwrap().count() as i64 * 65536;
    std::fs::write(cfg.abort_path(), b"1").unwrap();
    let store = MessageStore::open_with(cfg.clone(), env()).unwrap();
    let rep = store.recovery_report();
    assert!(rep.abnormal);
    // Only the file holding the checkpoint time (minus 3 s) and later are scanned, not the whole log.
    assert!(rep.scan_from >= 4 * 65536, "{rep:?}");
    assert!(
        rep.scanned_bytes <= 2 * 65536 && rep.scanned_bytes < total / 2,
        "{rep:?}"
    );
    assert_eq!(store.max_offset_in_queue("C", 0), 400);
    assert_eq!(rep.end_offset, store.commit_log_max_offset());
    // the index (flushed with the checkpoint) still answers for old and recent keys, without duplicates
    assert_eq!(
        store
            .query_message("C", "c3", 8, 0, i64::MAX)
            .messages
            .len(),
        1
    );
    assert_eq!(
        store
            .query_message("C", "c399", 8, 0, i64::MAX)
            .messages
            .len(),
        1
    );
}

#[test]
fn sync_flush_returns_after_durable_and_wakes_listener() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config(dir.path());
    cfg.flush_disk_type = FlushDiskType::SyncFlush;
    let store = MessageStore::open(cfg).unwrap();
    let seen = Arc::new(AtomicI64::new(0));
    let s2 = seen.clone();
    store.set_arrival_listener(Arc::new(move |topic: &str, q: i32, max: i64| {
        if topic == "S" && q == 2 {
            s2.store(max, Ordering::SeqCst);
        }
    }));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    let r = store.put_message_blocking(record(
                        "S",
                        2,
                        format!("{t}-{i}").as_bytes(),
                        "",
                    ));
                    assert_eq!(r.status, PutMessageStatus::PutOk);
                    let end = r.phys_offset + r.wrote_bytes;
                    assert!(store.flushed_offset() >= end, "acked before durable");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    wait_readable(&store);
    assert_eq!(seen.load(Ordering::SeqCst), 400);
    // WAIT=false does not ask to wait
    let r = store.put_message(record("S", 2, b"nowait", &props(&[("WAIT", "false")])));
    assert!(r.flush_wait_offset.is_none());
    let r = store.put_message(record("S", 2, b"wait", ""));
    assert!(r.flush_wait_offset.is_some());
}

#[test]
fn async_wait_flushed_without_a_runtime_timer() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config(dir.path());
    cfg.flush_disk_type = FlushDiskType::SyncFlush;
    let store = MessageStore::open(cfg).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let r = rt.block_on(store.put_message_async(record("AS", 0, b"x", "")));
    assert_eq!(r.status, PutMessageStatus::PutOk);
    assert!(store.flushed_offset() >= r.phys_offset + r.wrote_bytes);
    // an offset that will never be flushed times out
    let ok = rt.block_on(store.wait_flushed(i64::MAX, Duration::from_millis(50)));
    assert!(!ok);
    let t = std::time::Instant::now();
    let ok = rt.block_on(store.wait_dispatched(i64::MAX, Duration::from_millis(50)));
    assert!(!ok);
    assert!(
        t.elapsed() < Duration::from_secs(2),
        "idle dispatcher still wakes async waiters for deadlines"
    );
    let end = store.commit_log_max_offset();
    assert!(rt.block_on(store.wait_dispatched(end, Duration::from_secs(5))));
}

#[test]
fn offset_by_time_and_earliest_time() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ferrocket_store::FakeClock::new(1_000_000));
    let env = ferrocket_store::StoreEnv {
        clock: clock.clone(),
        ..Default::default()
    };
    let store = MessageStore::open_with(small_config(dir.path()), env).unwrap();
    // times: 1000, 1000, 2000, 3000, 3000, 4000 (seconds ×1000)
    for t in [
        1_000_000, 1_000_000, 2_000_000, 3_000_000, 3_000_000, 4_000_000,
    ] {
        clock.set(t);
        store.put_message(record("TS", 0, b"x", ""));
    }
    wait_readable(&store);
    let lower = |t| store.offset_by_time("TS", 0, t, BoundaryType::Lower);
    let upper = |t| store.offset_by_time("TS", 0, t, BoundaryType::Upper);
    assert_eq!(lower(3_000_000), 3);
    assert_eq!(upper(3_000_000), 4);
    assert_eq!(lower(2_500_000), 3);
    assert_eq!(upper(2_500_000), 2);
    assert_eq!(lower(0), 0);
    assert_eq!(lower(9_000_000), 6);
    assert_eq!(upper(9_000_000), 5);
    assert_eq!(
        store.earliest_message_time_in_queue("TS", 0),
        Some(1_000_000)
    );
    assert_eq!(store.earliest_message_time(), Some(1_000_000));
    assert_eq!(store.message_store_time("TS", 0, 5), Some(4_000_000));
}

#[test]
fn second_open_of_the_same_root_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _a = MessageStore::open(small_config(dir.path())).unwrap();
    assert!(matches!(
        MessageStore::open(small_config(dir.path())),
        Err(ferrocket_store::StoreError::Locked(_))
    ));
}

#[test]
fn delete_topic_and_config_from_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = format!(
        r#"{{"storePathRootDir":{:?},"mapedFileSizeCommitLog":65536,"mapedFileSizeConsumeQueue":2000}}"#,
        dir.path().to_str().unwrap()
    );
    let cfg: StoreConfig = serde_json::from_str(&json).unwrap();
    let store = MessageStore::open(cfg.clone()).unwrap();
    store.put_message(record("D", 0, b"x", ""));
    wait_readable(&store);
    assert!(store.topics().contains(&"D".to_string()));
    assert!(store.delete_topic("D").unwrap());
    assert!(!cfg.consume_queue_dir().join("D").exists());
    assert_eq!(
        store.get_message("D", 0, 0, 1, 1 << 20, None).status,
        GetMessageStatus::NoMatchedLogicQueue
    );
}

/// Writers race on one queue while a reader tails it: every queue offset must come back, in order, none passed over.
/// (A consume-queue unit could once be dispatched before the commit log published its record; the read then
/// failed and the pull skipped the unit for good.)
#[test]
fn a_tailing_reader_never_passes_over_a_concurrent_append() {
    const WRITERS: usize = 8;
    const PER_WRITER: usize = 4_000;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = StoreConfig::with_root(dir.path());
    cfg.mapped_file_size_commit_log = 4 * 1024 * 1024;
    let store = Arc::new(MessageStore::open(cfg).unwrap());
    let total = (WRITERS * PER_WRITER) as i64;
    let reader = {
        let store = store.clone();
        std::thread::spawn(move || {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            let mut next = 0i64;
            while next < total && std::time::Instant::now() < deadline {
                let r = store.get_message("Race", 0, next, 32, 1 << 20, None);
                for (i, qo) in r.queue_offsets.iter().enumerate() {
                    assert_eq!(
                        *qo,
                        next + i as i64,
                        "queue offset {} was passed over",
                        next + i as i64
                    );
                }
                next += r.messages.len() as i64;
                assert!(
                    r.next_begin_offset <= next || r.status != GetMessageStatus::Found,
                    "the pull moved past offset {next} to {} without returning it",
                    r.next_begin_offset
                );
                if r.messages.is_empty() {
                    assert!(
                        r.next_begin_offset <= next.max(r.min_offset),
                        "skipped to {}",
                        r.next_begin_offset
                    );
                    std::thread::yield_now();
                }
            }
            next
        })
    };
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..PER_WRITER {
                    let r = store.put_message_blocking(record(
                        "Race",
                        0,
                        format!("{w}-{i}").as_bytes(),
                        "",
                    ));
                    assert_eq!(r.status, PutMessageStatus::PutOk);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(
        reader.join().unwrap(),
        total,
        "the reader saw every message"
    );
    store.shutdown();
}
