//! Server and client over real TCP on 127.0.0.1: request/response, oneway, server-initiated calls, concurrency
//! (a slow request does not hold up a fast one on the same connection) and close notification.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use ferrocket_protocol::codes::SerializeType;
use ferrocket_protocol::command::RemotingCommand;
use ferrocket_remoting::{
    connect, Connection, ConnectionConfig, RemotingServer, RequestHandler, Response, ServerConfig,
};
use tokio_util::sync::CancellationToken;

const T: Duration = Duration::from_secs(5);

#[derive(Default)]
struct Echo {
    oneways: AtomicUsize,
    closed: AtomicUsize,
}

impl RequestHandler for Echo {
    async fn handle(
        self: Arc<Self>,
        conn: Arc<Connection>,
        req: RemotingCommand,
    ) -> Option<Response> {
        match req.code {
            1 => Some(
                RemotingCommand::response_to(&req, 0, None)
                    .with_body(req.body.clone())
                    .into(),
            ),
            2 => {
                tokio::time::sleep(Duration::from_millis(500)).await;
                Some(RemotingCommand::response_to(&req, 0, Some("slow".into())).into())
            }
            3 => {
                self.oneways.fetch_add(1, Ordering::SeqCst);
                None
            }
            4 => {
                // Call the client back on the same connection, then answer with what it said.
                let back = conn
                    .invoke(RemotingCommand::new_request(100), T)
                    .await
                    .ok()?;
                Some(RemotingCommand::response_to(&req, 0, back.remark).into())
            }
            _ => Some(ferrocket_remoting::not_supported(&req).into()),
        }
    }

    fn on_close(&self, _conn: &Arc<Connection>) {
        self.closed.fetch_add(1, Ordering::SeqCst);
    }
}

struct ClientSide;

impl RequestHandler for ClientSide {
    async fn handle(
        self: Arc<Self>,
        _conn: Arc<Connection>,
        req: RemotingCommand,
    ) -> Option<Response> {
        Some(RemotingCommand::response_to(&req, 0, Some("from client".into())).into())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_response_oneway_callbacks_and_close() {
    let shutdown = CancellationToken::new();
    let echo = Arc::new(Echo::default());
    let server = RemotingServer::bind(
        "127.0.0.1:0",
        echo.clone(),
        ServerConfig::default(),
        shutdown.clone(),
    )
    .await
    .unwrap();
    let addr = server.local_addr().to_string();
    let conn = connect(&addr, Arc::new(ClientSide), &ConnectionConfig::default(), T)
        .await
        .unwrap();

    for st in [SerializeType::Json, SerializeType::RocketMq] {
        let req = RemotingCommand::new_request(1)
            .with_serialize_type(st)
            .with_body(Bytes::from_static(b"ping"));
        let resp = conn.invoke(req, T).await.unwrap();
        assert!(resp.is_response());
        assert_eq!(&resp.body[..], b"ping");
    }

    // The slow request must not delay the fast one behind it.
    let slow = {
        let conn = conn.clone();
        tokio::spawn(async move { conn.invoke(RemotingCommand::new_request(2), T).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    conn.invoke(RemotingCommand::new_request(1), T)
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "fast request waited for the slow one"
    );
    assert_eq!(slow.await.unwrap().unwrap().remark.as_deref(), Some("slow"));

    conn.send_oneway(RemotingCommand::new_request(3)).unwrap();
    let resp = conn
        .invoke(RemotingCommand::new_request(4), T)
        .await
        .unwrap();
    assert_eq!(resp.remark.as_deref(), Some("from client"));
    assert_eq!(echo.oneways.load(Ordering::SeqCst), 1);

    let resp = conn
        .invoke(RemotingCommand::new_request(77), T)
        .await
        .unwrap();
    assert_eq!(
        resp.code,
        ferrocket_protocol::codes::response_code::REQUEST_CODE_NOT_SUPPORTED
    );

    conn.close();
    for _ in 0..100 {
        if echo.closed.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        echo.closed.load(Ordering::SeqCst),
        1,
        "server saw the close"
    );
    assert!(conn
        .invoke(RemotingCommand::new_request(1), T)
        .await
        .is_err());
    shutdown.cancel();
}

#[tokio::test]
async fn invoke_times_out_when_peer_never_answers() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let hold = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;
        drop(s);
    });
    let conn = connect(&addr, Arc::new(ClientSide), &ConnectionConfig::default(), T)
        .await
        .unwrap();
    let err = conn
        .invoke(RemotingCommand::new_request(1), Duration::from_millis(200))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    hold.abort();
}

/// A peer that sends requests but never reads responses stops being read from once its in-flight limit is reached;
/// the server keeps serving everyone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_reader_is_back_pressured_not_buffered() {
    use ferrocket_remoting::ConnectionConfig;
    use tokio::io::AsyncWriteExt;

    let shutdown = CancellationToken::new();
    let echo = Arc::new(Echo::default());
    let config = ServerConfig {
        connection: ConnectionConfig {
            write_queue: 4,
            max_in_flight_requests: 8,
            ..ConnectionConfig::default()
        },
    };
    let server = RemotingServer::bind("127.0.0.1:0", echo.clone(), config, shutdown.clone())
        .await
        .unwrap();
    let addr = server.local_addr().to_string();

    // The stalled peer: writes many requests with 64 KiB bodies, never reads.
    let mut raw = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut frame = bytes::BytesMut::new();
    RemotingCommand::new_request(1)
        .with_body(Bytes::from(vec![1u8; 64 * 1024]))
        .encode(&mut frame)
        .unwrap();
    let frame = frame.freeze();
    let writer = tokio::spawn(async move {
        let mut sent = 0usize;
        for _ in 0..10_000 {
            match tokio::time::timeout(Duration::from_secs(2), raw.write_all(&frame)).await {
                Ok(Ok(())) => sent += 1,
                _ => break,
            }
        }
        (sent, raw)
    });
    let (sent, _raw) = writer.await.unwrap();
    assert!(
        sent < 10_000,
        "the server kept reading from a peer that never reads ({sent} frames accepted)"
    );

    // Everyone else is still served promptly.
    let conn = connect(&addr, Arc::new(ClientSide), &ConnectionConfig::default(), T)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    conn.invoke(RemotingCommand::new_request(1), T)
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
    shutdown.cancel();
}
