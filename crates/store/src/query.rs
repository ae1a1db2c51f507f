//! Reads: messages from a queue (pull), offsets, time search, lookups by physical offset and by key.

use std::sync::atomic::Ordering;

use bytes::Bytes;
use ferrocket_protocol::message::RecordView;

use crate::consume_queue::ConsumeQueue;
use crate::message_store::MessageStore;
use crate::status::{BoundaryType, GetMessageResult, GetMessageStatus, QueryMessageResult};

/// Filter on the consume-queue tags code; `None` accepts everything.
pub type TagFilter<'a> = Option<&'a dyn Fn(i64) -> bool>;

impl MessageStore {
    /// Reads up to `max_msgs` records (and about `max_bytes`) of (topic, queue) from logical `offset`, skipping
    /// units the filter rejects. Statuses and next offsets follow remoting-protocol.md §7.2.
    pub fn get_message(
        &self,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max_msgs: usize,
        max_bytes: usize,
        filter: TagFilter<'_>,
    ) -> GetMessageResult {
        self.counters.get_times.fetch_add(1, Ordering::Relaxed);
        let Some(cq) = self.queues.find(topic, queue_id) else {
            return GetMessageResult::empty(GetMessageStatus::NoMatchedLogicQueue, 0, 0, 0);
        };
        let min = cq.min_offset();
        let max = cq.max_offset();
        if max == 0 {
            return GetMessageResult::empty(GetMessageStatus::NoMessageInQueue, 0, min, max);
        }
        if offset < min {
            return GetMessageResult::empty(GetMessageStatus::OffsetTooSmall, min, min, max);
        }
        if offset == max {
            return GetMessageResult::empty(GetMessageStatus::OffsetOverflowOne, offset, min, max);
        }
        if offset > max {
            return GetMessageResult::empty(GetMessageStatus::OffsetOverflowBadly, max, min, max);
        }
        let mut res = GetMessageResult::empty(GetMessageStatus::NoMatchedMessage, offset, min, max);
        let cl_min = self.commit_log.min_offset();
        let cl_max = self.commit_log.max_offset();
        let max_msgs = max_msgs.max(1);
        let scan_limit = (self.config.max_filter_message_size as usize).max(max_msgs);
        let mut next = offset;
        let mut scanned = 0usize;
        let mut last_phys = -1i64;
        'outer: while next < max && scanned < scan_limit {
            let Some(units) = cq.units_from(next, 256) else {
                // The file holding `next` is gone (deleted under us): move to the next file.
                if res.messages.is_empty() {
                    res.status = GetMessageStatus::OffsetFoundNull;
                    res.next_begin_offset = cq.roll_next_file(next).min(max);
                    return res;
                }
                break;
            };
            if units.is_empty() {
                break;
            }
            for u in units {
                if res.messages.len() >= max_msgs || scanned >= scan_limit {
                    break 'outer;
                }
                if !res.messages.is_empty() && res.total_bytes + u.size.max(0) as usize > max_bytes
                {
                    break 'outer;
                }
                scanned += 1;
                let this = next;
                next += 1;
                if u.is_blank() {
                    continue;
                }
                if u.phys_offset < cl_min {
                    if res.messages.is_empty() {
                        res.status = GetMessageStatus::MessageWasRemoving;
                    }
                    continue;
                }
                if let Some(f) = filter {
                    if !f(u.tags_code) {
                        if res.messages.is_empty() {
                            res.status = GetMessageStatus::NoMatchedMessage;
                        }
                        continue;
                    }
                }
                match self.commit_log.read(u.phys_offset, u.size) {
                    Some(b) => {
                        res.total_bytes += b.len();
                        res.messages.push(b);
                        res.queue_offsets.push(this);
                        res.status = GetMessageStatus::Found;
                        last_phys = u.phys_offset;
                    }
                    None if u.phys_offset + u.size as i64 > self.commit_log.max_offset() => {
                        // Not readable yet: stop here so the next pull asks for it again, never pass over it.
                        next = this;
                        break 'outer;
                    }
                    None => {
                        if res.messages.is_empty() {
                            res.status = GetMessageStatus::MessageWasRemoving;
                        }
                    }
                }
            }
        }
        res.next_begin_offset = next;
        if last_phys >= 0 && self.total_ram > 0 {
            let mem_limit = self.total_ram as f64
                * self.config.access_message_in_memory_max_ratio as f64
                / 100.0;
            res.suggest_pull_from_slave = (cl_max - last_phys) as f64 > mem_limit;
        }
        if res.status == GetMessageStatus::Found {
            self.counters.get_found.fetch_add(1, Ordering::Relaxed);
        }
        res
    }

    /// Next offset to be written in (topic, queue); 0 for an unknown queue.
    pub fn max_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.queues
            .find(topic, queue_id)
            .map(|q| q.max_offset())
            .unwrap_or(0)
    }

    /// First readable offset of (topic, queue); 0 for an unknown queue.
    pub fn min_offset_in_queue(&self, topic: &str, queue_id: i32) -> i64 {
        self.queues
            .find(topic, queue_id)
            .map(|q| q.min_offset())
            .unwrap_or(0)
    }

    fn unit_store_time(&self, cq: &ConsumeQueue, offset: i64) -> Option<i64> {
        let u = cq.unit(offset)?;
        if u.is_blank() || u.phys_offset < self.commit_log.min_offset() {
            return None;
        }
        self.commit_log.store_timestamp_at(u.phys_offset)
    }

    /// Queue offset for a timestamp by binary search over store times (SEARCH_OFFSET_BY_TIMESTAMP).
    /// `Lower`: the first offset whose store time is ≥ `timestamp`; `Upper`: the last offset whose store time is
    /// ≤ `timestamp`. Before the first message → min offset; after the last → max offset (Lower) or the last
    /// message's offset (Upper).
    pub fn offset_by_time(
        &self,
        topic: &str,
        queue_id: i32,
        timestamp: i64,
        boundary: BoundaryType,
    ) -> i64 {
        let Some(cq) = self.queues.find(topic, queue_id) else {
            return 0;
        };
        let mut lo = cq.min_offset();
        let hi_end = cq.max_offset();
        // Skip leading units whose data is gone.
        while lo < hi_end && self.unit_store_time(&cq, lo).is_none() {
            lo += 1;
        }
        if lo >= hi_end {
            return hi_end;
        }
        let first = lo;
        let mut hi = hi_end - 1;
        match boundary {
            BoundaryType::Lower => {
                // first offset with time >= timestamp
                let mut ans = hi_end;
                while lo <= hi {
                    let mid = lo + (hi - lo) / 2;
                    match self.unit_store_time(&cq, mid) {
                        Some(t) if t >= timestamp => {
                            ans = mid;
                            hi = mid - 1;
                        }
                        Some(_) => lo = mid + 1,
                        None => lo = mid + 1,
                    }
                }
                ans
            }
            BoundaryType::Upper => {
                // last offset with time <= timestamp
                let mut ans = first;
                while lo <= hi {
                    let mid = lo + (hi - lo) / 2;
                    match self.unit_store_time(&cq, mid) {
                        Some(t) if t <= timestamp => {
                            ans = mid;
                            lo = mid + 1;
                        }
                        Some(_) => hi = mid - 1,
                        None => lo = mid + 1,
                    }
                }
                ans
            }
        }
    }

    /// Store time of the first readable message of (topic, queue) (GET_EARLIEST_MSG_STORETIME).
    pub fn earliest_message_time_in_queue(&self, topic: &str, queue_id: i32) -> Option<i64> {
        let cq = self.queues.find(topic, queue_id)?;
        let max = cq.max_offset();
        (cq.min_offset()..max)
            .take(64)
            .find_map(|o| self.unit_store_time(&cq, o))
    }

    /// Store time of the first message in the commit log.
    pub fn earliest_message_time(&self) -> Option<i64> {
        let min = self.commit_log.min_offset();
        if min >= self.commit_log.max_offset() {
            return None;
        }
        self.commit_log.store_timestamp_at(min)
    }

    /// Store time of the message at queue offset `offset`.
    pub fn message_store_time(&self, topic: &str, queue_id: i32, offset: i64) -> Option<i64> {
        let cq = self.queues.find(topic, queue_id)?;
        self.unit_store_time(&cq, offset)
    }

    /// The whole record starting at commit-log offset `phys` (VIEW_MESSAGE_BY_ID), validated.
    pub fn message_by_phys_offset(&self, phys: i64) -> Option<Bytes> {
        if phys < self.commit_log.min_offset() {
            return None;
        }
        let b = self.commit_log.read_record(phys)?;
        let v = RecordView::parse(&b).ok()?;
        (v.physical_offset == phys).then_some(b)
    }

    /// The record of `size` bytes at `phys` (from a consume-queue unit), without validation.
    pub fn message_by_phys_offset_and_size(&self, phys: i64, size: i32) -> Option<Bytes> {
        self.commit_log.read(phys, size)
    }

    /// Messages whose `topic#key` index entry matches (hash match; the caller checks the real key) with store
    /// time in [begin, end], up to `max` (QUERY_MESSAGE).
    pub fn query_message(
        &self,
        topic: &str,
        key: &str,
        max: usize,
        begin: i64,
        end: i64,
    ) -> QueryMessageResult {
        let Some(index) = &self.index else {
            return QueryMessageResult::default();
        };
        let r = index.query(topic, key, max, begin, end);
        let mut out = QueryMessageResult {
            index_last_update_timestamp: r.index_last_update_timestamp,
            index_last_update_phyoffset: r.index_last_update_phyoffset,
            ..QueryMessageResult::default()
        };
        for phys in r.phys_offsets {
            if let Some(b) = self.message_by_phys_offset(phys) {
                let same_topic = RecordView::parse(&b)
                    .map(|v| v.topic == topic)
                    .unwrap_or(false);
                if same_topic {
                    out.messages.push(b);
                    out.phys_offsets.push(phys);
                }
            }
        }
        out
    }

    /// Up to `max_len` raw commit-log bytes from `offset`, within one file (replication, tools).
    pub fn read_commit_log_raw(&self, offset: i64, max_len: usize) -> Option<Bytes> {
        self.commit_log.read_raw(offset, max_len)
    }

    pub fn commit_log_max_offset(&self) -> i64 {
        self.commit_log.max_offset()
    }

    pub fn commit_log_min_offset(&self) -> i64 {
        self.commit_log.min_offset()
    }

    /// Queues of a topic with their (min, max) offsets.
    pub fn topic_queue_offsets(&self, topic: &str) -> Vec<(i32, i64, i64)> {
        let mut v: Vec<_> = self
            .queues
            .topic_queues(topic)
            .iter()
            .map(|q| (q.queue_id(), q.min_offset(), q.max_offset()))
            .collect();
        v.sort();
        v
    }

    /// Every topic that has a consume queue.
    pub fn topics(&self) -> Vec<String> {
        self.queues.topics()
    }
}
