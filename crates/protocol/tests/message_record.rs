//! Message record codec: the storage-format.md §3.4 test vector and round trips (v1/v2 magic, IPv4/IPv6 hosts).

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use ferrocket_protocol::message::properties::{self, PropertyMap};
use ferrocket_protocol::message::record::{
    set_physical_offset, set_queue_offset, set_store_timestamp, store_host_pos, store_timestamp_pos,
};
use ferrocket_protocol::message::sysflag;
use ferrocket_protocol::message::{
    create_offset_msg_id, MessageError, MessageExt, RecordBuilder, RecordView, MAGIC_V1, MAGIC_V2,
};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// storage-format.md §3.4, verbatim.
const VECTOR_HEX: &str = "
0000007D DAA320A7 3610A686 00000000 00000000 0000000000000000 0000000000000000 00000000
0000018BCFE56800 C0A8000A 0000C350 0000018BCFE5687B C0A80014 00002A9F 00000000
0000000000000000 00000005 68656C6C6F 09 546F70696354657374
0014 54414753 01 54616741 02 57414954 01 74727565 02";

fn vector_builder<'a>(props: &'a str) -> RecordBuilder<'a> {
    RecordBuilder {
        topic: "TopicTest",
        queue_id: 0,
        flag: 0,
        sys_flag: 0,
        born_timestamp: 1_700_000_000_000,
        born_host: addr("192.168.0.10:50000"),
        store_timestamp: 1_700_000_000_123,
        store_host: addr("192.168.0.20:10911"),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body: b"hello",
        properties: props,
        reserve_record_crc: false,
    }
}

#[test]
fn spec_test_vector_encodes_byte_exact() {
    let mut m = PropertyMap::new();
    m.insert(properties::TAGS.into(), "TagA".into());
    m.insert(properties::WAIT.into(), "true".into());
    let props = properties::encode(&m);
    let b = vector_builder(&props);
    assert_eq!(b.encoded_len(), 125);
    let mut out = BytesMut::new();
    b.encode_into(&mut out).unwrap();
    assert_eq!(out.len(), 125);
    assert_eq!(&out[..], &unhex(VECTOR_HEX)[..]);
}

#[test]
fn spec_test_vector_decodes() {
    let bytes = unhex(VECTOR_HEX);
    let v = RecordView::parse(&bytes).unwrap();
    assert_eq!(v.total_size, 125);
    assert_eq!(v.magic, MAGIC_V1);
    assert_eq!(v.body_crc, 0x3610_A686);
    assert!(v.crc_ok());
    assert_eq!(v.queue_id, 0);
    assert_eq!(v.queue_offset, 0);
    assert_eq!(v.physical_offset, 0);
    assert_eq!(v.sys_flag, 0);
    assert_eq!(v.born_timestamp, 1_700_000_000_000);
    assert_eq!(v.born_host, addr("192.168.0.10:50000"));
    assert_eq!(v.store_timestamp, 1_700_000_000_123);
    assert_eq!(v.store_host, addr("192.168.0.20:10911"));
    assert_eq!(v.body, b"hello");
    assert_eq!(v.topic, "TopicTest");
    assert_eq!(v.tags(), Some("TagA"));
    assert_eq!(v.property("WAIT"), Some("true"));
    assert_eq!(v.tags_code(), 2_598_919);
    assert_eq!(v.offset_msg_id(), "C0A8001400002A9F0000000000000000");

    let m = MessageExt::decode(&Bytes::from(bytes.clone())).unwrap();
    assert_eq!(m.topic, "TopicTest");
    assert_eq!(&m.body[..], b"hello");
    assert_eq!(m.properties.len(), 2);
    assert_eq!(m.msg_id(), "C0A8001400002A9F0000000000000000");
    // Re-encoding the owned message reproduces the record.
    assert_eq!(&m.encode().unwrap()[..], &bytes[..]);
}

fn full_builder<'a>(
    topic: &'a str,
    body: &'a [u8],
    props: &'a str,
    born: &str,
    store: &str,
) -> RecordBuilder<'a> {
    RecordBuilder {
        topic,
        queue_id: 7,
        flag: -3,
        sys_flag: sysflag::TRANSACTION_PREPARED_TYPE | sysflag::MULTI_TAGS,
        born_timestamp: 1_700_000_000_000,
        born_host: addr(born),
        store_timestamp: 1_700_000_000_555,
        store_host: addr(store),
        reconsume_times: 16,
        prepared_transaction_offset: 123_456_789,
        body,
        properties: props,
        reserve_record_crc: false,
    }
}

#[test]
fn round_trips_v1_v2_ipv4_ipv6() {
    let long_topic = format!("%RETRY%{}", "g".repeat(200));
    let props =
        "KEYS\u{1}k1 k2\u{2}TAGS\u{1}TagB\u{2}UNIQ_KEY\u{1}0A000001000100000002000000000001\u{2}";
    let body: Vec<u8> = (0..=255u8).collect();
    let cases = [
        ("T1", "10.0.0.1:5000", "10.0.0.2:10911", MAGIC_V1, 0),
        (
            "T1",
            "[2001:db8::1]:5000",
            "10.0.0.2:10911",
            MAGIC_V1,
            sysflag::BORNHOST_V6,
        ),
        (
            "T1",
            "10.0.0.1:5000",
            "[fe80::2]:10911",
            MAGIC_V1,
            sysflag::STOREHOSTADDRESS_V6,
        ),
        (
            long_topic.as_str(),
            "[::1]:1",
            "[::2]:65535",
            MAGIC_V2,
            sysflag::BORNHOST_V6 | sysflag::STOREHOSTADDRESS_V6,
        ),
        (
            long_topic.as_str(),
            "1.2.3.4:0",
            "5.6.7.8:10911",
            MAGIC_V2,
            0,
        ),
        (
            &long_topic[..127],
            "1.2.3.4:0",
            "5.6.7.8:10911",
            MAGIC_V1,
            0,
        ),
        (
            &long_topic[..128],
            "1.2.3.4:0",
            "5.6.7.8:10911",
            MAGIC_V2,
            0,
        ),
    ];
    for (topic, born, store, magic, v6_bits) in cases {
        let b = full_builder(topic, &body, props, born, store);
        let mut rec = b.encode().unwrap();
        assert_eq!(rec.len(), b.encoded_len());
        set_queue_offset(&mut rec, 42);
        set_physical_offset(&mut rec, 1 << 40);
        set_store_timestamp(&mut rec, 1_700_000_000_777);

        let v = RecordView::parse(&rec).unwrap();
        assert_eq!(v.magic, magic, "{topic}");
        assert_eq!(v.is_v2(), magic == MAGIC_V2);
        assert_eq!(v.sys_flag, b.sys_flag | v6_bits);
        assert_eq!(v.topic, topic);
        assert_eq!(v.born_host, addr(born));
        assert_eq!(v.store_host, addr(store));
        assert_eq!(v.queue_id, 7);
        assert_eq!(v.flag, -3);
        assert_eq!(v.queue_offset, 42);
        assert_eq!(v.physical_offset, 1 << 40);
        assert_eq!(v.born_timestamp, 1_700_000_000_000);
        assert_eq!(v.store_timestamp, 1_700_000_000_777);
        assert_eq!(v.reconsume_times, 16);
        assert_eq!(v.prepared_transaction_offset, 123_456_789);
        assert_eq!(v.body, &body[..]);
        assert_eq!(v.properties, props);
        assert_eq!(v.keys().collect::<Vec<_>>(), vec!["k1", "k2"]);
        assert_eq!(v.uniq_key(), Some("0A000001000100000002000000000001"));
        assert!(v.crc_ok());
        // The position helpers agree with the layout.
        let ts = i64::from_be_bytes(
            rec[store_timestamp_pos(v.sys_flag)..][..8]
                .try_into()
                .unwrap(),
        );
        assert_eq!(ts, 1_700_000_000_777);
        let p = store_host_pos(v.sys_flag);
        let ip_len = if v6_bits & sysflag::STOREHOSTADDRESS_V6 != 0 {
            16
        } else {
            4
        };
        let port = i32::from_be_bytes(rec[p + ip_len..][..4].try_into().unwrap());
        assert_eq!(port, i32::from(addr(store).port()));
        assert_eq!(
            v.offset_msg_id(),
            create_offset_msg_id(addr(store), 1 << 40)
        );

        let m = MessageExt::decode(&rec.clone().freeze()).unwrap();
        assert_eq!(m.total_size as usize, rec.len());
        assert_eq!(m.topic, topic);
        assert_eq!(m.properties, properties::decode(props));
        assert_eq!(&m.encode().unwrap()[..], &rec[..]);
    }
}

#[test]
fn corrupted_body_fails_crc() {
    let b = full_builder("T", b"payload", "", "1.1.1.1:1", "2.2.2.2:2");
    let mut rec = b.encode().unwrap();
    let n = rec.len();
    rec[n - 2 - 1 - 1 - 1] ^= 0xFF; // last body byte: before topic length(1) + topic(1) + props length(2)
    let rec = &rec[..];
    let v = RecordView::parse(rec).unwrap();
    assert!(!v.crc_ok());
}

#[test]
fn decode_all_reads_back_to_back_records_sharing_the_buffer() {
    let mut buf = BytesMut::new();
    for (i, t) in ["A", "B", "C"].iter().enumerate() {
        let body = vec![i as u8; i * 10];
        let mut b = full_builder(t, &body, "", "1.1.1.1:1", "[::9]:2");
        b.queue_id = i as i32;
        b.encode_into(&mut buf).unwrap();
    }
    let buf = buf.freeze();
    let msgs = MessageExt::decode_all(buf.clone()).unwrap();
    assert_eq!(msgs.len(), 3);
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(m.queue_id, i as i32);
        assert_eq!(m.body.len(), i * 10);
        if !m.body.is_empty() {
            // Zero copy: the body points into the input buffer.
            let start = buf.as_ptr() as usize;
            let p = m.body.as_ptr() as usize;
            assert!(p >= start && p < start + buf.len());
        }
    }
    assert_eq!(RecordView::iter(&buf).count(), 3);

    // A trailing partial record is an error, not a silent drop.
    let mut bad = buf.to_vec();
    bad.extend_from_slice(&buf[..50]);
    assert!(matches!(
        MessageExt::decode_all(Bytes::from(bad)),
        Err(MessageError::Truncated { .. })
    ));
}

#[test]
fn duplicate_properties_last_wins_in_view_and_map() {
    let props = "TAGS\u{1}old\u{2}X\u{1}1\u{2}TAGS\u{1}new\u{2}";
    let rec = full_builder("T", b"", props, "1.1.1.1:1", "2.2.2.2:2")
        .encode()
        .unwrap();
    let v = RecordView::parse(&rec).unwrap();
    assert_eq!(v.tags(), Some("new"));
    let m = MessageExt::decode(&rec.freeze()).unwrap();
    assert_eq!(m.tags(), Some("new"));
    assert_eq!(m.properties.len(), 2);
}
