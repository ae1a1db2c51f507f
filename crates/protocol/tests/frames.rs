//! Frame and header behaviour through the public API: the spec's byte-exact examples, what real clients send,
//! every typed header through both serializations, and frame errors.

use bytes::{BufMut, BytesMut};
use ferrocket_protocol::codec::RemotingCodec;
use ferrocket_protocol::codes::{request_code, response_code, LanguageCode, SerializeType};
use ferrocket_protocol::command::{ExtFields, RemotingCommand};
use ferrocket_protocol::header::*;
use ferrocket_protocol::ProtocolError;
use tokio_util::codec::{Decoder, Encoder};

/// A frame: length word, header word, header, body.
fn frame(serialize_type: u8, header: &[u8], body: &[u8]) -> BytesMut {
    let mut b = BytesMut::new();
    b.put_i32((4 + header.len() + body.len()) as i32);
    b.put_u32(((serialize_type as u32) << 24) | header.len() as u32);
    b.put_slice(header);
    b.put_slice(body);
    b
}

fn decode_one(mut src: BytesMut) -> Result<RemotingCommand, ProtocolError> {
    let cmd = RemotingCodec::new()
        .decode(&mut src)?
        .expect("a whole frame");
    assert!(src.is_empty(), "the frame was consumed");
    Ok(cmd)
}

fn round_trip(cmd: &RemotingCommand) -> RemotingCommand {
    let mut buf = BytesMut::new();
    RemotingCodec::new().encode(cmd, &mut buf).unwrap();
    decode_one(buf).unwrap()
}

const HEARTBEAT_JSON: &str = r#"{"code":34,"extFields":{},"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":479}"#;

#[test]
fn spec_json_example_decodes_and_encodes_byte_exact() {
    let bytes = frame(0, HEARTBEAT_JSON.as_bytes(), b"{}");
    let cmd = decode_one(bytes.clone()).unwrap();
    assert_eq!(cmd.code, request_code::HEART_BEAT);
    assert_eq!(cmd.language, LanguageCode::Java);
    assert_eq!((cmd.opaque, cmd.flag, cmd.version), (7, 0, 479));
    assert_eq!(cmd.remark, None);
    assert!(cmd.ext_fields.is_empty());
    assert_eq!(cmd.serialize_type, SerializeType::Json);
    assert_eq!(&cmd.body[..], b"{}");
    assert!(!cmd.is_response() && !cmd.is_oneway());

    // Written back exactly as the Java client wrote it.
    let mut out = BytesMut::new();
    RemotingCodec::new().encode(&cmd, &mut out).unwrap();
    assert_eq!(out, bytes);
}

#[test]
fn spec_json_response_example() {
    let json = r#"{"code":0,"extFields":{"IS_SUPPORT_HEART_BEAT_V2":"true","IS_SUB_CHANGE":"false"},"flag":1,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":479}"#;
    let cmd = decode_one(frame(0, json.as_bytes(), b"")).unwrap();
    assert!(cmd.is_response());
    assert_eq!(cmd.code, response_code::SUCCESS);
    let h: HeartbeatResponseHeader = cmd.decode_header().unwrap();
    assert_eq!(h.is_support_heart_beat_v2, Some(true));
    assert_eq!(h.is_sub_change, Some(false));
    assert!(cmd.body.is_empty());
}

#[test]
fn hand_built_binary_frame() {
    let mut h = BytesMut::new();
    h.put_i16(request_code::QUERY_CONSUMER_OFFSET as i16);
    h.put_u8(9); // GO
    h.put_i16(401);
    h.put_i32(-5);
    h.put_i32(0);
    h.put_i32(0); // no remark
    let mut map = BytesMut::new();
    for (k, v) in [
        ("consumerGroup", "G"),
        ("topic", "T"),
        ("queueId", "3"),
        ("setZeroIfNotFound", "true"),
    ] {
        map.put_i16(k.len() as i16);
        map.put_slice(k.as_bytes());
        map.put_i32(v.len() as i32);
        map.put_slice(v.as_bytes());
    }
    h.put_i32(map.len() as i32);
    h.put_slice(&map);
    let cmd = decode_one(frame(1, &h, b"xyz")).unwrap();
    assert_eq!(cmd.serialize_type, SerializeType::RocketMq);
    assert_eq!(cmd.code, 14);
    assert_eq!(cmd.language, LanguageCode::Go);
    assert_eq!((cmd.version, cmd.opaque, cmd.flag), (401, -5, 0));
    assert_eq!(cmd.remark, None);
    assert_eq!(&cmd.body[..], b"xyz");
    let q: QueryConsumerOffsetRequestHeader = cmd.decode_header().unwrap();
    assert_eq!(q.consumer_group, "G");
    assert_eq!(q.queue_id, 3);
    assert_eq!(q.set_zero_if_not_found, Some(true));

    // The response goes back in the request's format with the same opaque.
    let resp = RemotingCommand::response_to(&cmd, response_code::SUCCESS, None)
        .with_header(&QueryConsumerOffsetResponseHeader { offset: 12 });
    let back = round_trip(&resp);
    assert_eq!(back.serialize_type, SerializeType::RocketMq);
    assert_eq!(back.opaque, -5);
    assert_eq!(
        back.decode_header::<QueryConsumerOffsetResponseHeader>()
            .unwrap()
            .offset,
        12
    );
}

#[test]
fn what_real_clients_send() {
    // No serializeTypeCurrentRPC, fields in another order, numbers and booleans as ext values, "0"/"1" booleans,
    // null remark, an unknown field.
    let json = r#"{"opaque":11,"flag":0,"remark":null,"version":317,"language":"CPP","unknown":{"x":[1,2]},"code":310,
        "extFields":{"a":"PG","b":"T","c":"TBW102","d":4,"e":-1,"f":0,"g":1700000000000,"h":0,"i":"TAGS\u0001a\u0002",
                     "j":0,"k":"1","l":16,"m":false}}"#;
    let cmd = decode_one(frame(0, json.as_bytes(), b"body")).unwrap();
    assert_eq!(cmd.code, request_code::SEND_MESSAGE_V2);
    assert_eq!(cmd.language, LanguageCode::Cpp);
    assert_eq!(cmd.ext("d"), Some("4"));
    assert_eq!(cmd.ext("m"), Some("false"));
    let h = SendMessageRequestHeader::from_command(&cmd).unwrap();
    assert_eq!(h.producer_group, "PG");
    assert_eq!(h.default_topic_queue_nums, 4);
    assert_eq!(h.queue_id, -1);
    assert_eq!(h.born_timestamp, 1_700_000_000_000);
    assert_eq!(h.properties.as_deref(), Some("TAGS\u{1}a\u{2}"));
    assert_eq!(h.unit_mode, Some(false), "\"1\" is not true for Java");
    assert_eq!(h.batch, Some(false));
    assert_eq!(h.max_reconsume_times, Some(16));
    assert_eq!(h.broker_name, None);
}

#[test]
fn null_and_missing_optional_parts() {
    for json in [
        r#"{"code":0,"flag":1,"opaque":1}"#,
        r#"{"code":0,"flag":1,"opaque":1,"extFields":null,"remark":null}"#,
        r#"{"extFields":{},"opaque":1,"flag":1,"code":0,"serializeTypeCurrentRPC":"ROCKETMQ"}"#,
    ] {
        let cmd = decode_one(frame(0, json.as_bytes(), b"")).unwrap();
        assert_eq!((cmd.code, cmd.flag, cmd.opaque), (0, 1, 1), "{json}");
        assert!(cmd.ext_fields.is_empty() && cmd.remark.is_none());
        // The header word, not serializeTypeCurrentRPC, says how it was written.
        assert_eq!(cmd.serialize_type, SerializeType::Json);
    }
}

#[test]
fn we_always_write_serialize_type_current_rpc() {
    let cmd = RemotingCommand::request_with_header(
        request_code::GET_ROUTEINFO_BY_TOPIC,
        &GetRouteInfoRequestHeader {
            topic: "T".into(),
            accept_standard_json_only: None,
        },
    );
    let mut buf = BytesMut::new();
    cmd.encode(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[8..]);
    assert!(
        text.contains(r#""serializeTypeCurrentRPC":"JSON""#),
        "{text}"
    );
    assert!(text.contains(r#""extFields":{"topic":"T"}"#), "{text}");
    assert!(!text.contains("remark"), "null remark omitted: {text}");
}

#[test]
fn commands_round_trip_with_body_in_both_serializations() {
    for st in [SerializeType::Json, SerializeType::RocketMq] {
        let mut req = RemotingCommand::new_request(request_code::END_TRANSACTION)
            .with_serialize_type(st)
            .with_remark("r \"é\" \\ \u{7}")
            .with_ext("producerGroup", "PG")
            .with_ext("commitLogOffset", "4096")
            .with_body(vec![0u8, 1, 2, 255]);
        req.mark_oneway();
        let back = round_trip(&req);
        assert_eq!(back, req, "{st:?}");
        assert!(back.is_oneway());
    }
}

#[test]
fn binary_quirk_empty_strings_vanish() {
    let cmd = RemotingCommand::new_response(response_code::SYSTEM_ERROR, Some(String::new()))
        .with_serialize_type(SerializeType::RocketMq)
        .with_ext("empty", "")
        .with_ext("full", "x");
    let back = round_trip(&cmd);
    assert_eq!(back.remark, None);
    assert_eq!(back.ext("empty"), None);
    assert_eq!(back.ext("full"), Some("x"));
    // JSON keeps them.
    let back = round_trip(&cmd.clone().with_serialize_type(SerializeType::Json));
    assert_eq!(back.remark.as_deref(), Some(""));
    assert_eq!(back.ext("empty"), Some(""));
}

/// Fills every ext key of `H` with `value`, reads `H` from that, then sends it through a command in both
/// serializations and checks the header read back is equal.
fn check_header<H: CommandHeader + PartialEq + std::fmt::Debug>(keys: &[&str], value: &str) {
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        assert!(seen.insert(*k), "duplicate ext key {k}");
    }
    let ext: ExtFields = keys
        .iter()
        .map(|k| (k.to_string(), value.to_string()))
        .collect();
    let header = H::read_ext(&ext).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        header.to_ext().len(),
        keys.len(),
        "every field was set and written"
    );
    for st in [SerializeType::Json, SerializeType::RocketMq] {
        let cmd = RemotingCommand::request_with_header(request_code::SEND_MESSAGE, &header)
            .with_serialize_type(st)
            .with_body(&b"payload"[..]);
        let back = round_trip(&cmd);
        assert_eq!(back.decode_header::<H>().unwrap(), header, "{st:?}");
        assert_eq!(&back.body[..], b"payload");
    }
    // Dropping any one key: required ones are reported by name, optional ones read as None.
    for k in keys {
        let mut partial = ext.clone();
        partial.remove(k);
        match H::read_ext(&partial) {
            Ok(h) => assert_ne!(h, header, "{k} was optional and is now None"),
            Err(ProtocolError::MissingField { field, .. }) => assert_eq!(field, *k),
            Err(e) => panic!("unexpected {e}"),
        }
    }
}

macro_rules! check_all_headers {
    ($($h:ty),* $(,)?) => {
        $( check_header::<$h>(<$h>::EXT_KEYS, "7"); )*
    };
}

#[test]
fn every_header_round_trips_in_both_serializations() {
    check_all_headers!(
        SendMessageRequestHeader,
        SendMessageRequestHeaderV2,
        SendMessageResponseHeader,
        ReplyMessageRequestHeader,
        PullMessageRequestHeader,
        PullMessageResponseHeader,
        QueryConsumerOffsetRequestHeader,
        QueryConsumerOffsetResponseHeader,
        UpdateConsumerOffsetRequestHeader,
        GetMaxOffsetRequestHeader,
        GetMaxOffsetResponseHeader,
        GetMinOffsetRequestHeader,
        GetMinOffsetResponseHeader,
        SearchOffsetRequestHeader,
        SearchOffsetResponseHeader,
        GetEarliestMsgStoretimeRequestHeader,
        GetEarliestMsgStoretimeResponseHeader,
        ViewMessageRequestHeader,
        QueryMessageRequestHeader,
        QueryMessageResponseHeader,
        ConsumerSendMsgBackRequestHeader,
        EndTransactionRequestHeader,
        CheckTransactionStateRequestHeader,
        HeartbeatResponseHeader,
        UnregisterClientRequestHeader,
        GetConsumerListByGroupRequestHeader,
        NotifyConsumerIdsChangedRequestHeader,
        ResetOffsetRequestHeader,
        GetConsumerRunningInfoRequestHeader,
        ConsumeMessageDirectlyResultRequestHeader,
        CreateTopicRequestHeader,
        DeleteTopicRequestHeader,
        DeleteSubscriptionGroupRequestHeader,
        GetAllTopicConfigRequestHeader,
        GetAllTopicConfigResponseHeader,
        GetAllSubscriptionGroupRequestHeader,
        GetAllSubscriptionGroupResponseHeader,
        GetTopicStatsInfoRequestHeader,
        GetConsumeStatsRequestHeader,
        GetConsumerConnectionListRequestHeader,
        GetBrokerConfigResponseHeader,
        RegisterBrokerRequestHeader,
        RegisterBrokerResponseHeader,
        UnregisterBrokerRequestHeader,
        GetRouteInfoRequestHeader,
        DeleteTopicFromNamesrvRequestHeader,
        QueryDataVersionRequestHeader,
        QueryDataVersionResponseHeader,
        WipeWritePermOfBrokerRequestHeader,
        WipeWritePermOfBrokerResponseHeader,
        AddWritePermOfBrokerRequestHeader,
        AddWritePermOfBrokerResponseHeader,
        PutKvConfigRequestHeader,
        GetKvConfigRequestHeader,
        GetKvConfigResponseHeader,
        DeleteKvConfigRequestHeader,
        GetKvListByNamespaceRequestHeader,
        GetTopicsByClusterRequestHeader,
        BrokerHeartbeatRequestHeader,
    );
}

#[test]
fn frame_errors_are_errors() {
    let mut codec = RemotingCodec::new();

    // Too long: rejected from the length word, before the body arrives.
    let mut src = BytesMut::new();
    src.put_i32(16 * 1024 * 1024 - 3);
    assert!(matches!(
        codec.decode(&mut src),
        Err(ProtocolError::FrameTooLarge { .. })
    ));
    // Exactly at the limit (length word included) is accepted once complete.
    let mut src = BytesMut::new();
    src.put_i32(16 * 1024 * 1024 - 4);
    assert!(codec.decode(&mut src).unwrap().is_none());

    // headerLen > length - 4.
    let mut src = BytesMut::new();
    src.put_i32(4 + 2);
    src.put_u32(3);
    src.put_slice(b"{}");
    assert!(matches!(
        codec.decode(&mut src),
        Err(ProtocolError::InvalidHeaderLength { .. })
    ));

    // Unknown serialize type.
    assert!(matches!(
        decode_one(frame(2, b"{}", b"")),
        Err(ProtocolError::UnknownSerializeType(2))
    ));

    // Broken headers.
    assert!(matches!(
        decode_one(frame(0, b"{\"code\":", b"")),
        Err(ProtocolError::BadJsonHeader(_))
    ));
    assert!(matches!(
        decode_one(frame(0, b"\xff\xfe", b"")),
        Err(ProtocolError::BadJsonHeader(_))
    ));
    assert!(matches!(
        decode_one(frame(1, &[0; 10], b"")),
        Err(ProtocolError::BadBinaryHeader(_))
    ));
    let mut overrun = vec![0u8; 21];
    overrun[13..17].copy_from_slice(&100i32.to_be_bytes());
    assert!(matches!(
        decode_one(frame(1, &overrun, b"")),
        Err(ProtocolError::BadBinaryHeader(_))
    ));

    // Length words too small to hold the header word.
    for len in [0i32, 3, -1] {
        let mut src = BytesMut::new();
        src.put_i32(len);
        assert!(matches!(
            codec.decode(&mut src),
            Err(ProtocolError::InvalidFrameLength(_))
        ));
    }
}

#[test]
fn missing_required_field_names_it() {
    let cmd = RemotingCommand::new_request(request_code::PULL_MESSAGE)
        .with_ext("consumerGroup", "G")
        .with_ext("topic", "T");
    let err = cmd.decode_header::<PullMessageRequestHeader>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "PullMessageRequestHeader: missing required field `queueId`"
    );
    let cmd = cmd.with_ext("queueId", "x");
    let err = cmd.decode_header::<PullMessageRequestHeader>().unwrap_err();
    assert!(
        matches!(
            err,
            ProtocolError::InvalidField {
                field: "queueId",
                ..
            }
        ),
        "{err}"
    );
}
