//! QUERY_MESSAGE (by key and by unique key) and VIEW_MESSAGE_BY_ID over real TCP.

mod mgmt_common;

use bytes::Bytes;
use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{QueryMessageRequestHeader, ViewMessageRequestHeader};
use ferrocket_protocol::message::MessageExt;
use mgmt_common::{props, put, Client};

fn query(topic: &str, key: &str, unique: bool) -> RemotingCommand {
    RemotingCommand::request_with_header(
        rc::QUERY_MESSAGE,
        &QueryMessageRequestHeader {
            topic: topic.into(),
            key: key.into(),
            max_num: 32,
            begin_timestamp: 0,
            end_timestamp: i64::MAX,
            unique_key_query: unique.then_some(true),
            broker_name: None,
        },
    )
}

#[tokio::test]
async fn query_by_key_unique_key_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    let server = mgmt_common::start(dir.path()).await;
    let c = Client::connect(server.local_addr()).await;
    server
        .context()
        .topics
        .upsert(ferrocket_protocol::body::TopicConfig::new("QT"));

    let uniq = "0A0000010001000000000000000000AA";
    let off1 = put(
        &server,
        "QT",
        0,
        b"one",
        &props(&[("KEYS", "order-1 shared"), ("UNIQ_KEY", uniq)]),
    )
    .await;
    put(
        &server,
        "QT",
        1,
        b"two",
        &props(&[("KEYS", "order-2 shared")]),
    )
    .await;
    put(
        &server,
        "Elsewhere",
        0,
        b"three",
        &props(&[("KEYS", "order-1")]),
    )
    .await;

    // By key: only the topic's records.
    let r = c.call(query("QT", "order-1", false)).await;
    assert_eq!(r.code, response_code::SUCCESS, "{:?}", r.remark);
    assert!(
        r.ext("indexLastUpdateTimestamp")
            .unwrap()
            .parse::<i64>()
            .unwrap()
            > 0
    );
    assert!(r.ext("indexLastUpdatePhyoffset").is_some());
    let msgs = MessageExt::decode_all(r.body.clone()).unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(&msgs[0].body[..], b"one");

    let r = c.call(query("QT", "shared", false)).await;
    let msgs = MessageExt::decode_all(r.body.clone()).unwrap();
    assert_eq!(msgs.len(), 2);

    // By unique key.
    let r = c.call(query("QT", uniq, true)).await;
    assert_eq!(r.code, response_code::SUCCESS);
    let msgs = MessageExt::decode_all(r.body.clone()).unwrap();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].uniq_key(), Some(uniq));

    // Nothing: QUERY_NOT_FOUND, still with the index header.
    let r = c.call(query("QT", "nope", false)).await;
    assert_eq!(r.code, response_code::QUERY_NOT_FOUND);
    assert!(r.ext("indexLastUpdatePhyoffset").is_some());

    // View by commit-log offset: the stored record, byte for byte.
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::VIEW_MESSAGE_BY_ID,
            &ViewMessageRequestHeader {
                offset: off1,
                topic: Some("QT".into()),
            },
        ))
        .await;
    assert_eq!(r.code, response_code::SUCCESS);
    let stored: Bytes = server.context().store.message_by_phys_offset(off1).unwrap();
    assert_eq!(r.body, stored);
    let r = c
        .call(RemotingCommand::request_with_header(
            rc::VIEW_MESSAGE_BY_ID,
            &ViewMessageRequestHeader {
                offset: off1 + 1,
                topic: None,
            },
        ))
        .await;
    assert_eq!(r.code, response_code::SYSTEM_ERROR);
    server.shutdown().await;
}
