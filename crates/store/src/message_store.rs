//! `MessageStore`: opens and recovers the store, runs its background threads (dispatcher, commit-log flusher,
//! consume-queue flusher, cleaner) and serves appends. Reads and queries are in `query.rs`.
//!
//! Durability contract (SYNC_FLUSH): `put_message` returns as soon as the record is in the log, with
//! `flush_wait_offset` set when the caller must wait for durability. Wait with `wait_flushed_blocking` from a plain
//! thread or `wait_flushed` from async code (no runtime needed by the store), or call `put_message_blocking` /
//! `put_message_async`, which wait and report FLUSH_DISK_TIMEOUT after `syncFlushTimeout`.
//!
//! `put_message` itself never waits for the disk. It can spend a little time helping the dispatcher (or, while
//! another thread dispatches, wait at most 20 ms) when more than `maxDispatchLagBytes` of the log is not yet
//! readable; that keeps consumers close behind producers when appenders outnumber the cores.

use std::fs::File;
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::BytesMut;
use ferrocket_protocol::message::properties::{MAX_PROPERTIES_LEN, WAIT};
use ferrocket_protocol::message::RecordView;
use parking_lot::Mutex;

use crate::checkpoint::StoreCheckpoint;
use crate::clean::{CleanReport, Cleaner};
use crate::commit_log::{CommitLog, RecordMeta};
use crate::config::{BrokerRole, FlushDiskType, StoreConfig};
use crate::consume_queue_store::ConsumeQueueStore;
use crate::dispatch::{ArrivalListener, Dispatcher};
use crate::env::StoreEnv;
use crate::error::{StoreError, StoreResult};
use crate::flush::{CommitLogFlusher, LogicsFlusher};
use crate::index_service::IndexService;
use crate::mapped_file::{create_dir_durable, sync_dir};
use crate::recovery::{Recovery, RecoveryReport};
use crate::signal::Signal;
use crate::status::{PutMessageResult, PutMessageStatus, StoreStats};

/// Delay before the first cleanup pass (Apache: 60 s).
const FIRST_CLEAN_DELAY: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub put_times: AtomicU64,
    pub put_bytes: AtomicU64,
    pub put_failures: AtomicU64,
    pub get_times: AtomicU64,
    pub get_found: AtomicU64,
}

pub struct MessageStore {
    pub(crate) config: StoreConfig,
    pub(crate) env: StoreEnv,
    pub(crate) commit_log: Arc<CommitLog>,
    pub(crate) queues: Arc<ConsumeQueueStore>,
    pub(crate) index: Option<Arc<IndexService>>,
    pub(crate) checkpoint: Arc<StoreCheckpoint>,
    pub(crate) dispatcher: Arc<Dispatcher>,
    pub(crate) flusher: Arc<CommitLogFlusher>,
    logics_flusher: Arc<LogicsFlusher>,
    pub(crate) cleaner: Arc<Cleaner>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    shut_down: AtomicBool,
    lock_file: Mutex<Option<File>>,
    pub(crate) counters: Counters,
    recovery: RecoveryReport,
    pub(crate) total_ram: u64,
}

impl std::fmt::Debug for MessageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageStore")
            .field("root", &self.config.store_path_root_dir)
            .field("commit_log", &self.commit_log)
            .finish()
    }
}

fn lock_root(config: &StoreConfig) -> StoreResult<File> {
    let path = config.lock_path();
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| StoreError::io(&path, e))?;
    // SAFETY: plain syscall on an fd we own.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if r != 0 {
        return Err(StoreError::Locked(config.root_dir()));
    }
    f.write_all(b"lock").map_err(|e| StoreError::io(&path, e))?;
    Ok(f)
}

fn total_ram() -> u64 {
    // SAFETY: sysinfo fills the zeroed struct we own.
    let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
    if unsafe { libc::sysinfo(&mut si) } == 0 {
        si.totalram as u64 * si.mem_unit as u64
    } else {
        0
    }
}

impl MessageStore {
    /// Opens (creating if needed) and recovers the store at `config.storePathRootDir`, then starts its threads.
    pub fn open(config: StoreConfig) -> StoreResult<Arc<MessageStore>> {
        Self::open_with(config, StoreEnv::default())
    }

    /// `open` with an injected clock, disk probe and flush observer.
    pub fn open_with(config: StoreConfig, env: StoreEnv) -> StoreResult<Arc<MessageStore>> {
        config.validate()?;
        let root = config.root_dir();
        create_dir_durable(&root)?;
        let lock_file = lock_root(&config)?;
        let abort_path = config.abort_path();
        let abnormal = abort_path.exists();
        let observer = env.flush_observer.clone();

        let commit_log = Arc::new(CommitLog::new(
            config.commit_log_dir(),
            config.mapped_file_size_commit_log,
            env.clock.clone(),
            observer.clone(),
        ));
        let queues = Arc::new(ConsumeQueueStore::new(
            config.consume_queue_dir(),
            config.mapped_file_size_consume_queue,
            observer.clone(),
        ));
        let index = config.message_index_enable.then(|| {
            Arc::new(IndexService::new(
                config.index_dir(),
                config.max_hash_slot_num,
                config.max_index_num,
                env.clock.clone(),
                observer.clone(),
            ))
        });
        commit_log.load()?;
        commit_log.set_write_through(config.commit_log_write_through());
        queues.load()?;
        let checkpoint = Arc::new(StoreCheckpoint::open(
            config.checkpoint_path(),
            observer.clone(),
        )?);
        if let Some(i) = &index {
            i.load()?;
        }
        let dispatcher = Arc::new(Dispatcher::new(
            commit_log.clone(),
            queues.clone(),
            index.clone(),
            config.delay_levels_ms()?,
        ));
        let recovery = Recovery {
            commit_log: &commit_log,
            queues: &queues,
            index: index.as_ref(),
            checkpoint: &checkpoint,
            dispatcher: &dispatcher,
            check_crc: config.check_crc_on_recover,
        }
        .run(abnormal)?;
        tracing::info!(?recovery, "store recovered");

        let flusher = Arc::new(CommitLogFlusher::new(
            commit_log.clone(),
            checkpoint.clone(),
            &config,
            env.clock.clone(),
        ));
        let logics_flusher = Arc::new(LogicsFlusher {
            queues: queues.clone(),
            index: index.clone(),
            checkpoint: checkpoint.clone(),
            dispatcher: dispatcher.clone(),
            interval_ms: config.flush_interval_consume_queue,
            stop: AtomicBool::new(false),
            signal: Signal::new(),
        });
        // Make the recovered state durable before declaring the run started.
        logics_flusher.flush_once();

        let cleaner = Arc::new(Cleaner::new(
            commit_log.clone(),
            queues.clone(),
            index.clone(),
            config.clone(),
            env.clone(),
        ));

        let mut abort = File::create(&abort_path).map_err(|e| StoreError::io(&abort_path, e))?;
        abort
            .write_all(std::process::id().to_string().as_bytes())
            .and_then(|_| abort.sync_all())
            .map_err(|e| StoreError::io(&abort_path, e))?;
        sync_dir(&root)?;

        let store = Arc::new(MessageStore {
            config,
            env,
            commit_log,
            queues,
            index,
            checkpoint,
            dispatcher,
            flusher,
            logics_flusher,
            cleaner,
            threads: Mutex::new(Vec::new()),
            shut_down: AtomicBool::new(false),
            lock_file: Mutex::new(Some(lock_file)),
            counters: Counters::default(),
            recovery,
            total_ram: total_ram(),
        });
        store.start_threads()?;
        Ok(store)
    }

    fn start_threads(&self) -> StoreResult<()> {
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.to_string())
                .spawn(f)
                .map_err(|e| StoreError::io(self.config.root_dir(), e))
        };
        let mut threads = self.threads.lock();
        let d = self.dispatcher.clone();
        threads.push(spawn("ferrocket-dispatch", Box::new(move || d.run()))?);
        let f = self.flusher.clone();
        threads.push(spawn("ferrocket-flush-cl", Box::new(move || f.run()))?);
        let l = self.logics_flusher.clone();
        threads.push(spawn("ferrocket-flush-cq", Box::new(move || l.run()))?);
        let c = self.cleaner.clone();
        let first = FIRST_CLEAN_DELAY.min(Duration::from_millis(
            self.config.clean_resource_interval.max(10) * 6,
        ));
        threads.push(spawn("ferrocket-clean", Box::new(move || c.run(first)))?);
        Ok(())
    }

    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// The store's clock (store timestamps, retention).
    pub fn now_ms(&self) -> i64 {
        self.env.clock.now_ms()
    }

    pub fn checkpoint(&self) -> &StoreCheckpoint {
        &self.checkpoint
    }

    pub fn recovery_report(&self) -> RecoveryReport {
        self.recovery
    }

    /// Why an append would be refused right now, if it would.
    fn refuse_reason(&self) -> Option<PutMessageResult> {
        if self.shut_down.load(Ordering::Acquire) {
            return Some(PutMessageResult::failed(
                PutMessageStatus::ServiceNotAvailable,
                "message store has been shut down",
            ));
        }
        if self.config.broker_role == BrokerRole::Slave {
            return Some(PutMessageResult::failed(
                PutMessageStatus::ServiceNotAvailable,
                "message store is a slave: messages are put to the master",
            ));
        }
        if self.cleaner.is_disk_full() {
            return Some(PutMessageResult::failed(
                PutMessageStatus::ServiceNotAvailable,
                self.cleaner.disk_full_remark(),
            ));
        }
        if self.is_os_page_cache_busy() {
            return Some(PutMessageResult::failed(
                PutMessageStatus::OsPageCacheBusy,
                "[PC_SYNCHRONIZED]broker busy, start flow control for a while",
            ));
        }
        None
    }

    /// Appends one encoded record (from `RecordBuilder`; queue offset, physical offset and store time are filled
    /// in here). Returns at once; see the module doc for SYNC_FLUSH waiting.
    pub fn put_message(&self, record: BytesMut) -> PutMessageResult {
        self.put_inner(record, false)
    }

    /// Appends several encoded records of one topic and queue, back to back in `records`, with consecutive queue
    /// offsets, as one contiguous write.
    pub fn put_messages(&self, records: BytesMut) -> PutMessageResult {
        self.put_inner(records, true)
    }

    /// `put_message` followed by the SYNC_FLUSH wait (FLUSH_DISK_TIMEOUT after `syncFlushTimeout`).
    pub fn put_message_blocking(&self, record: BytesMut) -> PutMessageResult {
        let r = self.put_message(record);
        self.finish_blocking(r)
    }

    pub fn put_messages_blocking(&self, records: BytesMut) -> PutMessageResult {
        let r = self.put_messages(records);
        self.finish_blocking(r)
    }

    fn finish_blocking(&self, mut r: PutMessageResult) -> PutMessageResult {
        if let Some(off) = r.flush_wait_offset {
            if !self
                .wait_flushed_blocking(off, Duration::from_millis(self.config.sync_flush_timeout))
            {
                r.status = PutMessageStatus::FlushDiskTimeout;
            }
        }
        r
    }

    /// `put_message` followed by an async SYNC_FLUSH wait.
    pub async fn put_message_async(&self, record: BytesMut) -> PutMessageResult {
        let r = self.put_message(record);
        self.finish_async(r).await
    }

    pub async fn put_messages_async(&self, records: BytesMut) -> PutMessageResult {
        let r = self.put_messages(records);
        self.finish_async(r).await
    }

    async fn finish_async(&self, mut r: PutMessageResult) -> PutMessageResult {
        if let Some(off) = r.flush_wait_offset {
            if !self
                .wait_flushed(off, Duration::from_millis(self.config.sync_flush_timeout))
                .await
            {
                r.status = PutMessageStatus::FlushDiskTimeout;
            }
        }
        r
    }

    /// Blocks until the commit log is durable up to `offset` (or `timeout`). Returns whether it is.
    pub fn wait_flushed_blocking(&self, offset: i64, timeout: Duration) -> bool {
        self.flusher.wait_blocking(offset, timeout)
    }

    /// Waits (async) until the commit log is durable up to `offset` (or `timeout`). Returns whether it is.
    pub async fn wait_flushed(&self, offset: i64, timeout: Duration) -> bool {
        self.flusher.wait_async(offset, timeout).await
    }

    fn put_inner(&self, mut buf: BytesMut, batch: bool) -> PutMessageResult {
        if let Some(r) = self.refuse_reason() {
            self.counters.put_failures.fetch_add(1, Ordering::Relaxed);
            return r;
        }
        let illegal = |why: String| {
            self.counters.put_failures.fetch_add(1, Ordering::Relaxed);
            PutMessageResult::failed(PutMessageStatus::MessageIllegal, why)
        };
        // Parse and check outside the lock.
        let mut metas: Vec<RecordMeta> = Vec::with_capacity(if batch { 16 } else { 1 });
        let mut topic_range = 0..0;
        let mut queue_id = 0;
        let mut wait = true;
        let mut p = 0usize;
        while p < buf.len() {
            let v = match RecordView::parse(&buf[p..]) {
                Ok(v) => v,
                Err(e) => return illegal(format!("bad record at byte {p}: {e}")),
            };
            if v.body.len() > self.config.max_message_size as usize {
                return illegal(format!(
                    "message body of {} bytes exceeds maxMessageSize {}",
                    v.body.len(),
                    self.config.max_message_size
                ));
            }
            if v.properties.len() > MAX_PROPERTIES_LEN {
                self.counters.put_failures.fetch_add(1, Ordering::Relaxed);
                return PutMessageResult::failed(
                    PutMessageStatus::PropertiesSizeExceeded,
                    format!(
                        "properties of {} bytes exceed {}",
                        v.properties.len(),
                        MAX_PROPERTIES_LEN
                    ),
                );
            }
            let max_topic = if v.topic.starts_with("%RETRY%") {
                255
            } else {
                127
            };
            if v.topic.is_empty() || v.topic.len() > max_topic {
                return illegal(format!(
                    "topic length {} not in 1..={max_topic}",
                    v.topic.len()
                ));
            }
            let t_off = v.topic.as_ptr() as usize - buf.as_ptr() as usize;
            if metas.is_empty() {
                topic_range = t_off..t_off + v.topic.len();
                queue_id = v.queue_id;
                wait = v.property(WAIT) != Some("false");
            } else if buf[topic_range.clone()] != *v.topic.as_bytes() || v.queue_id != queue_id {
                return illegal("a batch must hold records of one topic and queue".into());
            }
            metas.push(RecordMeta {
                start: p,
                len: v.total_size as usize,
                sys_flag: v.sys_flag,
            });
            p += v.total_size as usize;
            if !batch && p < buf.len() {
                return illegal(
                    "put_message takes exactly one record (use put_messages for a batch)".into(),
                );
            }
        }
        if metas.is_empty() {
            return illegal("empty message".into());
        }
        let appended = match self
            .commit_log
            .append(&mut buf, topic_range, queue_id, &metas)
        {
            Ok(a) => a,
            Err(StoreError::TooLarge { len, file_size }) => {
                return illegal(format!(
                    "{len} bytes cannot fit in a commit-log file of {file_size} bytes"
                ))
            }
            Err(e) => {
                self.counters.put_failures.fetch_add(1, Ordering::Relaxed);
                tracing::error!(error = %e, "append failed");
                return PutMessageResult::failed(
                    PutMessageStatus::CreateMappedFileFailed,
                    e.to_string(),
                );
            }
        };
        self.dispatcher.wake();
        let end = appended.phys_offset + appended.wrote_bytes;
        let cap = self.config.max_dispatch_lag_bytes as i64;
        if cap > 0 {
            // Back-pressure: do not run ahead of readers. Help dispatch, or wait while someone else does.
            let dispatched = self.dispatcher.dispatched();
            if end - dispatched.get() > cap && !self.dispatcher.try_dispatch() {
                dispatched.wait_blocking(end - cap / 2, Duration::from_millis(20));
            }
        }
        // A waiting caller drives the flush itself (wait_flushed*); a WAIT=false append just wakes the flusher.
        let flush_wait_offset = match self.config.flush_disk_type {
            FlushDiskType::SyncFlush if wait => Some(end),
            FlushDiskType::SyncFlush => {
                self.flusher.request(end);
                None
            }
            FlushDiskType::AsyncFlush => None,
        };
        self.counters
            .put_times
            .fetch_add(metas.len() as u64, Ordering::Relaxed);
        self.counters
            .put_bytes
            .fetch_add(appended.wrote_bytes as u64, Ordering::Relaxed);
        PutMessageResult {
            status: PutMessageStatus::PutOk,
            phys_offset: appended.phys_offset,
            wrote_bytes: appended.wrote_bytes,
            queue_offset: appended.queue_offset,
            msg_num: metas.len() as i32,
            store_timestamp: appended.store_timestamp,
            batch_phys_offsets: if batch {
                metas
                    .iter()
                    .map(|m| appended.phys_offset + m.start as i64)
                    .collect()
            } else {
                Vec::new()
            },
            flush_wait_offset,
            remark: None,
        }
    }

    /// Appends raw commit-log bytes at `offset` (must equal the log end); the dispatcher indexes them. For a
    /// future slave that copies its master's log.
    pub fn append_commit_log_raw(&self, offset: i64, data: &[u8]) -> StoreResult<()> {
        if self.shut_down.load(Ordering::Acquire) {
            return Err(StoreError::Shutdown);
        }
        self.commit_log.append_raw(offset, data)?;
        self.dispatcher.wake();
        self.flusher.wake();
        Ok(())
    }

    /// Busy when the current append has held the lock longer than `osPageCacheBusyTimeOutMills` (§13.3).
    pub fn is_os_page_cache_busy(&self) -> bool {
        let held = self.commit_log.lock_held_ms();
        held > self.config.os_page_cache_busy_time_out_mills as i64 && held < 10_000_000
    }

    pub fn is_disk_full(&self) -> bool {
        self.cleaner.is_disk_full()
    }

    /// Registers the callback the dispatcher calls when a queue gets new data (long polling hooks here).
    pub fn set_arrival_listener(&self, listener: ArrivalListener) {
        self.dispatcher.set_listener(Some(listener));
    }

    pub fn clear_arrival_listener(&self) {
        self.dispatcher.set_listener(None);
    }

    /// Commit-log offset up to which consume queues and index are built.
    pub fn dispatched_offset(&self) -> i64 {
        self.dispatcher.dispatched().get()
    }

    /// Blocks until everything up to `offset` is dispatched (readable through consume queues) or `timeout`.
    pub fn wait_dispatched_blocking(&self, offset: i64, timeout: Duration) -> bool {
        self.dispatcher.dispatched().wait_blocking(offset, timeout)
    }

    /// Async variant of `wait_dispatched_blocking` (deadline checked on each dispatch progress or flusher tick).
    pub async fn wait_dispatched(&self, offset: i64, timeout: Duration) -> bool {
        self.dispatcher
            .dispatched()
            .wait_async(offset, std::time::Instant::now() + timeout)
            .await
    }

    /// Commit-log offset up to which data is durable.
    pub fn flushed_offset(&self) -> i64 {
        self.flusher.flushed().get()
    }

    /// Flushes the commit log, consume queues, index and checkpoint now.
    pub fn flush_all(&self) {
        self.flusher.flush_once(0);
        self.logics_flusher.flush_once();
    }

    /// Runs one retention/disk check pass now (the cleaner thread also runs it periodically).
    pub fn clean_now(&self) -> CleanReport {
        self.cleaner.run_once()
    }

    /// Deletes a topic's consume queues (its commit-log records stay until retention removes them).
    pub fn delete_topic(&self, topic: &str) -> StoreResult<bool> {
        self.commit_log.remove_topic(topic);
        self.queues.delete_topic(topic)
    }

    pub fn stats(&self) -> StoreStats {
        let (cl, cq) = self.cleaner.ratios();
        StoreStats {
            put_message_times: self.counters.put_times.load(Ordering::Relaxed),
            put_message_bytes: self.counters.put_bytes.load(Ordering::Relaxed),
            put_message_failures: self.counters.put_failures.load(Ordering::Relaxed),
            get_message_times: self.counters.get_times.load(Ordering::Relaxed),
            get_message_found: self.counters.get_found.load(Ordering::Relaxed),
            commit_log_min_offset: self.commit_log.min_offset(),
            commit_log_max_offset: self.commit_log.max_offset(),
            commit_log_flushed_offset: self.flushed_offset(),
            dispatched_offset: self.dispatched_offset(),
            commit_log_disk_ratio: cl,
            consume_queue_disk_ratio: cq,
            disk_full: self.cleaner.is_disk_full(),
            topics: self.queues.topics().len(),
        }
    }

    pub fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::Acquire)
    }

    /// Stops the threads, flushes everything and removes the abort file (a clean exit). Idempotent.
    pub fn shutdown(&self) {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return;
        }
        let caught_up = self
            .dispatcher
            .dispatched()
            .wait_blocking(self.commit_log.max_offset(), Duration::from_secs(5));
        self.dispatcher.stop();
        self.flusher.stop();
        self.logics_flusher.stop.store(true, Ordering::Release);
        self.logics_flusher.signal.notify();
        self.cleaner.stop.store(true, Ordering::Release);
        self.cleaner.signal.notify();
        let me = std::thread::current().id();
        for t in self.threads.lock().drain(..) {
            if t.thread().id() != me {
                let _ = t.join();
            }
        }
        self.flusher.flush_once(0);
        self.logics_flusher.flush_once();
        let flushed = self.flusher.flushed().get() >= self.commit_log.max_offset();
        if caught_up && flushed {
            let abort = self.config.abort_path();
            if let Err(e) = std::fs::remove_file(&abort) {
                tracing::warn!(error = %e, "could not remove the abort file");
            } else if let Err(e) = sync_dir(&self.config.root_dir()) {
                tracing::warn!(error = %e, "could not sync the store directory");
            }
        } else {
            tracing::warn!(
                caught_up,
                flushed,
                "unclean shutdown: keeping the abort file"
            );
        }
        self.lock_file.lock().take();
    }
}

impl Drop for MessageStore {
    fn drop(&mut self) {
        self.shutdown();
    }
}
