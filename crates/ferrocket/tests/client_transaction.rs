//! Transactional sends against `ferrocket standalone`: committed messages are delivered, rolled-back ones never,
//! and an undecided one is settled by the broker's check.

mod client_support;
mod support;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::{create_topic, wait_until};
use ferrocket_client::admin::Admin;
use ferrocket_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumeStatus, PushConsumer};
use ferrocket_client::producer::{
    LocalTransactionState, SendResult, SendStatus, TransactionListener,
};
use ferrocket_client::{Message, MessageExt, Producer};

struct Listener {
    checked: Arc<Mutex<Vec<String>>>,
}

impl TransactionListener for Listener {
    fn execute_local(&self, msg: &Message, _: &SendResult) -> LocalTransactionState {
        match msg.property("decision") {
            Some("commit") => LocalTransactionState::CommitMessage,
            Some("rollback") => LocalTransactionState::RollbackMessage,
            _ => LocalTransactionState::Unknown,
        }
    }

    fn check(&self, msg: &MessageExt) -> LocalTransactionState {
        self.checked
            .lock()
            .unwrap()
            .push(String::from_utf8_lossy(&msg.body).into_owned());
        LocalTransactionState::CommitMessage
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_rollback_and_check() {
    // Short check interval and immunity so the undecided message is checked within the test.
    let server = support::spawn_standalone(&[
        "--set",
        "transactionCheckInterval=1000",
        "--set",
        "transactionTimeOut=1000",
    ]);
    if !client_support::broker_supports(
        &server.addr,
        ferrocket_protocol::codes::request_code::END_TRANSACTION,
    )
    .await
    {
        eprintln!("SKIPPED: this broker build does not answer END_TRANSACTION yet");
        return;
    }
    let ns = server.namesrv_addr();
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &server.addr, "TxT", 2).await;
    let checked: Arc<Mutex<Vec<String>>> = Arc::default();
    let p = Producer::builder()
        .namesrv(&ns)
        .instance_name("tx-p")
        .group("TxP")
        .transaction_listener(Listener {
            checked: checked.clone(),
        })
        .build()
        .unwrap();
    p.start().await.unwrap();
    for (body, decision) in [
        ("c1", "commit"),
        ("r1", "rollback"),
        ("c2", "commit"),
        ("u1", "unknown"),
    ] {
        let r = p
            .send_in_transaction(Message::new("TxT", body).with_property("decision", decision))
            .await
            .unwrap();
        assert_eq!(r.send_result.status, SendStatus::SendOk);
        assert!(r.send_result.transaction_id.is_some() || !r.send_result.msg_id.is_empty());
    }

    let got: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let g = got.clone();
    let c = PushConsumer::builder()
        .namesrv(&ns)
        .instance_name("tx-c")
        .group("TxG")
        .subscribe("TxT", "*")
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
    let all = wait_until(Duration::from_secs(60), || async {
        got.lock().unwrap().len() >= 3
    })
    .await;
    let seen = got.lock().unwrap().clone();
    assert!(all, "delivered {seen:?}");
    assert_eq!(
        seen,
        ["c1", "c2", "u1"]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>()
    );
    assert!(checked.lock().unwrap().contains(&"u1".to_string()));
    c.shutdown().await;
    p.shutdown().await;
}
