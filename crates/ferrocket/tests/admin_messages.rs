//! `ferrocket admin` message commands against `ferrocket standalone`: sendMessage, queryMsgByKey, queryMsgById,
//! queryMsgByOffset, consumeMessage, printMsg, and resendDlq with a dead letter put into `%DLQ%<group>` by hand.

mod admin_support;
mod support;

use admin_support::{admin, create_topic, eventually};
use ferrocket_client::{Message, Producer};
use std::time::Duration;

#[test]
fn send_query_and_print_messages() {
    let server = support::spawn_standalone(&[]);
    let ns = server.namesrv_addr();
    create_topic(&ns, "MsgT", 2);

    // sendMessage: Apache's columns, then the same message found by key, by id and by offset.
    let r = admin(
        &ns,
        "sendMessage",
        &[
            "-t",
            "MsgT",
            "-p",
            "hello one",
            "-k",
            "K1",
            "-c",
            "TagA",
            "-b",
            "broker-a",
            "-i",
            "1",
        ],
    )
    .expect_ok("sendMessage");
    let rows = r.rows();
    assert_eq!(
        rows[0],
        ["#Broker", "Name", "#QID", "#Send", "Result", "#MsgId"]
    );
    assert_eq!(rows[1][..3], ["broker-a", "1", "SEND_OK"]);
    let msg_id = rows[1][3].clone();
    assert_eq!(msg_id.len(), 32);
    let sent2 = admin(
        &ns,
        "sendMessage",
        &[
            "-t",
            "MsgT",
            "-p",
            "hello two",
            "-c",
            "TagB",
            "-b",
            "broker-a",
            "-i",
            "1",
            "--json",
        ],
    )
    .expect_ok("sendMessage --json")
    .json();
    assert_eq!(sent2["queueOffset"], 1);
    assert_eq!(sent2["sendStatus"], "SEND_OK");

    let found = eventually(Duration::from_secs(10), || {
        let r = admin(&ns, "queryMsgByKey", &["-t", "MsgT", "-k", "K1"]);
        (r.ok() && r.rows().len() == 2).then_some(r)
    })
    .expect("queryMsgByKey finds the message");
    let rows = found.rows();
    assert_eq!(rows[0], ["#Message", "ID", "#QID", "#Offset"]);
    assert_eq!(rows[1], [msg_id.as_str(), "1", "0"]);
    let none = admin(&ns, "queryMsgByKey", &["-t", "MsgT", "-k", "NoSuchKey"])
        .expect_ok("queryMsgByKey none");
    assert_eq!(none.rows().len(), 1, "header only: {}", none.stdout);

    let by_id = admin(
        &ns,
        "queryMsgById",
        &["-t", "MsgT", "-i", &msg_id, "-f", "UTF-8"],
    )
    .expect_ok("queryMsgById");
    let field = |out: &str, name: &str| -> String {
        out.lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_string())
            .unwrap_or_else(|| panic!("no {name} in\n{out}"))
    };
    assert_eq!(field(&by_id.stdout, "Topic:"), "MsgT");
    assert_eq!(field(&by_id.stdout, "Tags:"), "[TagA]");
    assert_eq!(field(&by_id.stdout, "Keys:"), "[K1]");
    assert_eq!(field(&by_id.stdout, "Queue ID:"), "1");
    assert_eq!(field(&by_id.stdout, "Queue Offset:"), "0");
    assert_eq!(field(&by_id.stdout, "Message Body:"), "hello one");
    assert_eq!(field(&by_id.stdout, "Store Host:"), server.addr);
    let offset_id = field(&by_id.stdout, "OffsetID:");
    // The server id works as well.
    let j = admin(
        &ns,
        "queryMsgById",
        &["-t", "MsgT", "-i", &offset_id, "--json"],
    )
    .expect_ok("queryMsgById offset id")
    .json();
    assert_eq!(j[0]["msgId"], msg_id.as_str());
    assert_eq!(j[0]["body"], "hello one");

    let by_offset = admin(
        &ns,
        "queryMsgByOffset",
        &[
            "-t", "MsgT", "-b", "broker-a", "-i", "1", "-o", "1", "-f", "UTF-8",
        ],
    )
    .expect_ok("queryMsgByOffset");
    assert_eq!(field(&by_offset.stdout, "Message Body:"), "hello two");
    assert_eq!(field(&by_offset.stdout, "Tags:"), "[TagB]");
    let missing = admin(
        &ns,
        "queryMsgByOffset",
        &["-t", "MsgT", "-b", "broker-a", "-i", "1", "-o", "5"],
    );
    assert_eq!(missing.code, Some(1));
    assert!(
        missing.stderr.contains("no message at offset 5"),
        "{}",
        missing.stderr
    );
    let bad = admin(
        &ns,
        "queryMsgById",
        &["-t", "MsgT", "-i", "7F000001000000010000000000000000"],
    );
    assert_eq!(bad.code, Some(1));
    assert!(bad.stderr.contains("not found"), "{}", bad.stderr);

    // consumeMessage reads both, printMsg -s TagB only the second, both with Apache's MSGID/BODY lines.
    let c = admin(
        &ns,
        "consumeMessage",
        &["-t", "MsgT", "-b", "broker-a", "-i", "1"],
    )
    .expect_ok("consumeMessage");
    let bodies: Vec<&str> = c
        .stdout
        .lines()
        .filter(|l| l.starts_with("MSGID: "))
        .filter_map(|l| l.split(" BODY: ").nth(1))
        .collect();
    assert_eq!(bodies, ["hello one", "hello two"], "{}", c.stdout);
    let c1 = admin(&ns, "consumeMessage", &["-t", "MsgT", "-c", "1", "--json"])
        .expect_ok("consumeMessage -c 1")
        .json();
    assert_eq!(c1.as_array().map(Vec::len), Some(1));
    let p = admin(&ns, "printMsg", &["-t", "MsgT", "-s", "TagB"]).expect_ok("printMsg");
    let lines: Vec<&str> = p
        .stdout
        .lines()
        .filter(|l| l.starts_with("MSGID: "))
        .collect();
    assert_eq!(lines.len(), 1, "{}", p.stdout);
    assert!(lines[0].ends_with("BODY: hello two"), "{}", lines[0]);
    assert!(
        p.stdout.contains(
            "minOffset=0, maxOffset=2, MessageQueue [topic=MsgT, brokerName=broker-a, queueId=1]"
        ),
        "{}",
        p.stdout
    );
    let no_body =
        admin(&ns, "printMsg", &["-t", "MsgT", "-d", "false"]).expect_ok("printMsg -d false");
    assert_eq!(
        no_body.stdout.matches("BODY: NOT PRINT BODY").count(),
        2,
        "{}",
        no_body.stdout
    );
    let r = admin(&ns, "consumeMessage", &["-t", "MsgT", "-i", "1"]);
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("needs -b"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_dlq_sends_dead_letters_back_to_their_topic() {
    let server = support::spawn_standalone(&[]);
    let ns = server.namesrv_addr();
    let ns2 = ns.clone();
    tokio::task::spawn_blocking(move || {
        create_topic(&ns2, "OrigT", 2);
        create_topic(&ns2, "%DLQ%DlqG", 1);
    })
    .await
    .unwrap();

    // Dead letters as a broker leaves them: original topic in RETRY_TOPIC (or DLQ_ORIGIN_TOPIC), bookkeeping
    // properties, the user's tag, keys and properties.
    let producer = Producer::builder()
        .namesrv(&ns)
        .instance_name("dlq-test")
        .group("DlqTestP")
        .build()
        .unwrap();
    producer.start().await.unwrap();
    let dead = producer
        .send(
            Message::new("%DLQ%DlqG", "dead body")
                .with_tags("TagD")
                .with_key("DeadKey")
                .with_property("RETRY_TOPIC", "OrigT")
                .with_property("RECONSUME_TIME", "16")
                .with_property("MAX_RECONSUME_TIMES", "16")
                .with_property("userProp", "u1"),
        )
        .await
        .unwrap();
    let dead2 = producer
        .send(
            Message::new("%DLQ%DlqG", "second dead")
                .with_key("DeadKey2")
                .with_property("DLQ_ORIGIN_TOPIC", "OrigT"),
        )
        .await
        .unwrap();
    let orphan = producer
        .send(Message::new("%DLQ%DlqG", "no origin").with_key("Orphan"))
        .await
        .unwrap();
    producer.shutdown().await;

    let (ns3, id1, id2, id3) = (
        ns.clone(),
        dead.msg_id.clone(),
        dead2.msg_id.clone(),
        orphan.msg_id.clone(),
    );
    tokio::task::spawn_blocking(move || {
        let ids = format!("{id1},{id2}");
        let r = eventually(Duration::from_secs(10), || {
            let r = admin(&ns3, "resendDlq", &["-g", "DlqG", "-i", &ids]);
            r.ok().then_some(r)
        })
        .expect("resendDlq succeeds");
        let rows = r.rows();
        assert_eq!(rows.len(), 3, "{}", r.stdout);
        assert_eq!(rows[1][0], id1);
        assert_eq!(rows[1][1], "OrigT");
        assert_eq!(rows[1][4], "SEND_OK");
        assert_eq!(rows[2][1], "OrigT");
        let new_id = rows[1][5].clone();
        assert_ne!(new_id, id1, "a re-sent message gets a new id");

        // The copy is in the original topic: same body, tag, keys and user property, no retry bookkeeping.
        let copy = eventually(Duration::from_secs(10), || {
            let r = admin(
                &ns3,
                "queryMsgByKey",
                &["-t", "OrigT", "-k", "DeadKey", "--json"],
            );
            let j = r.ok().then(|| r.json())?;
            (j.as_array()?.len() == 1).then_some(j)
        })
        .expect("copy found by key in OrigT");
        let m = &copy[0];
        assert_eq!(m["msgId"], new_id.as_str());
        assert_eq!(m["body"], "dead body");
        assert_eq!(m["tags"], "TagD");
        assert_eq!(m["properties"]["userProp"], "u1");
        assert!(m["properties"].get("RETRY_TOPIC").is_none(), "{m}");
        assert!(m["properties"].get("RECONSUME_TIME").is_none(), "{m}");
        let copy2 = eventually(Duration::from_secs(10), || {
            let r = admin(
                &ns3,
                "queryMsgByKey",
                &["-t", "OrigT", "-k", "DeadKey2", "--json"],
            );
            let j = r.ok().then(|| r.json())?;
            (j.as_array()?.len() == 1).then_some(j)
        })
        .expect("second copy found");
        assert_eq!(copy2[0]["body"], "second dead");

        // No original topic: refused, nothing sent.
        let r = admin(&ns3, "resendDlq", &["-g", "DlqG", "-i", &id3]);
        assert_eq!(r.code, Some(1));
        assert!(r.stderr.contains("no original topic"), "{}", r.stderr);
        // Unknown id, unknown group.
        let r = admin(
            &ns3,
            "resendDlq",
            &["-g", "DlqG", "-i", "7F000001000000010000000000000000"],
        );
        assert_eq!(r.code, Some(1));
        assert!(
            r.stderr.contains("not found in topic %DLQ%DlqG"),
            "{}",
            r.stderr
        );
        let r = admin(&ns3, "resendDlq", &["-g", "NoSuchGroup", "-i", &id3]);
        assert_eq!(r.code, Some(1));
        assert!(r.stderr.contains("%DLQ%NoSuchGroup"), "{}", r.stderr);
        let r = admin(&ns3, "resendDlq", &["-g", "DlqG"]);
        assert_eq!(r.code, Some(2), "missing -i is a usage error");
    })
    .await
    .unwrap();
}
