//! `ferrocket standalone` over TCP: SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE, then PULL_MESSAGE back
//! byte for byte; pull statuses and tag filtering; send validation codes; auto-created topics reaching the route.

mod support;

use bytes::Bytes;
use ferrocket_protocol::codes::response_code as code;
use ferrocket_protocol::message::properties::{CLUSTER, KEYS, TAGS, UNIQ_KEY};
use ferrocket_protocol::message::{create_offset_msg_id, BatchItem};
use support::broker_client::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_three_ways_and_pull_back_byte_exact() {
    let broker = support::spawn_standalone(&[]);
    let conn = client(&broker.addr).await;
    let store_host: std::net::SocketAddr = broker.addr.parse().unwrap();

    // V1 without UNIQ_KEY: the broker makes one.
    let v1 = send_ok(
        &conn,
        send_v1_request(
            "TopicA",
            0,
            &props(&[(TAGS, "TagA"), (KEYS, "k1 k2")]),
            b"hello v1",
        ),
    )
    .await;
    assert_eq!((v1.queue_id, v1.queue_offset), (0, 0));
    assert_eq!(v1.msg_id.len(), 32);
    let v1_uniq = v1.transaction_id.clone().expect("generated UNIQ_KEY");
    assert_eq!(v1_uniq.len(), 32);
    assert_eq!(v1.msg_region.as_deref(), Some("DefaultRegion"));
    assert_eq!(v1.trace_on.as_deref(), Some("true"));

    // V2 with its own UNIQ_KEY, kept as sent.
    let v2 = send_ok(
        &conn,
        send_v2_request(
            "TopicA",
            0,
            &props(&[
                (TAGS, "TagB"),
                (UNIQ_KEY, "AABBCCDDEEFF00112233445566778899"),
            ]),
            &[0u8, 1, 2, 255],
        ),
    )
    .await;
    assert_eq!(v2.queue_offset, 1);
    assert_eq!(
        v2.transaction_id.as_deref(),
        Some("AABBCCDDEEFF00112233445566778899")
    );

    // A batch of three: each its own record with its own id; batch properties are not copied into them.
    let items = vec![
        BatchItem::new(1, Bytes::from_static(b"b0"), props(&[(TAGS, "TagA")])),
        BatchItem::new(2, Bytes::from_static(b"b1"), props(&[(TAGS, "TagC")])),
        BatchItem::new(3, Bytes::from(vec![9u8; 3000]), props(&[(KEYS, "kb")])),
    ];
    let batch = send_ok(
        &conn,
        send_batch_request("TopicA", 0, &props(&[("BATCHPROP", "x")]), &items),
    )
    .await;
    assert_eq!(batch.queue_offset, 2);
    let batch_ids: Vec<&str> = batch.msg_id.split(',').collect();
    assert_eq!(batch_ids.len(), 3);

    wait_dispatched(&conn, "TopicA", 0, 5).await;
    let got = pull(&conn, &Pull::new("TopicA", 0, 0)).await;
    assert_eq!(got.code, code::SUCCESS, "{:?}", got.remark);
    assert_eq!(got.remark.as_deref(), Some("FOUND"));
    let h = got.header.unwrap();
    assert_eq!((h.next_begin_offset, h.min_offset, h.max_offset), (5, 0, 5));
    assert_eq!(h.suggest_which_broker_id, 0);
    let m = &got.messages;
    assert_eq!(m.len(), 5);
    let bodies: Vec<&[u8]> = m.iter().map(|x| &x.body[..]).collect();
    assert_eq!(
        bodies[..4],
        [&b"hello v1"[..], &[0, 1, 2, 255], b"b0", b"b1"]
    );
    assert_eq!(bodies[4], &[9u8; 3000][..]);
    for (i, msg) in m.iter().enumerate() {
        assert_eq!(msg.topic, "TopicA");
        assert_eq!(msg.queue_id, 0);
        assert_eq!(msg.queue_offset, i as i64);
        assert_eq!(msg.store_host, store_host);
        assert_eq!(msg.born_host, conn.local_addr());
        assert_eq!(msg.born_timestamp, 1_700_000_000_000);
        assert_eq!(msg.property(CLUSTER), Some("DefaultCluster"));
        assert!(msg.property("BATCHPROP").is_none());
        assert_eq!(
            create_offset_msg_id(store_host, msg.physical_offset),
            msg.offset_msg_id()
        );
    }
    assert_eq!(m[0].flag, 7);
    assert_eq!(m[0].tags(), Some("TagA"));
    assert_eq!(m[0].keys().collect::<Vec<_>>(), ["k1", "k2"]);
    assert_eq!(m[0].uniq_key(), Some(v1_uniq.as_str()));
    assert_eq!(m[0].offset_msg_id(), v1.msg_id);
    assert_eq!(m[1].tags(), Some("TagB"));
    assert_eq!(m[1].offset_msg_id(), v2.msg_id);
    assert_eq!((m[2].flag, m[3].flag, m[4].flag), (1, 2, 3));
    assert_eq!(m[4].keys().collect::<Vec<_>>(), ["kb"]);
    let uniq: std::collections::BTreeSet<_> = m.iter().map(|x| x.uniq_key().unwrap()).collect();
    assert_eq!(uniq.len(), 5, "every message has its own UNIQ_KEY");
    for (id, msg) in batch_ids.iter().zip(&m[2..]) {
        assert_eq!(*id, msg.offset_msg_id());
    }

    // Limits: maxMsgNums.
    let mut p = Pull::new("TopicA", 0, 1);
    p.max = 2;
    let two = pull(&conn, &p).await;
    assert_eq!(two.messages.len(), 2);
    assert_eq!(two.header.unwrap().next_begin_offset, 3);
    assert_eq!(two.messages[0].queue_offset, 1);

    // Tag filtering by hash code (the server filters, tags split on ||).
    let mut p = Pull::new("TopicA", 0, 0);
    p.subscription = Some("TagB || TagC".into());
    let tagged = pull(&conn, &p).await;
    assert_eq!(tagged.code, code::SUCCESS);
    let tags: Vec<_> = tagged.messages.iter().map(|x| x.tags().unwrap()).collect();
    assert_eq!(tags, ["TagB", "TagC"]);
    p.subscription = Some("Nothing".into());
    let none = pull(&conn, &p).await;
    assert_eq!(none.code, code::PULL_RETRY_IMMEDIATELY);
    assert_eq!(none.header.unwrap().next_begin_offset, 5);
    assert!(none.messages.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_statuses_and_errors() {
    let broker = support::spawn_standalone(&[]);
    let conn = client(&broker.addr).await;
    for _ in 0..3 {
        send_ok(&conn, send_v2_request("TopicP", 1, "", b"x")).await;
    }
    wait_dispatched(&conn, "TopicP", 1, 3).await;
    let status = |p: Pull| {
        let conn = conn.clone();
        async move {
            let r = pull(&conn, &p).await;
            (r.code, r.remark, r.header.map(|h| h.next_begin_offset))
        }
    };
    // At the end of the queue: nothing yet.
    let (c, remark, next) = status(Pull::new("TopicP", 1, 3)).await;
    assert_eq!((c, next), (code::PULL_NOT_FOUND, Some(3)));
    assert_eq!(remark.as_deref(), Some("OFFSET_OVERFLOW_ONE"));
    // Past the end: moved back to the max offset.
    let (c, remark, next) = status(Pull::new("TopicP", 1, 99)).await;
    assert_eq!((c, next), (code::PULL_OFFSET_MOVED, Some(3)));
    assert_eq!(remark.as_deref(), Some("OFFSET_OVERFLOW_BADLY"));
    // An empty queue of a known topic: offset 0 is "not found", any other offset has moved.
    let (c, _, next) = status(Pull::new("TopicP", 0, 0)).await;
    assert_eq!((c, next), (code::PULL_NOT_FOUND, Some(0)));
    let (c, _, next) = status(Pull::new("TopicP", 0, 5)).await;
    assert_eq!((c, next), (code::PULL_OFFSET_MOVED, Some(0)));

    let (c, remark, _) = status(Pull::new("NoSuchTopic", 0, 0)).await;
    assert_eq!(c, code::TOPIC_NOT_EXIST, "{remark:?}");
    let (c, remark, _) = status(Pull::new("TopicP", 4, 0)).await;
    assert_eq!(c, code::INVALID_PARAMETER, "{remark:?}");
    assert!(remark.unwrap().contains("queueId[4] is illegal"));
    // Without the subscription bit the broker needs a heartbeat-registered subscription.
    let mut p = Pull::new("TopicP", 1, 0);
    p.subscription = None;
    let (c, _, _) = status(p).await;
    assert_eq!(c, code::SUBSCRIPTION_NOT_EXIST);
    // SQL92 needs enablePropertyFilter.
    let mut req = Pull::new("TopicP", 1, 0).request();
    req.set_ext("expressionType", "SQL92");
    let resp = invoke(&conn, req).await;
    assert_eq!(resp.code, code::SYSTEM_ERROR);
    assert!(resp.remark.unwrap().contains("SQL92"));
    // A header missing required fields names the field.
    let mut req = Pull::new("TopicP", 1, 0).request();
    req.ext_fields.remove("queueOffset");
    let resp = invoke(&conn, req).await;
    assert_eq!(resp.code, code::INVALID_PARAMETER);
    assert!(resp.remark.unwrap().contains("queueOffset"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_validation_codes() {
    let broker = support::spawn_standalone(&["--set", "maxMessageSize=1024"]);
    let conn = client(&broker.addr).await;
    let code_of = |req| {
        let conn = conn.clone();
        async move {
            let r = invoke(&conn, req).await;
            (r.code, r.remark.unwrap_or_default())
        }
    };
    let (c, r) = code_of(send_v2_request("TopicV", 0, "", &[0u8; 1025])).await;
    assert_eq!(c, code::MESSAGE_ILLEGAL, "{r}");
    let big_props = props(&[("P", &"v".repeat(40_000))]);
    let (c, r) = code_of(send_v2_request("TopicV", 0, &big_props, b"x")).await;
    assert_eq!(c, code::MESSAGE_ILLEGAL, "{r}");
    let (c, r) = code_of(send_v2_request("bad topic", 0, "", b"x")).await;
    assert_eq!(c, code::INVALID_PARAMETER, "{r}");
    let (c, r) = code_of(send_v2_request(&"t".repeat(128), 0, "", b"x")).await;
    assert_eq!(c, code::INVALID_PARAMETER, "{r}");
    let (c, r) = code_of(send_v2_request("SCHEDULE_TOPIC_XXXX", 0, "", b"x")).await;
    assert_eq!(c, code::NO_PERMISSION, "{r}");
    // Auto-created with 4 queues (the header's defaultTopicQueueNums).
    send_ok(&conn, send_v2_request("TopicV", 3, "", b"x")).await;
    let (c, r) = code_of(send_v2_request("TopicV", 4, "", b"x")).await;
    assert_eq!(c, code::INVALID_PARAMETER, "{r}");
    // queueId < 0: the broker picks a writable queue.
    let h = send_ok(&conn, send_v2_request("TopicV", -1, "", b"x")).await;
    assert!((0..4).contains(&h.queue_id));
    // A missing required header field is named.
    let mut req = send_v2_request("TopicV", 0, "", b"x");
    req.ext_fields.remove("b");
    let (c, r) = code_of(req).await;
    assert_eq!(c, code::INVALID_PARAMETER);
    assert!(r.contains("`b`"), "{r}");
    // Batch to a retry topic is refused; an undecodable batch body is illegal.
    let (c, r) = code_of(send_batch_request(
        "%RETRY%G",
        0,
        "",
        &[BatchItem::new(0, Bytes::from_static(b"x"), "")],
    ))
    .await;
    assert_eq!(c, code::MESSAGE_ILLEGAL, "{r}");
    let mut req = send_batch_request(
        "TopicV",
        0,
        "",
        &[BatchItem::new(0, Bytes::from_static(b"x"), "")],
    );
    req.body = Bytes::from_static(&[0, 0, 0, 99, 1]);
    let (c, r) = code_of(req).await;
    assert_eq!(c, code::MESSAGE_ILLEGAL, "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_created_topic_reaches_the_route() {
    let broker = support::spawn_standalone(&[]);
    let ns = client(&broker.namesrv_addr()).await;
    assert!(route(&ns, "TopicR").await.is_none());
    let conn = client(&broker.addr).await;
    send_ok(&conn, send_v1_request("TopicR", 0, "", b"x")).await;
    let r = wait_for_route(&ns, "TopicR").await;
    assert_eq!(r.queue_datas.len(), 1);
    let q = &r.queue_datas[0];
    assert_eq!(q.broker_name, "broker-a");
    assert_eq!((q.read_queue_nums, q.write_queue_nums, q.perm), (4, 4, 6));
    assert_eq!(r.broker_datas[0].broker_addrs.get(&0), Some(&broker.addr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_auto_create_means_topic_not_exist() {
    let broker = support::spawn_standalone(&["--set", "autoCreateTopicEnable=false"]);
    let conn = client(&broker.addr).await;
    let resp = invoke(&conn, send_v2_request("TopicN", 0, "", b"x")).await;
    assert_eq!(resp.code, code::TOPIC_NOT_EXIST, "{:?}", resp.remark);
}
