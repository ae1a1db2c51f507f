//! SQL92 subscriptions end to end (`enablePropertyFilter=true`): Apache's filter example through the client SDK's
//! push consumer gets exactly the matching messages; a consumer with a bad expression fails to start with
//! SUBSCRIPTION_PARSE_FAILED (23).

mod client_support;
mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::{create_topic, producer, wait_until};
use ferrocket_client::admin::Admin;
use ferrocket_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumeStatus, PushConsumer};
use ferrocket_client::{Message, MessageExt};

const TOPIC: &str = "SqlFilterT";
const APACHE_EXAMPLE: &str =
    "(TAGS is not null and TAGS in ('TagA', 'TagB')) and (a is not null and a between 0 and 3)";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql92_subscription_selects_exactly_the_matching_messages() {
    let server = support::spawn_standalone(&["--set", "enablePropertyFilter=true"]);
    let ns = server.namesrv_addr();
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &server.addr, TOPIC, 4).await;

    // Apache's SqlFilterProducer: tags TagA, TagB, TagC in turn, property a = i.
    let p = producer(&ns, "sql-p", "SqlP").await;
    let tags = ["TagA", "TagB", "TagC"];
    let mut expected = BTreeSet::new();
    for i in 0..30 {
        let tag = tags[i % 3];
        if tag != "TagC" && i <= 3 {
            expected.insert(i.to_string());
        }
        p.send(
            Message::new(TOPIC, i.to_string())
                .with_tags(tag)
                .with_property("a", i.to_string()),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        expected,
        ["0", "1", "3"].iter().map(|s| s.to_string()).collect()
    );

    let got: Arc<Mutex<Vec<String>>> = Arc::default();
    let g = got.clone();
    let c = PushConsumer::builder()
        .namesrv(&ns)
        .instance_name("sql-c")
        .group("SqlG")
        .subscribe_sql(TOPIC, APACHE_EXAMPLE)
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .listener(move |msgs: &[MessageExt], _: &mut ConsumeContext| {
            g.lock().unwrap().extend(
                msgs.iter()
                    .map(|m| String::from_utf8_lossy(&m.body).into_owned()),
            );
            ConsumeStatus::Success
        })
        .build()
        .unwrap();
    c.start().await.unwrap();
    let done = wait_until(Duration::from_secs(30), || async {
        got.lock().unwrap().len() >= expected.len()
    })
    .await;
    assert!(done, "got {:?}", got.lock().unwrap());
    // Give any wrongly passed message time to show up.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = got.lock().unwrap().clone();
    assert_eq!(
        got.len(),
        expected.len(),
        "no duplicates, nothing else: {got:?}"
    );
    assert_eq!(got.into_iter().collect::<BTreeSet<_>>(), expected);
    c.shutdown().await;

    // A bad expression: the broker's CHECK_CLIENT_CONFIG refuses it and start() fails with code 23.
    let bad = PushConsumer::builder()
        .namesrv(&ns)
        .instance_name("sql-bad")
        .group("SqlBadG")
        .subscribe_sql(TOPIC, "a between 1 and")
        .listener(|_: &[MessageExt], _: &mut ConsumeContext| ConsumeStatus::Success)
        .build()
        .unwrap();
    let err = bad
        .start()
        .await
        .expect_err("a bad SQL92 expression must fail");
    assert_eq!(err.response_code(), Some(23), "{err}");
    assert!(err.to_string().contains("SQL92 parse error"), "{err}");
    p.shutdown().await;
}
