//! The transaction checker: asks producers about half messages whose outcome the broker never heard.
//!
//! A round reads the op records written since the last round (which half offsets ended, and which transaction
//! ids), then walks the half queue from the checker's progress to its end. For each half message still open:
//! - its transaction already ended under another copy → an op record closes this copy too;
//! - checked `transactionCheckMax` times → copied to `TRANS_CHECK_MAX_TIME_TOPIC`, closed by an op record, logged;
//! - old enough (`transactionTimeOut`, or `CHECK_IMMUNITY_TIME_IN_SECONDS` before the first check) → re-appended
//!   to the half queue with `TRANSACTION_CHECK_TIMES` + 1 and `TRAN_PREPARED_QUEUE_OFFSET` = the old offset (the
//!   copy supersedes the original, durably), and CHECK_TRANSACTION_STATE about the copy goes to one connected
//!   producer of its group.
//!
//! Progress (consumer offsets of `CID_RMQ_SYS_TRANS`) moves over the leading half offsets that are closed or
//! superseded; the op queue's progress over the op records that only name offsets below it. After a restart the
//! first round rebuilds the same picture from those offsets.

use std::collections::{BTreeSet, HashSet, VecDeque};

use bytes::Bytes;
use ferrocket_protocol::codes::request_code;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::CheckTransactionStateRequestHeader;
use ferrocket_protocol::message::properties::{
    CHECK_IMMUNITY_TIME_IN_SECONDS, PGROUP, TRANSACTION_CHECK_TIMES, TRAN_PREPARED_QUEUE_OFFSET,
    WAIT,
};
use ferrocket_protocol::message::RecordView;
use ferrocket_store::GetMessageStatus;

use super::{half, op, SYSTEM_GROUP};
use crate::internal_message::{self, Delivery, InternalMessage};
use crate::processor::Failure;
use crate::topic_validator::{TRANS_CHECK_MAX_TIME_TOPIC, TRANS_HALF_TOPIC, TRANS_OP_HALF_TOPIC};
use crate::BrokerContext;

/// Records read per store call.
const BATCH: usize = 256;
const BATCH_BYTES: usize = 8 * 1024 * 1024;

/// What the checker keeps between rounds.
#[derive(Debug, Default)]
pub struct CheckState {
    loaded: bool,
    /// Next op queue offset to read.
    op_next: i64,
    /// (op queue offset, highest half offset it names), in op order, not yet wholly below the half progress.
    op_pending: VecDeque<(i64, i64)>,
    /// Half offsets at or past the progress that are closed (op seen) or superseded.
    closed: BTreeSet<i64>,
}

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RoundReport {
    /// CHECK_TRANSACTION_STATE requests sent (or attempted without a producer online).
    pub checked: usize,
    /// Half messages moved to TRANS_CHECK_MAX_TIME_TOPIC.
    pub discarded: usize,
    /// Copies closed because their transaction had ended under another copy.
    pub resolved: usize,
    /// Half messages still open after the round.
    pub open: usize,
    /// The half queue progress after the round.
    pub half_progress: i64,
}

/// Reads up to BATCH records of `topic` queue 0 from `from`: (queue offset, record) pairs, the next offset, and the
/// store status.
fn read_queue(
    ctx: &BrokerContext,
    topic: &str,
    from: i64,
) -> (Vec<(i64, Bytes)>, i64, GetMessageStatus) {
    let r = ctx
        .store
        .get_message(topic, 0, from, BATCH, BATCH_BYTES, None);
    let records = r.queue_offsets.into_iter().zip(r.messages).collect();
    (records, r.next_begin_offset, r.status)
}

/// The record of the half message at queue offset `offset`.
fn half_at(ctx: &BrokerContext, offset: i64) -> Option<Bytes> {
    let r = ctx
        .store
        .get_message(TRANS_HALF_TOPIC, 0, offset, 1, BATCH_BYTES, None);
    match (r.queue_offsets.first(), r.messages.into_iter().next()) {
        (Some(&o), Some(b)) if o == offset => Some(b),
        _ => None,
    }
}

fn int_property(v: &RecordView<'_>, name: &str) -> Option<i64> {
    v.property(name).and_then(|s| s.trim().parse().ok())
}

/// How long a never-checked half message is left alone: its own CHECK_IMMUNITY_TIME_IN_SECONDS, else
/// `transactionTimeOut`.
fn first_check_delay_ms(v: &RecordView<'_>, transaction_timeout_ms: i64) -> i64 {
    match int_property(v, CHECK_IMMUNITY_TIME_IN_SECONDS) {
        Some(s) if s >= 0 => s.saturating_mul(1000),
        _ => transaction_timeout_ms,
    }
}

/// Reads the op records written since the last round: marks the half offsets they close and collects the ended
/// transaction ids.
fn read_ops(ctx: &BrokerContext, state: &mut CheckState, progress: i64) -> HashSet<String> {
    let mut ended = HashSet::new();
    loop {
        let (records, next, status) = read_queue(ctx, TRANS_OP_HALF_TOPIC, state.op_next);
        let moved = next > state.op_next;
        match status {
            GetMessageStatus::Found => {}
            GetMessageStatus::OffsetTooSmall
            | GetMessageStatus::NoMatchedMessage
            | GetMessageStatus::MessageWasRemoving
            | GetMessageStatus::OffsetFoundNull
                if moved =>
            {
                state.op_next = next;
                continue;
            }
            _ => break,
        }
        for (op_offset, bytes) in records {
            let mut highest = -1;
            if let Some(op) = RecordView::parse(&bytes)
                .ok()
                .as_ref()
                .and_then(op::read_op)
            {
                for o in &op.half_offsets {
                    highest = highest.max(*o);
                    if *o >= progress {
                        state.closed.insert(*o);
                    }
                }
                match op.transaction_id {
                    Some(id) => {
                        ended.insert(id);
                    }
                    // Written by a broker that does not name the transaction: look at the half message.
                    None => {
                        for o in op.half_offsets.iter().filter(|o| **o >= progress) {
                            if let Some(b) = half_at(ctx, *o) {
                                if let Some(id) = RecordView::parse(&b)
                                    .ok()
                                    .as_ref()
                                    .and_then(half::transaction_id)
                                {
                                    ended.insert(id.to_owned());
                                }
                            }
                        }
                    }
                }
            }
            state.op_pending.push_back((op_offset, highest));
        }
        state.op_next = next;
    }
    ended
}

/// One round (see the module doc).
pub async fn check_round(ctx: &BrokerContext, state: &mut CheckState) -> RoundReport {
    let config = ctx.config.load_full();
    let store = &ctx.store;
    let half_min = store.min_offset_in_queue(TRANS_HALF_TOPIC, 0);
    let half_max = store.max_offset_in_queue(TRANS_HALF_TOPIC, 0);
    let mut progress = ctx
        .offsets
        .query(SYSTEM_GROUP, TRANS_HALF_TOPIC, 0)
        .unwrap_or(half_min)
        .max(half_min);
    if !state.loaded {
        let op_min = store.min_offset_in_queue(TRANS_OP_HALF_TOPIC, 0);
        state.op_next = ctx
            .offsets
            .query(SYSTEM_GROUP, TRANS_OP_HALF_TOPIC, 0)
            .unwrap_or(op_min)
            .max(op_min);
        state.loaded = true;
    }
    let ended = read_ops(ctx, state, progress);

    // Every record from the progress on: the open ones are decided below; all of them may name the offset they
    // supersede.
    let mut entries: Vec<(i64, Bytes)> = Vec::new();
    let mut superseded: HashSet<i64> = HashSet::new();
    let mut at = progress;
    while at < half_max {
        let (records, next, status) = read_queue(ctx, TRANS_HALF_TOPIC, at);
        if next <= at {
            break;
        }
        if status == GetMessageStatus::OffsetTooSmall {
            progress = progress.max(next);
            at = next;
            continue;
        }
        // Units the store skipped (blank or removed) are closed.
        let returned: HashSet<i64> = records.iter().map(|(o, _)| *o).collect();
        for o in at..next {
            if !returned.contains(&o) {
                state.closed.insert(o);
            }
        }
        for (o, bytes) in records {
            if let Ok(v) = RecordView::parse(&bytes) {
                if let Some(prev) = int_property(&v, TRAN_PREPARED_QUEUE_OFFSET) {
                    superseded.insert(prev);
                }
            }
            entries.push((o, bytes));
        }
        at = next;
    }

    let mut report = RoundReport::default();
    let now = store.now_ms();
    let reserved_ms = (config.store.file_reserved_time as i64).saturating_mul(3_600_000);
    let timeout_ms = config.transaction_time_out as i64;
    for (offset, bytes) in entries {
        if state.closed.contains(&offset) {
            continue;
        }
        if superseded.contains(&offset) {
            state.closed.insert(offset);
            continue;
        }
        let Ok(v) = RecordView::parse(&bytes) else {
            state.closed.insert(offset);
            continue;
        };
        let id = half::transaction_id(&v).map(str::to_owned);
        if id
            .as_deref()
            .is_some_and(|id| ended.contains(id) || ctx.transactions.is_ended(id))
        {
            match op::put_op(ctx, offset, id.as_deref()).await {
                Ok(()) => {
                    state.closed.insert(offset);
                    report.resolved += 1;
                }
                Err(e) => {
                    tracing::warn!(offset, remark = %e.remark, "closing a half message failed")
                }
            }
            continue;
        }
        if reserved_ms > 0 && now - v.store_timestamp > reserved_ms {
            // Apache skips half messages older than the files' retention.
            state.closed.insert(offset);
            continue;
        }
        let times = int_property(&v, TRANSACTION_CHECK_TIMES).unwrap_or(0);
        if times >= i64::from(config.transaction_check_max) {
            match discard(ctx, &v, &bytes, offset, id.as_deref()).await {
                Ok(()) => {
                    state.closed.insert(offset);
                    report.discarded += 1;
                }
                Err(e) => {
                    tracing::warn!(offset, remark = %e.remark, "discarding a half message failed")
                }
            }
            continue;
        }
        // The first check waits from the send; later ones from the previous check (the copy's store time).
        let (since, wait) = if times == 0 {
            (v.born_timestamp, first_check_delay_ms(&v, timeout_ms))
        } else {
            (v.store_timestamp, timeout_ms)
        };
        let age = now - since;
        if (0..wait).contains(&age) {
            report.open += 1;
            continue;
        }
        match reappend_and_check(ctx, &v, &bytes, offset, times + 1).await {
            Ok(()) => {
                state.closed.insert(offset);
                report.checked += 1;
                report.open += 1;
            }
            Err(e) => {
                report.open += 1;
                tracing::warn!(offset, remark = %e.remark, "transaction check failed")
            }
        }
    }

    while progress < half_max && state.closed.remove(&progress) {
        progress += 1;
    }
    state.closed = state.closed.split_off(&progress);
    commit_if_moved(ctx, TRANS_HALF_TOPIC, progress);
    while state
        .op_pending
        .front()
        .is_some_and(|(_, highest)| *highest < progress)
    {
        state.op_pending.pop_front();
    }
    let op_progress = state
        .op_pending
        .front()
        .map(|(o, _)| *o)
        .unwrap_or(state.op_next);
    commit_if_moved(ctx, TRANS_OP_HALF_TOPIC, op_progress);
    report.half_progress = progress;
    report
}

/// Records the checker's progress in `topic` (a write of consumerOffset.json follows only when it moved).
fn commit_if_moved(ctx: &BrokerContext, topic: &str, offset: i64) {
    if ctx.offsets.query(SYSTEM_GROUP, topic, 0) != Some(offset) {
        ctx.offsets.commit(SYSTEM_GROUP, topic, 0, offset);
    }
}

fn copy_of(v: &RecordView<'_>, bytes: &Bytes) -> InternalMessage {
    let mut m = InternalMessage::from_record(v, bytes.slice_ref(v.body));
    m.set_property(WAIT, "false");
    m
}

/// Moves a half message checked too often to TRANS_CHECK_MAX_TIME_TOPIC and closes it.
async fn discard(
    ctx: &BrokerContext,
    v: &RecordView<'_>,
    bytes: &Bytes,
    offset: i64,
    id: Option<&str>,
) -> Result<(), Failure> {
    let mut m = copy_of(v, bytes);
    m.topic = TRANS_CHECK_MAX_TIME_TOPIC.to_owned();
    m.queue_id = 0;
    internal_message::put(ctx, &m, Delivery::Direct).await?;
    op::put_op(ctx, offset, id).await?;
    ctx.transactions.count_discard();
    tracing::warn!(
        half_offset = offset,
        transaction_id = id.unwrap_or(""),
        producer_group = v.property(PGROUP).unwrap_or(""),
        check_times = ctx.config().transaction_check_max,
        "half message checked too many times; moved to {TRANS_CHECK_MAX_TIME_TOPIC}"
    );
    Ok(())
}

/// Re-appends the half message with one more check counted and asks a producer of its group about the copy.
async fn reappend_and_check(
    ctx: &BrokerContext,
    v: &RecordView<'_>,
    bytes: &Bytes,
    offset: i64,
    times: i64,
) -> Result<(), Failure> {
    let mut m = copy_of(v, bytes);
    m.set_property(TRANSACTION_CHECK_TIMES, &times.to_string());
    m.set_property(TRAN_PREPARED_QUEUE_OFFSET, &offset.to_string());
    let stored = internal_message::put(ctx, &m, Delivery::Direct).await?;
    let copy = ctx
        .store
        .message_by_phys_offset(stored.result.phys_offset)
        .ok_or_else(|| Failure::system("the re-appended half message cannot be read back"))?;
    let copy_view =
        RecordView::parse(&copy).map_err(|e| Failure::system(format!("bad half copy: {e}")))?;
    send_check(ctx, &copy_view);
    Ok(())
}

/// CHECK_TRANSACTION_STATE (oneway) about a half record to one connected producer of its group.
fn send_check(ctx: &BrokerContext, v: &RecordView<'_>) {
    ctx.transactions.count_check();
    let group = v.property(PGROUP).unwrap_or("");
    let channels: Vec<_> = ctx
        .clients
        .producer_channels(group)
        .into_iter()
        .filter(|c| !c.conn.is_closed())
        .collect();
    if channels.is_empty() {
        tracing::warn!(
            producer_group = group,
            "transaction check skipped: no producer of the group is connected"
        );
        return;
    }
    let channel = &channels[rand::random::<u32>() as usize % channels.len()];
    let body = match half::check_body(v) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(remark = %e.remark, "cannot build the transaction check");
            return;
        }
    };
    let uniq = half::transaction_id(v).map(str::to_owned);
    let header = CheckTransactionStateRequestHeader {
        topic: Some(v.topic.to_owned()),
        tran_state_table_offset: v.queue_offset,
        commit_log_offset: v.physical_offset,
        msg_id: v.uniq_key().map(str::to_owned).or_else(|| uniq.clone()),
        transaction_id: uniq,
        offset_msg_id: Some(v.offset_msg_id()),
        broker_name: Some(ctx.config().broker_name.clone()),
    };
    let req = RemotingCommand::request_with_header(request_code::CHECK_TRANSACTION_STATE, &header)
        .with_body(body);
    if let Err(e) = channel.conn.send_oneway(req) {
        tracing::warn!(peer = %channel.conn.peer_addr(), error = %e, "sending the transaction check failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::message::{properties, RecordBuilder};

    fn with_props(pairs: &[(&str, &str)]) -> bytes::BytesMut {
        let props = properties::encode_pairs(pairs.iter().copied());
        RecordBuilder::new(TRANS_HALF_TOPIC, b"x", &props)
            .encode()
            .unwrap()
    }

    #[test]
    fn first_check_waits_for_the_immunity_time() {
        let plain = with_props(&[]);
        let v = RecordView::parse(&plain).unwrap();
        assert_eq!(first_check_delay_ms(&v, 6_000), 6_000);
        let own = with_props(&[(CHECK_IMMUNITY_TIME_IN_SECONDS, "20")]);
        let v = RecordView::parse(&own).unwrap();
        assert_eq!(first_check_delay_ms(&v, 6_000), 20_000);
        let bad = with_props(&[(CHECK_IMMUNITY_TIME_IN_SECONDS, "-1")]);
        let v = RecordView::parse(&bad).unwrap();
        assert_eq!(first_check_delay_ms(&v, 6_000), 6_000);
    }
}
