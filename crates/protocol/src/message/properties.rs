//! The message properties string (remoting-protocol.md §9): `name \x01 value \x02` repeated.
//!
//! Zero-copy readers ([`iter`], [`get`]) serve the hot path (the store reads TAGS, KEYS, UNIQ_KEY, DELAY of every
//! record); [`decode`] / [`encode`] convert to and from an owned [`PropertyMap`].

use std::collections::BTreeMap;

use super::error::MessageError;

/// Owned properties. A `BTreeMap` so that encoding is deterministic (sorted by name).
pub type PropertyMap = BTreeMap<String, String>;

/// Separates a name from its value.
pub const NAME_VALUE_SEPARATOR: char = '\u{1}';
/// Ends every name/value pair.
pub const PROPERTY_SEPARATOR: char = '\u{2}';
/// Largest encoded properties string (its length prefix is an i16).
pub const MAX_PROPERTIES_LEN: usize = i16::MAX as usize;
/// Separates the keys inside the KEYS property.
pub const KEY_SEPARATOR: char = ' ';

pub const KEYS: &str = "KEYS";
pub const TAGS: &str = "TAGS";
pub const WAIT: &str = "WAIT";
pub const DELAY: &str = "DELAY";
pub const RETRY_TOPIC: &str = "RETRY_TOPIC";
pub const REAL_TOPIC: &str = "REAL_TOPIC";
pub const REAL_QID: &str = "REAL_QID";
pub const TRAN_MSG: &str = "TRAN_MSG";
pub const PGROUP: &str = "PGROUP";
pub const MIN_OFFSET: &str = "MIN_OFFSET";
pub const MAX_OFFSET: &str = "MAX_OFFSET";
pub const BUYER_ID: &str = "BUYER_ID";
pub const MSG_REGION: &str = "MSG_REGION";
pub const TRACE_ON: &str = "TRACE_ON";
pub const CLUSTER: &str = "CLUSTER";
pub const ORIGIN_MESSAGE_ID: &str = "ORIGIN_MESSAGE_ID";
pub const TRANSFER_FLAG: &str = "TRANSFER_FLAG";
pub const CORRECTION_FLAG: &str = "CORRECTION_FLAG";
pub const MQ2_FLAG: &str = "MQ2_FLAG";
pub const RECONSUME_TIME: &str = "RECONSUME_TIME";
pub const UNIQ_KEY: &str = "UNIQ_KEY";
pub const EXTEND_UNIQ_INFO: &str = "EXTEND_UNIQ_INFO";
pub const DUP_INFO: &str = "DUP_INFO";
pub const MAX_RECONSUME_TIMES: &str = "MAX_RECONSUME_TIMES";
pub const CONSUME_START_TIME: &str = "CONSUME_START_TIME";
pub const INNER_NUM: &str = "INNER_NUM";
pub const INNER_BASE: &str = "INNER_BASE";
pub const CHECK_IMMUNITY_TIME_IN_SECONDS: &str = "CHECK_IMMUNITY_TIME_IN_SECONDS";
pub const TRAN_PREPARED_QUEUE_OFFSET: &str = "TRAN_PREPARED_QUEUE_OFFSET";
pub const TRANSACTION_ID: &str = "__transactionId__";
pub const TRANSACTION_CHECK_TIMES: &str = "TRANSACTION_CHECK_TIMES";
pub const INSTANCE_ID: &str = "INSTANCE_ID";
pub const CORRELATION_ID: &str = "CORRELATION_ID";
pub const REPLY_TO_CLIENT: &str = "REPLY_TO_CLIENT";
pub const TTL: &str = "TTL";
pub const ARRIVE_TIME: &str = "ARRIVE_TIME";
pub const PUSH_REPLY_TIME: &str = "PUSH_REPLY_TIME";
pub const MSG_TYPE: &str = "MSG_TYPE";
/// Value of [`MSG_TYPE`] on reply messages.
pub const REPLY_MESSAGE_TYPE: &str = "reply";
pub const POP_CK: &str = "POP_CK";
pub const POP_CK_OFFSET: &str = "POP_CK_OFFSET";
pub const FIRST_POP_TIME: &str = "1ST_POP_TIME";
pub const SHARDING_KEY: &str = "__SHARDINGKEY";
pub const FORWARD_QUEUE_ID: &str = "PROPERTY_FORWARD_QUEUE_ID";
pub const REDIRECT: &str = "REDIRECT";
pub const INNER_MULTI_DISPATCH: &str = "INNER_MULTI_DISPATCH";
pub const INNER_MULTI_QUEUE_OFFSET: &str = "INNER_MULTI_QUEUE_OFFSET";
pub const TRACE_CONTEXT: &str = "TRACE_CONTEXT";
pub const TIMER_DELIVER_MS: &str = "TIMER_DELIVER_MS";
pub const TIMER_DELAY_SEC: &str = "TIMER_DELAY_SEC";
pub const TIMER_DELAY_MS: &str = "TIMER_DELAY_MS";
pub const TIMER_OUT_MS: &str = "TIMER_OUT_MS";
pub const TIMER_ENQUEUE_MS: &str = "TIMER_ENQUEUE_MS";
pub const TIMER_DEQUEUE_MS: &str = "TIMER_DEQUEUE_MS";
pub const TIMER_ROLL_TIMES: &str = "TIMER_ROLL_TIMES";
pub const TIMER_DEL_UNIQKEY: &str = "TIMER_DEL_UNIQKEY";
pub const TIMER_DELAY_LEVEL: &str = "TIMER_DELAY_LEVEL";
pub const BORN_HOST: &str = "__BORNHOST";
pub const BORN_TIMESTAMP: &str = "BORN_TIMESTAMP";
/// Whole-record CRC (storage-format.md §3.2).
pub const CRC32: &str = "__CRC32#";
pub const DLQ_ORIGIN_TOPIC: &str = "DLQ_ORIGIN_TOPIC";
pub const DLQ_ORIGIN_MESSAGE_ID: &str = "DLQ_ORIGIN_MESSAGE_ID";
/// Properties with this prefix are never stored.
pub const TRANSIENT_PREFIX: &str = "__RMQ.TRANSIENT.";
pub const TRANSIENT_TOPIC_SYS_FLAG: &str = "__RMQ.TRANSIENT.TOPIC_SYS_FLAG";
pub const TRANSIENT_GROUP_SYS_FLAG: &str = "__RMQ.TRANSIENT.GROUP_SYS_FLAG";
/// Aliyun ONS start-deliver time; Apache brokers only read it for metrics.
pub const START_DELIVER_TIME: &str = "__STARTDELIVERTIME";

/// The pairs of `s` in order, with the §9 decode rule applied: a segment is kept only if its first `\x01` has at
/// least one byte before and after it; the value is everything after that first `\x01`. Duplicates are yielded
/// as they come (callers wanting a map apply last-wins).
pub fn iter(s: &str) -> impl Iterator<Item = (&str, &str)> + '_ {
    s.split(PROPERTY_SEPARATOR).filter_map(split_pair)
}

fn split_pair(segment: &str) -> Option<(&str, &str)> {
    let i = segment.find(NAME_VALUE_SEPARATOR)?;
    if i == 0 || i + 1 >= segment.len() {
        return None;
    }
    Some((&segment[..i], &segment[i + 1..]))
}

/// The value of `name` in `s`; with duplicates, the last one wins. No allocation.
///
/// Byte scan from the end (the last occurrence wins, so it is found first), comparing only segments that start
/// with `name` followed by `\x01`: the hot path reads a few properties of every stored record.
pub fn get<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let (b, n) = (s.as_bytes(), name.as_bytes());
    // A name holding \x01 or \x02 can never be a decoded name; an empty one is dropped by the decode rule.
    if n.is_empty() || n.iter().any(|&c| c == 1 || c == 2) {
        return None;
    }
    let mut end = b.len();
    loop {
        let start = rfind_separator(&b[..end]).map_or(0, |p| p + 1);
        let seg = &b[start..end];
        // `name` has no \x01, so a match means the segment's first \x01 is right after it; the value must
        // be non-empty.
        if seg.len() > n.len() + 1 && seg.starts_with(n) && seg[n.len()] == 1 {
            // Both cut points sit next to ASCII control bytes, so they are char boundaries.
            return s.get(start + n.len() + 1..end);
        }
        if start == 0 {
            return None;
        }
        end = start - 1;
    }
}

/// Position of the last `\x02` in `b`: skips 8 bytes at a time while a word holds none (SWAR zero-byte test on
/// `word ^ 0x0202..`), then finishes byte by byte.
fn rfind_separator(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut end = b.len();
    while end >= 8 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[end - 8..end]);
        let x = u64::from_ne_bytes(w) ^ (ONES * 2);
        if x.wrapping_sub(ONES) & !x & HIGHS != 0 {
            break;
        }
        end -= 8;
    }
    b[..end].iter().rposition(|&c| c == 2)
}

/// Decodes `s` into a map (last duplicate wins).
pub fn decode(s: &str) -> PropertyMap {
    iter(s).map(|(n, v)| (n.to_owned(), v.to_owned())).collect()
}

/// Encodes `map` in its (sorted) order. Check the result with [`check_len`] before putting it in a record.
pub fn encode(map: &PropertyMap) -> String {
    encode_pairs(map.iter().map(|(n, v)| (n.as_str(), v.as_str())))
}

/// Encodes pairs in the given order.
pub fn encode_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (n, v) in pairs {
        append(&mut out, n, v);
    }
    out
}

/// Appends one pair to an encoded properties string.
pub fn append(out: &mut String, name: &str, value: &str) {
    out.reserve(name.len() + value.len() + 2);
    out.push_str(name);
    out.push(NAME_VALUE_SEPARATOR);
    out.push_str(value);
    out.push(PROPERTY_SEPARATOR);
}

/// Fails if an encoded properties string is too long for its i16 length prefix (the broker answers
/// MESSAGE_ILLEGAL / PROPERTIES_SIZE_EXCEEDED).
pub fn check_len(s: &str) -> Result<(), MessageError> {
    if s.len() > MAX_PROPERTIES_LEN {
        return Err(MessageError::TooLong {
            what: "properties",
            len: s.len(),
            max: MAX_PROPERTIES_LEN,
        });
    }
    Ok(())
}

/// Fails for a pair that would not survive a round trip: empty name or value (dropped by decoders), a name
/// containing either separator, or a value containing `\x02`.
pub fn check_pair(name: &str, value: &str) -> Result<(), MessageError> {
    let bad = |reason| {
        Err(MessageError::InvalidProperty {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return bad("empty name");
    }
    if value.is_empty() {
        return bad("empty value");
    }
    if name.contains([NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR]) {
        return bad("name contains a separator (\\x01 or \\x02)");
    }
    if value.contains(PROPERTY_SEPARATOR) {
        return bad("value contains the property separator \\x02");
    }
    Ok(())
}

/// The individual keys of a KEYS value (space separated; empty pieces skipped).
pub fn split_keys(keys: &str) -> impl Iterator<Item = &str> + '_ {
    keys.split(KEY_SEPARATOR).filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rule_of_section_9() {
        let s =
            "A\u{1}1\u{2}\u{1}x\u{2}B\u{1}\u{2}C\u{1}c\u{1}d\u{2}noseparator\u{2}\u{2}A\u{1}2\u{2}";
        let pairs: Vec<_> = iter(s).collect();
        assert_eq!(pairs, vec![("A", "1"), ("C", "c\u{1}d"), ("A", "2")]);
        let m = decode(s);
        assert_eq!(m.len(), 2);
        assert_eq!(m["A"], "2");
        assert_eq!(m["C"], "c\u{1}d");
        assert_eq!(get(s, "A"), Some("2"));
        assert_eq!(get(s, "B"), None);
        assert_eq!(get(s, "C"), Some("c\u{1}d"));
        assert_eq!(get("", "A"), None);
    }

    #[test]
    fn last_segment_without_trailing_separator_is_kept() {
        assert_eq!(get("A\u{1}1\u{2}B\u{1}2", "B"), Some("2"));
    }

    #[test]
    fn encode_is_sorted_and_round_trips() {
        let mut m = PropertyMap::new();
        m.insert(WAIT.into(), "true".into());
        m.insert(TAGS.into(), "TagA".into());
        let s = encode(&m);
        assert_eq!(s, "TAGS\u{1}TagA\u{2}WAIT\u{1}true\u{2}");
        assert_eq!(decode(&s), m);
        assert_eq!(encode(&PropertyMap::new()), "");
    }

    #[test]
    fn length_and_pair_checks() {
        assert!(check_len(&"x".repeat(MAX_PROPERTIES_LEN)).is_ok());
        assert!(matches!(
            check_len(&"x".repeat(MAX_PROPERTIES_LEN + 1)),
            Err(MessageError::TooLong { len: 32768, .. })
        ));
        assert!(check_pair("K", "v\u{1}w").is_ok());
        assert!(check_pair("", "v").is_err());
        assert!(check_pair("K", "").is_err());
        assert!(check_pair("K\u{1}", "v").is_err());
        assert!(check_pair("K", "v\u{2}").is_err());
    }

    #[test]
    fn keys_split_on_spaces() {
        let k: Vec<_> = split_keys("k1 k2  k3 ").collect();
        assert_eq!(k, vec!["k1", "k2", "k3"]);
    }
}
