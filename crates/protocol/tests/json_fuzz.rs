//! Properties of the fastjson reader and writer: the reader never panics, and writer → reader is the identity.

use std::collections::BTreeMap;

use ferrocket_protocol::body::{
    HeartbeatData, MessageQueue, RegisterBrokerBody, ResetOffsetBody, TopicRouteData,
};
use ferrocket_protocol::json::{self, canonical_string, KeyStyle};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// A JSON value with integers that survive BrowserCompatible output unchanged (|n| ≤ 2^53) when `safe_ints`.
/// Object members are never null: like fastjson, the writer omits null map values.
fn arb_value(safe_ints: bool) -> impl Strategy<Value = Value> {
    let int = if safe_ints {
        (-(1i64 << 53)..=(1i64 << 53)).boxed()
    } else {
        any::<i64>().boxed()
    };
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        int.prop_map(|i| Value::Number(i.into())),
        any::<f64>()
            .prop_filter_map("finite", Number::from_f64)
            .prop_map(Value::Number),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                any::<String>(),
                inner.prop_filter("null member", |v| !v.is_null()),
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn arb_mq() -> impl Strategy<Value = MessageQueue> {
    ("[A-Za-z0-9%_|-]{0,12}", "\\PC{0,8}", any::<i32>())
        .prop_map(|(t, b, q)| MessageQueue::new(t, b, q))
}

const SEEDS: [&str; 3] = [
    r#"{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"b"}],"queueDatas":[]}"#,
    r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:120}}"#,
    r#"{"clientID":"c","consumerDataSet":[{"consumeType":1,"subscriptionDataSet":[{"subVersion":"5"}]}]}"#,
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn reader_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = json::parse(&bytes);
        let _ = HeartbeatData::decode(&bytes);
        let _ = RegisterBrokerBody::decode(&bytes, true);
    }

    #[test]
    fn reader_never_panics_on_mutated_json(
        seed in 0..SEEDS.len(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut bytes = SEEDS[seed].as_bytes().to_vec();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 => bytes.insert(i, byte),
                1 if i < bytes.len() => { bytes.remove(i); }
                _ if i < bytes.len() => bytes[i] = byte,
                _ => {}
            }
        }
        let _ = json::parse(&bytes);
        let _ = TopicRouteData::decode(&bytes);
        let _ = ResetOffsetBody::decode(&bytes);
        let _ = HeartbeatData::decode(&bytes);
    }

    #[test]
    fn writer_then_reader_is_identity_bare(v in arb_value(false)) {
        let bytes = json::to_vec(&v, KeyStyle::Bare).unwrap();
        prop_assert_eq!(json::parse(&bytes).unwrap(), v);
    }

    #[test]
    fn writer_then_reader_is_identity_quoted(v in arb_value(true)) {
        let bytes = json::to_vec(&v, KeyStyle::Quoted).unwrap();
        prop_assert!(bytes.is_ascii());
        // Quoted output is standard JSON: a strict parser accepts it. (Its values are not compared: serde_json's
        // default float parsing is not correctly rounded in the last digit.)
        prop_assert!(serde_json::from_slice::<Value>(&bytes).is_ok());
        prop_assert_eq!(json::parse(&bytes).unwrap(), v);
    }

    #[test]
    fn bare_object_keys_read_as_their_canonical_text(k in arb_value(false), v in arb_value(false)) {
        let key_text = canonical_string(&k);
        let doc = format!("{{{}:{}}}", key_text, json::to_string(&v, KeyStyle::Bare).unwrap());
        if matches!(k, Value::Object(_) | Value::Array(_)) {
            let parsed = json::parse(doc.as_bytes()).unwrap();
            let (key, value) = parsed.as_object().unwrap().iter().next().unwrap();
            prop_assert_eq!(key, &key_text);
            prop_assert_eq!(value, &v);
            prop_assert_eq!(canonical_string(&json::parse(key.as_bytes()).unwrap()), key_text);
        }
    }

    #[test]
    fn typed_maps_round_trip_in_both_styles(
        by_mq in prop::collection::btree_map(arb_mq(), any::<i64>(), 0..8),
        by_id in prop::collection::btree_map(any::<i64>(), any::<String>(), 0..8),
        by_name in prop::collection::btree_map("-?[0-9]{1,3}|\\PC{0,6}", any::<i64>(), 0..8),
    ) {
        for style in [KeyStyle::Bare, KeyStyle::Quoted] {
            let bytes = json::to_vec(&by_mq, style).unwrap();
            prop_assert_eq!(json::from_slice::<BTreeMap<MessageQueue, i64>>(&bytes).unwrap(), by_mq.clone());
            let bytes = json::to_vec(&by_id, style).unwrap();
            prop_assert_eq!(json::from_slice::<BTreeMap<i64, String>>(&bytes).unwrap(), by_id.clone());
            let bytes = json::to_vec(&by_name, style).unwrap();
            // String keys are quoted in both styles, even when they look like numbers.
            let strict: BTreeMap<String, Value> = serde_json::from_slice(&bytes).unwrap();
            prop_assert_eq!(strict.len(), by_name.len());
            prop_assert_eq!(json::from_slice::<BTreeMap<String, i64>>(&bytes).unwrap(), by_name.clone());
        }
    }
}
