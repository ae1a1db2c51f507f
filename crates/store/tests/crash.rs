//! Crash and power-cut tests (own `main`: the test binary re-executes itself as the writer child).
//!
//! How it works
//! - The parent starts this same binary with `FERROCKET_CRASH_CHILD=1`. The child opens the store and runs several
//!   appender threads. After each append that returned PUT_OK (under SYNC_FLUSH: only after the group-commit
//!   msync covered it), the child appends one line `phys len crc thread seq` to an ack file opened with O_APPEND,
//!   in a single `write` — so a line exists only for an append that had been acknowledged.
//! - The parent kills the child with SIGKILL at a random moment, then reopens the store (abnormal recovery, since
//!   the abort file is left) and checks: every acknowledged append is present at its offset, intact (body CRC),
//!   per-thread in order; the whole commit log parses record by record from min to max (no hole, no corruption);
//!   every consume queue agrees with the commit log (unit i points at a record whose QUEUEOFFSET is i, for the
//!   same topic/queue) and all records are in a queue.
//! - SIGKILL leaves the page cache intact, so that proves recovery, not durability. For durability the child
//!   runs with a `FlushObserver` that copies exactly the byte ranges the store msyncs (commit log, consume queues,
//!   index, checkpoint) into a shadow copy of the store taken before the run, and fsyncs them before the store
//!   tells anyone they are durable. The shadow is therefore what a power cut at the kill moment would leave on a
//!   disk that honours fsync and loses every unsynced page. Under SYNC_FLUSH every acknowledged append must be in
//!   the shadow and recovery must open it cleanly; under ASYNC_FLUSH the shadow must open cleanly and be
//!   consistent (a prefix of the log, no hole).
//!
//! - Every other cycle the child flushes the consume queues every 500 ms instead of 50, so the power cut leaves
//!   them several files behind the files they had created (a state that once broke recovery).
//! - A count mismatch between a queue and the log prints the recovery report and the queue's files before and
//!   after recovery (valid units per file) and its first wrong unit.
//!
//! Cycles: 5 per flush mode, or `FERROCKET_CRASH_CYCLES`.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::message::{MessageError, RecordView};
use ferrocket_store::consume_queue::{CqUnit, CQ_UNIT_SIZE};
use ferrocket_store::{FlushDiskType, FlushObserver, MessageStore, StoreConfig, StoreEnv};
use rand::{Rng, SeedableRng};

mod common;
use common::{props, record};

const TOPIC: &str = "CrashTopic";
const QUEUES: i32 = 4;
const THREADS: usize = 6;

fn config(root: &Path, mode: FlushDiskType) -> StoreConfig {
    let mut c = StoreConfig::with_root(root);
    c.mapped_file_size_commit_log = 256 * 1024;
    c.mapped_file_size_consume_queue = 20 * 500;
    c.max_hash_slot_num = 503;
    c.max_index_num = 2000;
    c.flush_disk_type = mode;
    c.flush_interval_commit_log = 50;
    c.flush_interval_consume_queue = 50;
    c.sync_flush_timeout = 10_000;
    c
}

/// Copies every flushed range into the same relative path under `shadow`, fsynced.
struct ShadowObserver {
    root: PathBuf,
    shadow: PathBuf,
}

impl FlushObserver for ShadowObserver {
    fn flushed(&self, path: &Path, file_size: u64, offset: u64, data: &[u8]) {
        let Ok(rel) = path.strip_prefix(&self.root) else {
            return;
        };
        let target = self.shadow.join(rel);
        if let Some(p) = target.parent() {
            std::fs::create_dir_all(p).expect("shadow dir");
        }
        let f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&target)
            .expect("shadow file");
        if f.metadata().expect("meta").len() != file_size {
            f.set_len(file_size).expect("set_len");
        }
        f.write_all_at(data, offset).expect("shadow write");
        f.sync_all().expect("shadow fsync");
    }

    fn deleted(&self, path: &Path) {
        if let Ok(rel) = path.strip_prefix(&self.root) {
            let _ = std::fs::remove_file(self.shadow.join(rel));
        }
    }
}

fn child_main() {
    let root = PathBuf::from(std::env::var("FERROCKET_CRASH_DIR").expect("dir"));
    let mode = match std::env::var("FERROCKET_CRASH_MODE").as_deref() {
        Ok("sync") => FlushDiskType::SyncFlush,
        _ => FlushDiskType::AsyncFlush,
    };
    let acks = PathBuf::from(std::env::var("FERROCKET_CRASH_ACKS").expect("acks"));
    let cycle: u64 = std::env::var("FERROCKET_CRASH_CYCLE")
        .expect("cycle")
        .parse()
        .expect("cycle");
    let mut config = config(&root, mode);
    if let Some(ms) = std::env::var("FERROCKET_CRASH_CQ_INTERVAL")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config.flush_interval_consume_queue = ms;
    }
    let mut env = StoreEnv::default();
    if let Ok(shadow) = std::env::var("FERROCKET_CRASH_SHADOW") {
        env.flush_observer = Some(Arc::new(ShadowObserver {
            root: root.clone(),
            shadow: PathBuf::from(shadow),
        }));
    }
    let store = MessageStore::open_with(config, env).expect("child open");
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            let acks = acks.clone();
            std::thread::spawn(move || {
                let mut rng = rand::rngs::StdRng::seed_from_u64(cycle * 1000 + t as u64);
                let mut ack = OpenOptions::new()
                    .append(true)
                    .create(true)
                    .open(&acks)
                    .expect("ack file");
                for seq in 0u64.. {
                    let pad = rng.gen_range(10..3000);
                    let mut body = format!("c{cycle}-t{t}-s{seq}-").into_bytes();
                    body.extend(std::iter::repeat_n(b'a' + (seq % 26) as u8, pad));
                    let q = (t as i32) % QUEUES;
                    let p = props(&[("KEYS", &format!("c{cycle}t{t}s{seq}")), ("TAGS", "crash")]);
                    let rec = record(TOPIC, q, &body, &p);
                    let r = store.put_message_blocking(rec);
                    if r.status != ferrocket_store::PutMessageStatus::PutOk {
                        continue;
                    }
                    let crc = crc32fast::hash(&body) & 0x7FFF_FFFF;
                    let line = format!(
                        "{} {} {} {} {} {}\n",
                        r.phys_offset, r.wrote_bytes, crc, cycle, t, seq
                    );
                    ack.write_all(line.as_bytes()).expect("ack write");
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

#[derive(Debug, Clone, Copy)]
struct Ack {
    phys: i64,
    len: i64,
    crc: u32,
    cycle: u64,
    thread: u64,
    seq: u64,
}

fn read_acks(path: &Path) -> Vec<Ack> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            assert_eq!(f.len(), 6, "torn ack line {l:?}");
            Ack {
                phys: f[0].parse().unwrap(),
                len: f[1].parse().unwrap(),
                crc: f[2].parse().unwrap(),
                cycle: f[3].parse().unwrap(),
                thread: f[4].parse().unwrap(),
                seq: f[5].parse().unwrap(),
            }
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else if e.file_name() != "lock" {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

const CQ_UNIT: usize = CQ_UNIT_SIZE as usize;

/// The unit at byte `at` of a consume-queue file (files hold whole units).
fn cq_unit(b: &[u8], at: usize) -> CqUnit {
    CqUnit::decode(&b[at..at + CQ_UNIT]).expect("a whole unit")
}

/// The files of one consume-queue directory, sorted by name, with their bytes.
fn queue_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    (name, std::fs::read(e.path()).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// One line per run of files: how many units each holds before its first invalid (size ≤ 0, e.g. all-zero)
/// unit, and whether non-zero bytes follow that point (a hole rather than a tail).
fn describe_queue_files(dir: &Path) -> String {
    let files = queue_files(dir);
    if files.is_empty() {
        return "(no files)".into();
    }
    let mut out: Vec<String> = Vec::new();
    let mut full_run: Option<(String, String)> = None;
    for (name, b) in &files {
        let units = b.len() / CQ_UNIT;
        let valid = (0..units)
            .position(|i| !cq_unit(b, i * CQ_UNIT).is_valid())
            .unwrap_or(units);
        if valid == units {
            match &mut full_run {
                Some((_, last)) => *last = name.clone(),
                None => full_run = Some((name.clone(), name.clone())),
            }
            continue;
        }
        if let Some((a, z)) = full_run.take() {
            out.push(format!("{a}..={z} full"));
        }
        let after = b[valid * CQ_UNIT..].iter().any(|&x| x != 0);
        out.push(format!(
            "{name} {valid}/{units} valid{}",
            if after { ", data after the gap" } else { "" }
        ));
    }
    if let Some((a, z)) = full_run {
        out.push(format!("{a}..={z} full"));
    }
    format!("{} files: {}", files.len(), out.join("; "))
}

/// The first unit of the queue (below `max`) that does not point at the record the log holds for that offset.
fn first_bad_unit(dir: &Path, recs: &[(i64, i64)], max: i64) -> String {
    let files = queue_files(dir);
    let Some((first_name, first)) = files.first() else {
        return "(no files)".into();
    };
    let per_file = first.len() / CQ_UNIT;
    let base = first_name.parse::<usize>().unwrap_or(0) / CQ_UNIT;
    for i in base..max as usize {
        let Some((_, b)) = files.get((i - base) / per_file) else {
            return format!("offset {i}: no file");
        };
        let u = cq_unit(b, (i - base) % per_file * CQ_UNIT);
        match recs.get(i) {
            Some(&(_, want)) if want == u.phys_offset && u.size > 0 => {}
            want => {
                return format!(
                    "offset {i}: phys {} size {} tags {}, log has {}",
                    u.phys_offset,
                    u.size,
                    u.tags_code,
                    want.map_or("no record".into(), |w| format!("the record at {}", w.1))
                )
            }
        }
    }
    "(none below max)".into()
}

/// Opens the store at `root` after a crash and checks it. Returns the number of records in the log.
fn verify(root: &Path, mode: FlushDiskType, acks: &[Ack], what: &str) -> usize {
    // What a failure message shows of the queues as the crash left them (recovery rewrites them).
    let cq_dir = config(root, mode).consume_queue_dir().join(TOPIC);
    let before: HashMap<i32, String> = (0..QUEUES)
        .map(|q| (q, describe_queue_files(&cq_dir.join(q.to_string()))))
        .collect();
    let store = MessageStore::open(config(root, mode))
        .unwrap_or_else(|e| panic!("{what}: open failed: {e}"));
    let rep = store.recovery_report();
    assert!(rep.abnormal, "{what}: abort file must mark the crash");
    // 1. Every acknowledged append is there and intact.
    for a in acks {
        let m = store.message_by_phys_offset(a.phys).unwrap_or_else(|| {
            panic!(
                "{what}: acked append {a:?} missing (log end {})",
                store.commit_log_max_offset()
            )
        });
        let v = RecordView::parse(&m).unwrap();
        assert_eq!(v.total_size as i64, a.len, "{what}: {a:?}");
        assert!(v.crc_ok(), "{what}: CRC of {a:?}");
        assert_eq!(v.body_crc, a.crc, "{what}: {a:?}");
        let prefix = format!("c{}-t{}-s{}-", a.cycle, a.thread, a.seq);
        assert!(
            v.body.starts_with(prefix.as_bytes()),
            "{what}: body of {a:?}"
        );
    }
    // 2. Per thread, acked appends are in log order.
    let mut last: HashMap<(u64, u64), (u64, i64)> = HashMap::new();
    let mut sorted = acks.to_vec();
    sorted.sort_by_key(|a| (a.cycle, a.thread, a.seq));
    for a in &sorted {
        if let Some((seq, phys)) = last.get(&(a.cycle, a.thread)) {
            assert!(a.seq > *seq && a.phys > *phys, "{what}: out of order {a:?}");
        }
        last.insert((a.cycle, a.thread), (a.seq, a.phys));
    }
    // 3. The whole log parses record by record (no hole, no corruption).
    let file_size = config(root, mode).mapped_file_size_commit_log as i64;
    let mut off = store.commit_log_min_offset();
    let end = store.commit_log_max_offset();
    let mut per_queue: HashMap<i32, Vec<(i64, i64)>> = HashMap::new();
    let mut records = 0usize;
    while off < end {
        let chunk = store
            .read_commit_log_raw(off, usize::MAX)
            .unwrap_or_else(|| panic!("{what}: no data at {off}"));
        let mut p = 0usize;
        while p < chunk.len() {
            match RecordView::parse(&chunk[p..]) {
                Ok(v) => {
                    assert_eq!(v.physical_offset, off + p as i64, "{what}");
                    assert!(v.crc_ok(), "{what}: CRC at {}", v.physical_offset);
                    assert_eq!(v.topic, TOPIC);
                    per_queue
                        .entry(v.queue_id)
                        .or_default()
                        .push((v.queue_offset, v.physical_offset));
                    records += 1;
                    p += v.total_size as usize;
                }
                Err(MessageError::BlankRecord { .. }) => {
                    p = chunk.len();
                }
                Err(e) => panic!("{what}: hole or corruption at {}: {e}", off + p as i64),
            }
        }
        off += chunk.len() as i64;
        if off % file_size != 0 && off < end {
            panic!("{what}: read stopped inside a file at {off}");
        }
    }
    assert_eq!(off, end, "{what}");
    // 4. Consume queues agree with the log.
    assert!(store.wait_dispatched_blocking(end, Duration::from_secs(10)));
    for (q, recs) in &per_queue {
        let min = store.min_offset_in_queue(TOPIC, *q);
        let max = store.max_offset_in_queue(TOPIC, *q);
        assert_eq!(min, 0, "{what}: nothing deleted in this test");
        if max as usize != recs.len() {
            panic!(
                "{what}: queue {q} has {max} units for {} records\n  recovery: {rep:?}\n  commit log [{}, {end})\n  \
                 first bad unit: {}\n  queue files before recovery: {}\n  queue files after recovery: {}",
                recs.len(),
                store.commit_log_min_offset(),
                first_bad_unit(&cq_dir.join(q.to_string()), recs, max),
                before.get(q).map(String::as_str).unwrap_or("(none)"),
                describe_queue_files(&cq_dir.join(q.to_string())),
            );
        }
        let mut at = 0i64;
        while at < max {
            let g = store.get_message(TOPIC, *q, at, 256, usize::MAX, None);
            assert!(
                !g.messages.is_empty(),
                "{what}: queue {q} offset {at}: {:?}",
                g.status
            );
            for (m, qo) in g.messages.iter().zip(&g.queue_offsets) {
                let v = RecordView::parse(m).unwrap();
                assert_eq!(v.queue_offset, *qo, "{what}");
                assert_eq!(v.queue_id, *q, "{what}");
                assert_eq!(recs[*qo as usize], (*qo, v.physical_offset), "{what}");
            }
            at = g.next_begin_offset;
        }
    }
    store.shutdown();
    records
}

fn run_mode(mode: FlushDiskType, cycles: usize, seed: u64) {
    let name = if mode == FlushDiskType::SyncFlush {
        "sync"
    } else {
        "async"
    };
    let base = tempfile::tempdir().unwrap();
    let root = base.path().join("store");
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut all_acks: Vec<Ack> = Vec::new();
    for cycle in 0..cycles {
        let shadow = base.path().join(format!("shadow{cycle}"));
        if root.exists() {
            copy_dir(&root, &shadow);
        } else {
            std::fs::create_dir_all(&shadow).unwrap();
        }
        let ack_path = base.path().join(format!("acks{cycle}"));
        // Every other cycle the consume queues flush rarely, so a power cut finds them several files behind what
        // was created (durable, all-zero files after their data).
        let cq_interval = if cycle % 2 == 1 { 500 } else { 50 };
        let mut child = std::process::Command::new(&exe)
            .env("FERROCKET_CRASH_CHILD", "1")
            .env("FERROCKET_CRASH_DIR", &root)
            .env("FERROCKET_CRASH_MODE", name)
            .env("FERROCKET_CRASH_ACKS", &ack_path)
            .env("FERROCKET_CRASH_CYCLE", cycle.to_string())
            .env("FERROCKET_CRASH_SHADOW", &shadow)
            .env("FERROCKET_CRASH_CQ_INTERVAL", cq_interval.to_string())
            .spawn()
            .unwrap();
        let ms = rng.gen_range(300..1500);
        std::thread::sleep(Duration::from_millis(ms));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(!status.success(), "child must have been killed");
        let acks = read_acks(&ack_path);
        all_acks.extend(&acks);

        // Recovery after SIGKILL: page cache kept, so every acked append (either mode) must be there.
        let records = verify(
            &root,
            mode,
            &all_acks,
            &format!("{name} cycle {cycle} (SIGKILL)"),
        );
        // Power cut: only what was msynced survives.
        std::fs::write(shadow.join("abort"), b"crash").unwrap();
        let durable: Vec<Ack> = if mode == FlushDiskType::SyncFlush {
            all_acks.clone()
        } else {
            Vec::new()
        };
        let shadow_records = verify(
            &shadow,
            mode,
            &durable,
            &format!("{name} cycle {cycle} (power cut)"),
        );
        assert!(shadow_records <= records);
        println!(
            "crash {name} cycle {cycle}: killed after {ms} ms (queues flushed every {cq_interval} ms), {} acked this \
             run, {records} records after recovery, {shadow_records} after simulated power cut",
            acks.len()
        );
        assert!(
            !acks.is_empty() || cycle > 0,
            "the writer made no progress in {ms} ms"
        );
        std::fs::remove_dir_all(&shadow).unwrap();
    }
}

fn main() {
    if std::env::var_os("FERROCKET_CRASH_CHILD").is_some() {
        child_main();
        return;
    }
    // `cargo test` passes libtest flags; a filter that excludes "crash" skips this binary's work.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    if !args.is_empty() && !args.iter().any(|a| "crash".contains(a.as_str())) {
        return;
    }
    if std::env::args().any(|a| a == "--list") {
        println!("crash: test");
        return;
    }
    let cycles: usize = std::env::var("FERROCKET_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let seed: u64 = std::env::var("FERROCKET_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| std::process::id() as u64);
    println!("crash test: {cycles} cycles per mode, seed {seed} (FERROCKET_CRASH_SEED to replay)");
    run_mode(FlushDiskType::SyncFlush, cycles, seed);
    run_mode(FlushDiskType::AsyncFlush, cycles, seed ^ 0x5555);
    println!("crash test: ok");
}
