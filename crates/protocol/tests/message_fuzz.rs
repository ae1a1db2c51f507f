//! Property tests: decoders never panic on arbitrary bytes, and encode→decode is the identity.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::Bytes;
use ferrocket_protocol::message::properties::{self, PropertyMap};
use ferrocket_protocol::message::record::{set_physical_offset, set_queue_offset};
use ferrocket_protocol::message::sysflag;
use ferrocket_protocol::message::{
    create_offset_msg_id, decode_batch, decode_offset_msg_id, encode_batch, BatchItem, MessageExt,
    RecordBuilder, RecordView, MAGIC_V1, MAGIC_V2,
};
use proptest::prelude::*;

fn arb_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, p)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), p)),
        (any::<[u8; 16]>(), any::<u16>())
            .prop_map(|(ip, p)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), p)),
    ]
}

/// What the codec stores for an address: IPv4-mapped IPv6 becomes IPv4.
fn canonical(a: SocketAddr) -> SocketAddr {
    match a {
        SocketAddr::V6(v6) => match v6.ip().to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), a.port()),
            None => SocketAddr::new(IpAddr::V6(*v6.ip()), a.port()),
        },
        v4 => v4,
    }
}

/// Names and values that survive the §9 rules: non-empty, no separators.
fn arb_props() -> impl Strategy<Value = PropertyMap> {
    proptest::collection::btree_map("[A-Za-z_#.0-9é]{1,12}", "[^\u{1}\u{2}]{1,20}", 0..6)
}

/// A valid record with a few bytes overwritten and a random cut: reaches deep parser paths that random bytes
/// (almost never carrying a magic) do not.
fn mutated_record() -> impl Strategy<Value = Vec<u8>> {
    (
        "[a-z]{0,140}",
        proptest::collection::vec(any::<u8>(), 0..64),
        arb_props(),
        arb_addr(),
        arb_addr(),
        proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
        any::<prop::sample::Index>(),
        any::<bool>(),
    )
        .prop_map(|(topic, body, props, born, store, flips, cut, do_cut)| {
            let props = properties::encode(&props);
            let b = RecordBuilder {
                topic: &topic,
                body: &body,
                properties: &props,
                born_host: born,
                store_host: store,
                ..Default::default()
            };
            let mut rec = b.encode().unwrap().to_vec();
            for (i, v) in flips {
                let i = i.index(rec.len());
                rec[i] = v;
            }
            if do_cut {
                rec.truncate(cut.index(rec.len() + 1));
            }
            rec
        })
}

proptest! {
    #[test]
    fn record_parse_never_panics_on_random_bytes(buf in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = RecordView::parse(&buf);
        let _ = RecordView::iter(&buf).count();
    }

    #[test]
    fn record_parse_never_panics_with_a_valid_magic(
        total in any::<i32>(),
        v2 in any::<bool>(),
        rest in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut buf = total.to_be_bytes().to_vec();
        buf.extend_from_slice(&(if v2 { MAGIC_V2 } else { MAGIC_V1 }).to_be_bytes());
        buf.extend_from_slice(&rest);
        let _ = RecordView::parse(&buf);
        let _ = MessageExt::decode_all(Bytes::from(buf));
    }

    #[test]
    fn mutated_records_never_panic(rec in mutated_record()) {
        if let Ok(v) = RecordView::parse(&rec) {
            // Whatever parsed must be self-consistent.
            prop_assert_eq!(v.total_size as usize, v.bytes.len());
            let _ = (v.crc_ok(), v.tags(), v.keys().count(), v.record_crc_ok(), v.stored_record_crc());
        }
        let _ = MessageExt::decode_all_with(Bytes::from(rec), true);
    }

    #[test]
    fn decode_all_never_panics(buf in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = MessageExt::decode_all(Bytes::from(buf.clone()));
        let _ = MessageExt::decode_all_with(Bytes::from(buf), true);
    }

    #[test]
    fn decode_batch_never_panics(buf in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_batch(&buf);
    }

    #[test]
    fn msg_id_decode_never_panics(s in "\\PC{0,60}") {
        let _ = decode_offset_msg_id(&s);
        let _ = ferrocket_protocol::message::msg_id::decode_uniq_key(&s);
    }

    #[test]
    fn record_encode_decode_is_identity(
        topic in "\\PC{0,90}",
        queue_id in any::<i32>(),
        flag in any::<i32>(),
        sys_flag in any::<i32>(),
        born_timestamp in any::<i64>(),
        born in arb_addr(),
        store_timestamp in any::<i64>(),
        store in arb_addr(),
        reconsume_times in any::<i32>(),
        prepared in any::<i64>(),
        body in proptest::collection::vec(any::<u8>(), 0..256),
        props in arb_props(),
        queue_offset in any::<i64>(),
        physical_offset in any::<i64>(),
    ) {
        let props_str = properties::encode(&props);
        let b = RecordBuilder {
            topic: &topic,
            queue_id,
            flag,
            sys_flag,
            born_timestamp,
            born_host: born,
            store_timestamp,
            store_host: store,
            reconsume_times,
            prepared_transaction_offset: prepared,
            body: &body,
            properties: &props_str,
            reserve_record_crc: false,
        };
        let mut rec = b.encode().unwrap();
        prop_assert_eq!(rec.len(), b.encoded_len());
        set_queue_offset(&mut rec, queue_offset);
        set_physical_offset(&mut rec, physical_offset);
        let rec = rec.freeze();

        let (born, store) = (canonical(born), canonical(store));
        let mut expected_flag = sys_flag & !(sysflag::BORNHOST_V6 | sysflag::STOREHOSTADDRESS_V6);
        if born.is_ipv6() { expected_flag |= sysflag::BORNHOST_V6; }
        if store.is_ipv6() { expected_flag |= sysflag::STOREHOSTADDRESS_V6; }

        let m = MessageExt::decode(&rec).unwrap();
        prop_assert_eq!(m.total_size as usize, rec.len());
        prop_assert_eq!(m.magic, if topic.len() > 127 { MAGIC_V2 } else { MAGIC_V1 });
        prop_assert_eq!(m.queue_id, queue_id);
        prop_assert_eq!(m.flag, flag);
        prop_assert_eq!(m.queue_offset, queue_offset);
        prop_assert_eq!(m.physical_offset, physical_offset);
        prop_assert_eq!(m.sys_flag, expected_flag);
        prop_assert_eq!(m.born_timestamp, born_timestamp);
        prop_assert_eq!(m.born_host, born);
        prop_assert_eq!(m.store_timestamp, store_timestamp);
        prop_assert_eq!(m.store_host, store);
        prop_assert_eq!(m.reconsume_times, reconsume_times);
        prop_assert_eq!(m.prepared_transaction_offset, prepared);
        prop_assert_eq!(&m.body[..], &body[..]);
        prop_assert_eq!(&m.topic, &topic);
        prop_assert_eq!(&m.properties, &props);
        prop_assert_eq!(m.body_crc, crc32fast::hash(&body) & 0x7FFF_FFFF);

        let v = RecordView::parse(&rec).unwrap();
        prop_assert!(v.crc_ok());
        prop_assert_eq!(v.properties, props_str.as_str());
        prop_assert_eq!(MessageExt::from_view(&v), m.clone());
        // Owned re-encode reproduces the bytes.
        prop_assert_eq!(&m.encode().unwrap()[..], &rec[..]);
        // And the offset id decodes to the store host and offset.
        prop_assert_eq!(decode_offset_msg_id(&v.offset_msg_id()).unwrap(), (store, physical_offset));
        prop_assert_eq!(create_offset_msg_id(store, physical_offset), v.offset_msg_id());
    }

    #[test]
    fn batch_encode_decode_is_identity(
        items in proptest::collection::vec(
            (any::<i32>(), proptest::collection::vec(any::<u8>(), 0..64), arb_props()),
            0..6,
        )
    ) {
        let items: Vec<BatchItem> = items
            .into_iter()
            .map(|(flag, body, props)| BatchItem::with_map(flag, body, &props))
            .collect();
        let body = encode_batch(&items).unwrap();
        prop_assert_eq!(decode_batch(&body).unwrap(), items);
    }

    #[test]
    fn properties_encode_decode_is_identity(props in arb_props()) {
        let s = properties::encode(&props);
        prop_assert_eq!(properties::decode(&s), props.clone());
        for (k, v) in &props {
            prop_assert_eq!(properties::get(&s, k), Some(v.as_str()));
        }
    }

    #[test]
    fn properties_get_agrees_with_the_decode_rule(
        s in "[AB\u{1}\u{2}xé]{0,80}",
        name in prop_oneof![Just("A".to_string()), Just("AB".to_string()), Just("x".to_string()), "[AB\u{1}]{0,3}"],
    ) {
        let expected = properties::iter(&s).filter(|(n, _)| *n == name).last().map(|(_, v)| v);
        prop_assert_eq!(properties::get(&s, &name), expected);
        let map = properties::decode(&s);
        prop_assert_eq!(map.get(&name).map(String::as_str), expected);
    }
}
