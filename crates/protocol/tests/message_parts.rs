//! Properties, batch bodies, message ids, tag hashes and compression.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use bytes::Bytes;
use ferrocket_protocol::message::compression::{self, MAX_DECOMPRESSED_LEN};
use ferrocket_protocol::message::msg_id::{decode_uniq_key, next_uniq_key};
use ferrocket_protocol::message::properties::{self, PropertyMap};
use ferrocket_protocol::message::tag::tags_code;
use ferrocket_protocol::message::{
    create_offset_msg_id, decode_batch, decode_batch_shared, decode_offset_msg_id, encode_batch,
    iter_batch, java_string_hash, BatchItem, MessageError, UniqKeyGenerator,
};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

// ---- properties (§9) ----

#[test]
fn properties_drop_segments_without_name_or_value() {
    let s = "\u{1}v\u{2}n\u{1}\u{2}\u{2}plain\u{2}K\u{1}V\u{2}";
    assert_eq!(properties::iter(s).collect::<Vec<_>>(), vec![("K", "V")]);
    assert_eq!(properties::decode(s).len(), 1);
}

#[test]
fn properties_value_may_contain_name_separator() {
    let s = "K\u{1}a\u{1}b\u{2}";
    assert_eq!(properties::get(s, "K"), Some("a\u{1}b"));
    let m = properties::decode(s);
    assert_eq!(properties::encode(&m), s);
}

#[test]
fn properties_duplicates_last_wins_everywhere() {
    let s = "K\u{1}1\u{2}J\u{1}x\u{2}K\u{1}2\u{2}K\u{1}\u{2}";
    // The empty trailing K is dropped, so "2" is the last valid value.
    assert_eq!(properties::get(s, "K"), Some("2"));
    assert_eq!(properties::decode(s)["K"], "2");
}

#[test]
fn properties_unicode_and_missing_trailing_separator() {
    let s = "名字\u{1}値 ü\u{2}Z\u{1}z";
    let m = properties::decode(s);
    assert_eq!(m["名字"], "値 ü");
    assert_eq!(m["Z"], "z");
}

#[test]
fn properties_encode_is_stable_and_checked() {
    let mut a = PropertyMap::new();
    let mut b = PropertyMap::new();
    for (k, v) in [
        ("WAIT", "true"),
        ("KEYS", "a b"),
        ("TAGS", "t"),
        ("UNIQ_KEY", "X"),
    ] {
        a.insert(k.into(), v.into());
    }
    for (k, v) in [
        ("UNIQ_KEY", "X"),
        ("TAGS", "t"),
        ("WAIT", "true"),
        ("KEYS", "a b"),
    ] {
        b.insert(k.into(), v.into());
    }
    let s = properties::encode(&a);
    assert_eq!(s, properties::encode(&b));
    assert_eq!(
        s,
        "KEYS\u{1}a b\u{2}TAGS\u{1}t\u{2}UNIQ_KEY\u{1}X\u{2}WAIT\u{1}true\u{2}"
    );
    assert!(properties::check_len(&s).is_ok());

    let mut big = PropertyMap::new();
    big.insert("B".into(), "v".repeat(32_764)); // 1 + 1 + 32764 + 1 = 32767: fits exactly
    assert!(properties::check_len(&properties::encode(&big)).is_ok());
    big.insert("B".into(), "v".repeat(32_765));
    assert!(matches!(
        properties::check_len(&properties::encode(&big)),
        Err(MessageError::TooLong {
            len: 32_768,
            max: 32_767,
            ..
        })
    ));
    let mut appended = String::new();
    properties::append(&mut appended, properties::CLUSTER, "DefaultCluster");
    assert_eq!(appended, "CLUSTER\u{1}DefaultCluster\u{2}");
}

#[test]
fn property_names_match_the_spec() {
    assert_eq!(properties::TRANSACTION_ID, "__transactionId__");
    assert_eq!(properties::FIRST_POP_TIME, "1ST_POP_TIME");
    assert_eq!(properties::SHARDING_KEY, "__SHARDINGKEY");
    assert_eq!(properties::CRC32, "__CRC32#");
    assert_eq!(
        properties::TRANSIENT_TOPIC_SYS_FLAG,
        "__RMQ.TRANSIENT.TOPIC_SYS_FLAG"
    );
    assert!(properties::TRANSIENT_GROUP_SYS_FLAG.starts_with(properties::TRANSIENT_PREFIX));
}

// ---- batch (§11) ----

#[test]
fn batch_round_trip() {
    let mut m = PropertyMap::new();
    m.insert("UNIQ_KEY".into(), "0A0000010001000000020000000000FF".into());
    m.insert("KEYS".into(), "order-1".into());
    let items = vec![
        BatchItem::with_map(0, Bytes::from_static(b"first"), &m),
        BatchItem::new(1 << 30, vec![0u8; 5000], ""),
        BatchItem::new(-1, Bytes::new(), "TAGS\u{1}x\u{2}"),
    ];
    let body = encode_batch(&items).unwrap();
    assert_eq!(
        body.len(),
        items
            .iter()
            .map(|i| 22 + i.body.len() + i.properties.len())
            .sum::<usize>()
    );
    let decoded = decode_batch(&body).unwrap();
    assert_eq!(decoded, items);
    assert_eq!(decoded[0].properties_map(), m);
    assert_eq!(decode_batch_shared(&body).unwrap(), items);
    let views: Vec<_> = iter_batch(&body).map(Result::unwrap).collect();
    assert_eq!(views.len(), 3);
    assert_eq!(views[0].property("KEYS"), Some("order-1"));
    assert_eq!(views[2].flag, -1);
}

#[test]
fn batch_decode_errors() {
    let body = encode_batch(&[BatchItem::new(0, &b"abc"[..], "A\u{1}b\u{2}")]).unwrap();
    for cut in 1..body.len() {
        assert!(decode_batch(&body[..cut]).is_err(), "prefix of {cut} bytes");
    }
    let mut neg = body.to_vec();
    let props_len_at = 20 + 3;
    neg[props_len_at..props_len_at + 2].copy_from_slice(&(-1i16).to_be_bytes());
    assert!(matches!(
        decode_batch(&neg),
        Err(MessageError::NegativeLength { .. })
    ));
}

// ---- message ids (§13) ----

#[test]
fn offset_msg_id_known_values() {
    // From storage-format.md §3.4.
    assert_eq!(
        create_offset_msg_id(addr("192.168.0.20:10911"), 0),
        "C0A8001400002A9F0000000000000000"
    );
    // By hand: 0A000001 | port 10911 = 0x2A9F as i32 | offset 0x1234 as i64.
    assert_eq!(
        create_offset_msg_id(addr("10.0.0.1:10911"), 0x1234),
        "0A00000100002A9F0000000000001234"
    );
    // IPv6: 16 address bytes | port | offset → 56 hex digits.
    assert_eq!(
        create_offset_msg_id(addr("[2001:db8::1]:10911"), 1),
        "20010DB800000000000000000000000100002A9F0000000000000001"
    );
}

#[test]
fn offset_msg_id_round_trips_and_rejects_garbage() {
    for (a, off) in [
        ("127.0.0.1:1", 0i64),
        ("255.255.255.255:65535", i64::MAX),
        ("[::1]:10911", 123_456_789_012),
        ("[fe80::1:2:3:4]:0", -1),
    ] {
        let id = create_offset_msg_id(addr(a), off);
        assert_eq!(id.len(), if addr(a).is_ipv4() { 32 } else { 56 });
        assert_eq!(decode_offset_msg_id(&id).unwrap(), (addr(a), off));
        assert_eq!(
            decode_offset_msg_id(&id.to_lowercase()).unwrap(),
            (addr(a), off)
        );
    }
    assert!(decode_offset_msg_id("").is_err());
    assert!(decode_offset_msg_id("C0A8001400002A9F000000000000000").is_err());
    assert!(decode_offset_msg_id("C0A8001400002A9F000000000000000Z").is_err());
    // Port field 0x00010000 is out of range.
    assert!(decode_offset_msg_id("C0A80014000100000000000000000000").is_err());
    // Multi-byte characters with a 32-byte length must not panic.
    assert!(decode_offset_msg_id("ééééééééééééééé00").is_err());
}

#[test]
fn uniq_key_known_value() {
    let g =
        UniqKeyGenerator::with_parts(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 0x1234, 0x0BAD_CAFE);
    assert_eq!(g.prefix(), "0A00000112340BADCAFE");
    // 1700000000000 is 2023-11-14T22:13:20Z; the month began at 1698796800000, 1203200000 ms = 0x47B76000 earlier.
    assert_eq!(
        g.next_key_at(1_700_000_000_000),
        "0A00000112340BADCAFE47B760000000"
    );
    assert_eq!(
        g.next_key_at(1_700_000_000_000),
        "0A00000112340BADCAFE47B760000001"
    );
    let parts = decode_uniq_key("0A00000112340BADCAFE47B760000001").unwrap();
    assert_eq!(parts.ip, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
    assert_eq!(parts.pid, 0x1234);
    assert_eq!(parts.salt, 0x0BAD_CAFE);
    assert_eq!(parts.ms_in_month, 0x47B7_6000);
    assert_eq!(parts.counter, 1);
}

#[test]
fn uniq_keys_are_unique_upper_hex_and_ipv6_sized() {
    let g = UniqKeyGenerator::new(IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2)));
    let keys: Vec<String> = (0..1000).map(|_| g.next_key()).collect();
    let set: HashSet<_> = keys.iter().collect();
    assert_eq!(set.len(), keys.len());
    for k in &keys {
        assert_eq!(k.len(), 32);
        assert!(k
            .bytes()
            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c)));
        assert!(k.starts_with(g.prefix()));
        let p = decode_uniq_key(k).unwrap();
        assert_eq!(p.pid, std::process::id() as u16);
    }
    // The counter wraps after 65536 keys instead of overflowing.
    let w = UniqKeyGenerator::with_parts(IpAddr::V4(Ipv4Addr::LOCALHOST), 0, 0);
    let first = w.next_key_at(1_700_000_000_000);
    for _ in 0..65_535 {
        w.next_key_at(1_700_000_000_000);
    }
    assert_eq!(w.next_key_at(1_700_000_000_000), first);

    let g6 = UniqKeyGenerator::new("2001:db8::7".parse().unwrap());
    let k6 = g6.next_key();
    assert_eq!(k6.len(), 56);
    assert_eq!(
        decode_uniq_key(&k6).unwrap().ip,
        "2001:db8::7".parse::<IpAddr>().unwrap()
    );
    assert_eq!(next_uniq_key().len(), 32);
}

// ---- tags (§7.3 codeSet) ----

#[test]
fn java_hash_of_known_strings() {
    assert_eq!(java_string_hash("TagA"), 2_598_919);
    assert_eq!(java_string_hash(""), 0);
    assert_eq!(java_string_hash("hello"), 99_162_322);
    assert_eq!(java_string_hash("Hello World"), -862_545_276);
    // Non-ASCII: BMP characters are one UTF-16 unit, U+1F600 is a surrogate pair.
    assert_eq!(java_string_hash("é"), 233);
    assert_eq!(java_string_hash("日本"), 835_047);
    assert_eq!(java_string_hash("a\u{1F600}b"), 57_849_694);
    assert_eq!(tags_code(Some("TagA")), 2_598_919);
    assert_eq!(tags_code(Some("Hello World")), -862_545_276);
}

// ---- compression (§10.2) ----

#[test]
fn zlib_round_trip_and_bomb_guard() {
    let text = "the quick brown fox ".repeat(500);
    let z = compression::zlib_compress(text.as_bytes(), compression::DEFAULT_LEVEL).unwrap();
    assert!(z.len() < text.len() / 10);
    assert_eq!(
        compression::zlib_decompress(&z, MAX_DECOMPRESSED_LEN).unwrap(),
        text.as_bytes()
    );
    let bomb = compression::zlib_compress(&vec![0u8; 8 << 20], 9).unwrap();
    assert!(bomb.len() < 64 * 1024);
    assert_eq!(
        compression::zlib_decompress(&bomb, 1 << 20),
        Err(MessageError::DecompressedTooLarge { limit: 1 << 20 })
    );
}
