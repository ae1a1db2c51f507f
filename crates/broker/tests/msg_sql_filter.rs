//! SQL92 property filtering over TCP (shared/spec/sql92-filter.md, remoting-protocol.md §7.2, §16.1): pulls with a
//! SQL92 subscription (in the request or from the heartbeat) get exactly the matching messages, an all-filtered
//! batch asks for an immediate retry from the next offset, bad expressions are code 23, and the broker refuses
//! SQL92 while `enablePropertyFilter` is off.

mod msg_support;

use ferrocket_protocol::body::{CheckClientRequestBody, SubscriptionData};
use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::{PullMessageRequestHeader, PullMessageResponseHeader};
use msg_support::{config, pull_header, send_header, start_with, Client};

const TOPIC: &str = "SqlT";
const APACHE_EXAMPLE: &str =
    "(TAGS is not null and TAGS in ('TagA', 'TagB')) and (a is not null and a between 0 and 3)";

fn sql_pull(group: &str, offset: i64, expression: &str) -> PullMessageRequestHeader {
    PullMessageRequestHeader {
        subscription: Some(expression.into()),
        expression_type: Some("SQL92".into()),
        sub_version: 1,
        ..pull_header(group, TOPIC, 0, offset)
    }
}

fn sql_sub(expression: &str, version: i64) -> SubscriptionData {
    SubscriptionData {
        topic: TOPIC.into(),
        sub_string: expression.into(),
        expression_type: "SQL92".into(),
        sub_version: version,
        ..SubscriptionData::default()
    }
}

/// Apache's example producer: tags TagA, TagB, TagC in turn, property a = i.
async fn send_example(c: &Client) {
    c.create_topic(TOPIC, 1).await;
    let tags = ["TagA", "TagB", "TagC"];
    for i in 0..10 {
        let a = i.to_string();
        c.send(TOPIC, 0, a.as_bytes(), &[("TAGS", tags[i % 3]), ("a", &a)])
            .await;
    }
    let readable = c
        .wait_messages(
            "TOOLS_CONSUMER",
            TOPIC,
            0,
            10,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(readable.len(), 10);
}

fn bodies(msgs: &[ferrocket_protocol::message::MessageExt]) -> Vec<String> {
    msgs.iter()
        .map(|m| String::from_utf8_lossy(&m.body).into_owned())
        .collect()
}

async fn check_client(c: &Client, sub: Option<SubscriptionData>) -> RemotingCommand {
    let body = CheckClientRequestBody {
        client_id: "cid".into(),
        group: "G".into(),
        namespace: None,
        subscription_data: sub,
    };
    c.call(RemotingCommand::new_request(request_code::CHECK_CLIENT_CONFIG).with_body(body.encode()))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql92_selects_exactly_the_matching_messages() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.enable_property_filter = true;
    let server = start_with(cfg).await;
    let c = Client::connect(server.local_addr()).await;
    send_example(&c).await;

    let (resp, msgs) = c.pull(&sql_pull("SqlG", 0, APACHE_EXAMPLE)).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    // i = 0 (TagA), 1 (TagB), 3 (TagA); 2 is TagC; from 4 on `a` is out of range.
    assert_eq!(bodies(&msgs), ["0", "1", "3"]);
    let h: PullMessageResponseHeader = resp.decode_header().unwrap();
    assert_eq!(h.next_begin_offset, 10, "filtered messages are consumed");

    // Nothing matches from offset 4: retry at once from the next offset.
    let (resp, _) = c.pull(&sql_pull("SqlG", 4, APACHE_EXAMPLE)).await;
    assert_eq!(resp.code, response_code::PULL_RETRY_IMMEDIATELY);
    let h: PullMessageResponseHeader = resp.decode_header().unwrap();
    assert_eq!(h.next_begin_offset, 10);

    // A subscription registered by heartbeat (no SUBSCRIPTION bit in the pull), replaced by a newer version.
    c.heartbeat("cid", Some(("HbG", vec![sql_sub("a >= 8", 5)])), None)
        .await;
    let mut h = sql_pull("HbG", 0, "");
    h.sys_flag = 0;
    h.subscription = None;
    h.sub_version = 5;
    let (resp, msgs) = c.pull(&h).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    assert_eq!(bodies(&msgs), ["8", "9"]);
    c.heartbeat("cid", Some(("HbG", vec![sql_sub("a < 2", 6)])), None)
        .await;
    h.sub_version = 6;
    let (_, msgs) = c.pull(&h).await;
    assert_eq!(bodies(&msgs), ["0", "1"]);

    // Bad expressions: 23 with the parser's message, and the broker keeps serving.
    let (resp, _) = c.pull(&sql_pull("SqlG", 0, "a between")).await;
    assert_eq!(resp.code, response_code::SUBSCRIPTION_PARSE_FAILED);
    assert!(resp.remark.unwrap().contains("SQL92 parse error"));
    let mut other = sql_pull("SqlG", 0, "a > 1");
    other.expression_type = Some("XPATH".into());
    assert_eq!(
        c.pull(&other).await.0.code,
        response_code::SUBSCRIPTION_PARSE_FAILED
    );

    // CHECK_CLIENT_CONFIG compiles.
    assert_eq!(check_client(&c, None).await.code, response_code::SUCCESS);
    assert_eq!(
        check_client(&c, Some(SubscriptionData::tag(TOPIC, "TagA", 1)))
            .await
            .code,
        response_code::SUCCESS
    );
    assert_eq!(
        check_client(&c, Some(sql_sub(APACHE_EXAMPLE, 1)))
            .await
            .code,
        response_code::SUCCESS
    );
    let bad = check_client(&c, Some(sql_sub("(a = 1", 1))).await;
    assert_eq!(bad.code, response_code::SUBSCRIPTION_PARSE_FAILED);
    assert!(bad.remark.unwrap().contains("SQL92 parse error"));

    // Tag pulls are unaffected.
    let mut tag = pull_header("TagG", TOPIC, 0, 0);
    tag.subscription = Some("TagC".into());
    let (_, msgs) = c.pull(&tag).await;
    assert_eq!(bodies(&msgs), ["2", "5", "8"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_topics_are_filtered_with_filter_support_retry() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.enable_property_filter = true;
    cfg.filter_support_retry = true;
    let server = start_with(cfg).await;
    let c = Client::connect(server.local_addr()).await;
    c.heartbeat(
        "cid",
        Some((
            "RG",
            vec![
                sql_sub("a > 5", 1),
                SubscriptionData::tag("%RETRY%RG", "*", 1),
            ],
        )),
        None,
    )
    .await;
    for a in ["1", "7"] {
        let mut h = send_header("%RETRY%RG", 0, &[("RETRY_TOPIC", TOPIC), ("a", a)]);
        h.reconsume_times = Some(1);
        assert_eq!(c.send_raw(&h, a.as_bytes()).await.code, 0);
    }
    let mut h = pull_header("RG", "%RETRY%RG", 0, 0);
    h.sys_flag = 0;
    h.subscription = None;
    h.sub_version = 1;
    // Both are in the queue once a TAG reader sees them.
    let all = c
        .wait_messages(
            "TOOLS_CONSUMER",
            "%RETRY%RG",
            0,
            2,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(all.len(), 2);
    let (resp, msgs) = c.pull(&h).await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    assert_eq!(bodies(&msgs), ["7"]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql92_is_refused_while_property_filtering_is_off() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(config(dir.path())).await;
    let c = Client::connect(server.local_addr()).await;
    send_example(&c).await;
    let (resp, _) = c.pull(&sql_pull("SqlG", 0, "a > 1")).await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    assert_eq!(
        resp.remark.as_deref(),
        Some("The broker does not support consumer to filter message by SQL92")
    );
    let resp = check_client(&c, Some(sql_sub("a > 1", 1))).await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    // Without the SUBSCRIPTION bit there is nothing to check against.
    let mut h = sql_pull("SqlG", 0, "a > 1");
    h.sys_flag = 0;
    assert_eq!(
        c.pull(&h).await.0.code,
        response_code::SUBSCRIPTION_NOT_EXIST
    );
    server.shutdown().await;
}
