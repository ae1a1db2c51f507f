//! Transactions end to end across a broker restart: a name server and a broker process, the client SDK's
//! transactional producer. Before the restart one transaction is committed, one rolled back and one left
//! undecided (no checks yet); after it, only the undecided one is checked, and each committed message is consumed
//! exactly once.

mod client_support;
mod support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use client_support::{create_topic, wait_until};
use ferrocket_client::admin::Admin;
use ferrocket_client::config::ClientConfig;
use ferrocket_client::consumer::{ConsumeContext, ConsumeFromWhere, ConsumeStatus, PushConsumer};
use ferrocket_client::producer::{LocalTransactionState, SendResult, TransactionListener};
use ferrocket_client::{Message, MessageExt, Producer};

const TOPIC: &str = "TxRestartT";

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
        let body = String::from_utf8_lossy(&msg.body).into_owned();
        self.checked.lock().unwrap().push(body);
        LocalTransactionState::CommitMessage
    }
}

/// A port nobody listens on right now, so the broker keeps its address across the restart.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn broker(ns: &str, store: &str, port: u16, checks: &[&str]) -> support::ServerProcess {
    let mut args = vec![
        "--set".to_string(),
        format!("storePathRootDir={store}"),
        "--set".to_string(),
        format!("listenPort={port}"),
        "--set".to_string(),
        "enableVipChannel=false".to_string(),
    ];
    for c in checks {
        args.push("--set".to_string());
        args.push(c.to_string());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    support::spawn_broker(ns, &args)
}

fn quick_client() -> ClientConfig {
    ClientConfig {
        heartbeat_interval: Duration::from_millis(500),
        poll_namesrv_interval: Duration::from_millis(1000),
        ..ClientConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transaction_state_survives_a_broker_restart() {
    let namesrv = support::spawn_namesrv(&[]);
    let ns = namesrv.addr.clone();
    let store = tempfile::tempdir().unwrap();
    let store_dir = store.path().to_string_lossy().into_owned();
    let port = free_port();
    // No checks before the restart.
    let mut b = broker(&ns, &store_dir, port, &["transactionCheckInterval=3600000"]);
    let admin = Admin::connect(&ns).await.unwrap();
    create_topic(&admin, &b.addr, TOPIC, 2).await;

    let checked: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut cfg = quick_client();
    cfg.namesrv_addrs = vec![ns.clone()];
    cfg.instance_name = "txr-p".into();
    let p = Producer::builder()
        .client_config(cfg)
        .group("TxRestartP")
        .transaction_listener(Listener {
            checked: checked.clone(),
        })
        .build()
        .unwrap();
    p.start().await.unwrap();
    for (body, decision) in [
        ("committed", "commit"),
        ("rolled-back", "rollback"),
        ("undecided", "unknown"),
    ] {
        p.send_in_transaction(Message::new(TOPIC, body).with_property("decision", decision))
            .await
            .unwrap();
    }

    assert!(
        b.terminate(Duration::from_secs(20)).is_some(),
        "broker stops"
    );
    let b2 = broker(
        &ns,
        &store_dir,
        port,
        &["transactionCheckInterval=500", "transactionTimeOut=500"],
    );
    assert_eq!(b2.addr, b.addr, "same address after the restart");

    let settled = wait_until(Duration::from_secs(60), || async {
        checked.lock().unwrap().contains(&"undecided".to_string())
    })
    .await;
    assert!(settled, "checked: {:?}", checked.lock().unwrap());

    let got: Arc<Mutex<BTreeMap<String, usize>>> = Arc::default();
    let g = got.clone();
    let mut cfg = quick_client();
    cfg.namesrv_addrs = vec![ns.clone()];
    cfg.instance_name = "txr-c".into();
    let c = PushConsumer::builder()
        .client_config(cfg)
        .group("TxRestartG")
        .subscribe(TOPIC, "*")
        .consume_from_where(ConsumeFromWhere::ConsumeFromFirstOffset)
        .listener(move |msgs: &[MessageExt], _: &mut ConsumeContext| {
            let mut g = g.lock().unwrap();
            for m in msgs {
                *g.entry(String::from_utf8_lossy(&m.body).into_owned())
                    .or_default() += 1;
            }
            ConsumeStatus::Success
        })
        .build()
        .unwrap();
    c.start().await.unwrap();
    let both = wait_until(Duration::from_secs(60), || async {
        got.lock().unwrap().len() >= 2
    })
    .await;
    assert!(both, "consumed {:?}", got.lock().unwrap());
    // Settled transactions are not checked again, and nothing is delivered twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = got.lock().unwrap().clone();
    assert_eq!(
        got,
        [("committed".to_string(), 1), ("undecided".to_string(), 1)]
            .into_iter()
            .collect()
    );
    assert_eq!(*checked.lock().unwrap(), ["undecided"]);
    c.shutdown().await;
    p.shutdown().await;
    drop(b2);
    drop(b);
}
