//! `ferrocket standalone` (name server + broker in one process) for the compatibility suites: restartable on the
//! same store directory and ports, plus the few protocol requests the tests make themselves.

use std::future::Future;
use std::time::{Duration, Instant};

use ferrocket_protocol::codes::{request_code as rc, response_code};
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_protocol::header::CreateTopicRequestHeader;

use crate::support::broker_client::{client, invoke, query_offset, route};
use crate::support::{spawn, ServerProcess, SMALL_STORE};

/// Runs a future to completion on a throw-away runtime: the tests are synchronous (they mostly wait on child
/// processes) and need async only for a handful of requests.
pub fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

pub struct Standalone {
    process: ServerProcess,
    store: tempfile::TempDir,
    /// Name server address (what clients are given).
    pub namesrv: String,
    /// Broker address.
    pub broker: String,
}

fn port_of(addr: &str) -> &str {
    addr.rsplit_once(':').map(|(_, p)| p).expect("host:port")
}

fn spawn_on(store: &std::path::Path, namesrv: &str, broker_port: &str) -> ServerProcess {
    let root = format!("storePathRootDir={}", store.display());
    let listen = format!("listenPort={broker_port}");
    let ns = format!("namesrvAddr={namesrv}");
    let mut args = vec![
        "standalone",
        "--set",
        &listen,
        "--set",
        &ns,
        "--set",
        "bindAddress=127.0.0.1",
        "--set",
        "brokerName=broker-a",
        "--set",
        &root,
    ];
    args.extend_from_slice(SMALL_STORE);
    spawn(&args, "boot success")
}

impl Standalone {
    /// Starts on OS-chosen ports with a fresh store.
    pub fn start() -> Standalone {
        let store = tempfile::tempdir().expect("store dir");
        let process = spawn_on(store.path(), "127.0.0.1:0", "0");
        let namesrv = process.namesrv_addr();
        let broker = process.addr.clone();
        Standalone {
            process,
            store,
            namesrv,
            broker,
        }
    }

    /// Stops the process with SIGTERM (a clean shutdown flushes offsets) and starts it again on the same store
    /// directory and the same two ports, so clients find it where they left it.
    pub fn restart(&mut self) {
        let status = self
            .process
            .terminate(Duration::from_secs(30))
            .expect("standalone did not exit within 30 s of SIGTERM");
        assert!(status.success(), "standalone exit status {status:?}");
        self.process = spawn_on(self.store.path(), &self.namesrv, port_of(&self.broker));
        assert_eq!(
            self.process.namesrv_addr(),
            self.namesrv,
            "{}",
            self.process.ready_line
        );
        assert_eq!(
            self.process.addr, self.broker,
            "{}",
            self.process.ready_line
        );
    }

    /// UPDATE_AND_CREATE_TOPIC straight to the broker, then waits until the name server routes it.
    pub fn create_topic(&self, topic: &str, queues: i32) {
        block_on(async {
            let broker = client(&self.broker).await;
            let h = CreateTopicRequestHeader {
                topic: topic.into(),
                default_topic: "TBW102".into(),
                read_queue_nums: queues,
                write_queue_nums: queues,
                perm: 6,
                topic_filter_type: "SINGLE_TAG".into(),
                topic_sys_flag: Some(0),
                order: false,
                attributes: None,
                force: None,
            };
            let resp = invoke(
                &broker,
                RemotingCommand::request_with_header(rc::UPDATE_AND_CREATE_TOPIC, &h),
            )
            .await;
            assert_eq!(
                resp.code,
                response_code::SUCCESS,
                "create {topic}: {:?}",
                resp.remark
            );
        });
        self.wait_routed(topic, queues);
    }

    /// Waits (up to 15 s) until the name server has `topic` with `queues` read and write queues on broker-a.
    pub fn wait_routed(&self, topic: &str, queues: i32) {
        block_on(async {
            let ns = client(&self.namesrv).await;
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                let found = route(&ns, topic).await.map(|r| {
                    r.queue_datas
                        .iter()
                        .map(|q| (q.read_queue_nums, q.write_queue_nums))
                        .collect::<Vec<_>>()
                });
                if found.as_deref() == Some(&[(queues, queues)][..]) {
                    return;
                }
                assert!(
                    Instant::now() < deadline,
                    "name server route of {topic}: {found:?}, want {queues} queues"
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    }

    /// The group's committed offset of each queue `0..queues`, as the broker reports it (QUERY_CONSUMER_OFFSET).
    pub fn committed_offsets(&self, group: &str, topic: &str, queues: i32) -> Vec<Option<i64>> {
        block_on(async {
            let broker = client(&self.broker).await;
            let mut out = Vec::new();
            for q in 0..queues {
                out.push(query_offset(&broker, group, topic, q).await);
            }
            out
        })
    }
}
