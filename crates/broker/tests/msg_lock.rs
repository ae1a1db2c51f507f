//! Ordered-consumption locks over TCP (remoting-protocol.md §7.7): one client of a group per queue, unlock by the
//! holder only, locks released when the holder's connection closes.

mod msg_support;

use std::collections::BTreeSet;
use std::time::Duration;

use ferrocket_protocol::body::{
    LockBatchRequestBody, LockBatchResponseBody, MessageQueue, UnlockBatchRequestBody,
};
use ferrocket_protocol::codes::{request_code, response_code};
use ferrocket_protocol::command::RemotingCommand;
use msg_support::{config, start_with, wait_until, Client, BROKER_NAME};

fn queues(ids: &[i32]) -> BTreeSet<MessageQueue> {
    ids.iter()
        .map(|i| MessageQueue::new("OT", BROKER_NAME, *i))
        .collect()
}

async fn lock(c: &Client, group: &str, client_id: &str, ids: &[i32]) -> BTreeSet<MessageQueue> {
    let body = LockBatchRequestBody {
        client_id: client_id.into(),
        consumer_group: group.into(),
        mq_set: queues(ids),
        only_this_broker: false,
    };
    let resp = c
        .call(RemotingCommand::new_request(request_code::LOCK_BATCH_MQ).with_body(body.encode()))
        .await;
    assert_eq!(resp.code, response_code::SUCCESS, "{:?}", resp.remark);
    LockBatchResponseBody::decode(&resp.body)
        .unwrap()
        .lock_ok_mq_set
}

async fn unlock(c: &Client, group: &str, client_id: &str, ids: &[i32]) {
    let body = UnlockBatchRequestBody {
        client_id: client_id.into(),
        consumer_group: group.into(),
        mq_set: queues(ids),
        only_this_broker: false,
    };
    let resp = c
        .call(RemotingCommand::new_request(request_code::UNLOCK_BATCH_MQ).with_body(body.encode()))
        .await;
    assert_eq!(resp.code, response_code::SUCCESS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_per_queue_and_release_on_close() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(config(dir.path())).await;
    let a = Client::connect(server.local_addr()).await;
    let b = Client::connect(server.local_addr()).await;

    assert_eq!(lock(&a, "OG", "A", &[0, 1]).await, queues(&[0, 1]));
    assert_eq!(
        lock(&b, "OG", "B", &[1, 2]).await,
        queues(&[2]),
        "queue 1 is A's"
    );
    assert_eq!(
        lock(&a, "OG", "A", &[0, 1]).await,
        queues(&[0, 1]),
        "renewal"
    );
    assert_eq!(
        lock(&b, "OtherGroup", "B", &[0]).await,
        queues(&[0]),
        "groups are separate"
    );

    // Only the holder can unlock.
    unlock(&b, "OG", "B", &[0]).await;
    assert_eq!(lock(&b, "OG", "B", &[0]).await, queues(&[]));
    unlock(&a, "OG", "A", &[0]).await;
    assert_eq!(lock(&b, "OG", "B", &[0]).await, queues(&[0]));

    // A's connection closes: queue 1 is free at once.
    a.conn.close();
    let freed = wait_until(Duration::from_secs(5), || async {
        lock(&b, "OG", "B", &[1]).await == queues(&[1])
    })
    .await;
    assert!(freed, "locks of a closed connection are released");

    // A malformed body is an error, not a lock.
    let resp = b
        .call(RemotingCommand::new_request(request_code::LOCK_BATCH_MQ).with_body(&b"{"[..]))
        .await;
    assert_eq!(resp.code, response_code::SYSTEM_ERROR);
    server.shutdown().await;
}
