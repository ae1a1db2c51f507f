//! One remoting connection, usable from either end.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ferrocket_protocol::codec::RemotingCodec;
use ferrocket_protocol::command::{next_opaque, RemotingCommand};
use futures::StreamExt;
use parking_lot::Mutex;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_util::codec::FramedRead;
use tokio_util::sync::CancellationToken;

use crate::writer::run_writer;
use crate::{RemotingError, RequestHandler, Response};

static NEXT_CONNECTION_ID: AtomicU64 = AtomicU64::new(1);

/// Tunables of a connection.
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    /// Close the connection when nothing has been read for this long (Apache: 120 s).
    pub idle_timeout: Duration,
    /// Frames queued for writing before senders wait (responses) or fail fast (oneway sends).
    pub write_queue: usize,
    /// Largest accepted frame, including the length word.
    pub max_frame: usize,
    /// Requests from the peer being handled at once. When reached, the connection stops reading until one finishes,
    /// so a peer that sends without reading its responses is slowed by TCP back-pressure instead of piling up tasks.
    pub max_in_flight_requests: usize,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(120),
            write_queue: 4096,
            max_frame: 16 * 1024 * 1024,
            max_in_flight_requests: 4096,
        }
    }
}

/// A live connection. Cheap to share (`Arc<Connection>`); dropping the last handle does not close it — call
/// [`Connection::close`] or let the peer hang up.
#[derive(Debug)]
pub struct Connection {
    id: u64,
    peer: SocketAddr,
    local: SocketAddr,
    tx: mpsc::Sender<Response>,
    pending: Mutex<HashMap<i32, oneshot::Sender<RemotingCommand>>>,
    closed: CancellationToken,
}

impl Connection {
    /// Process-unique id, stable for the connection's life.
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    pub fn is_closed(&self) -> bool {
        self.closed.is_cancelled()
    }

    /// Resolves once the connection has closed.
    pub async fn closed(&self) {
        self.closed.cancelled().await
    }

    pub fn close(&self) {
        self.closed.cancel();
    }

    /// Sends a request and waits for its response.
    pub async fn invoke(
        &self,
        mut request: RemotingCommand,
        timeout: Duration,
    ) -> Result<RemotingCommand, RemotingError> {
        let opaque = next_opaque();
        request.opaque = opaque;
        let code = request.code;
        let (tx, rx) = oneshot::channel();
        self.pending.lock().insert(opaque, tx);
        if self.tx.send(request.into()).await.is_err() {
            self.pending.lock().remove(&opaque);
            return Err(self.closed_error());
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(_)) => Err(self.closed_error()),
            Err(_) => {
                self.pending.lock().remove(&opaque);
                Err(RemotingError::Timeout {
                    addr: self.peer.to_string(),
                    code,
                    millis: timeout.as_millis() as u64,
                })
            }
        }
    }

    /// Sends a request that expects no answer. Fails fast instead of waiting when the peer is not reading.
    pub fn send_oneway(&self, mut request: RemotingCommand) -> Result<(), RemotingError> {
        request.opaque = next_opaque();
        request.mark_oneway();
        self.try_send(request.into())
    }

    /// Queues a response (or any frame), waiting while the write queue is full.
    pub async fn send(&self, frame: Response) -> Result<(), RemotingError> {
        self.tx.send(frame).await.map_err(|_| self.closed_error())
    }

    /// Queues a frame without waiting; `Busy` when the write queue is full.
    pub fn try_send(&self, frame: Response) -> Result<(), RemotingError> {
        self.tx.try_send(frame).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => RemotingError::Busy {
                addr: self.peer.to_string(),
            },
            mpsc::error::TrySendError::Closed(_) => self.closed_error(),
        })
    }

    fn closed_error(&self) -> RemotingError {
        RemotingError::Closed {
            addr: self.peer.to_string(),
        }
    }
}

/// Starts the reader and writer tasks of an established stream and returns its connection handle.
pub(crate) fn spawn_connection<H: RequestHandler>(
    stream: TcpStream,
    handler: Arc<H>,
    config: &ConnectionConfig,
    shutdown: CancellationToken,
) -> std::io::Result<Arc<Connection>> {
    let _ = stream.set_nodelay(true);
    let peer = stream.peer_addr()?;
    let local = stream.local_addr()?;
    let (read_half, write_half) = stream.into_split();
    let (tx, rx) = mpsc::channel(config.write_queue.max(1));
    let conn = Arc::new(Connection {
        id: NEXT_CONNECTION_ID.fetch_add(1, Ordering::Relaxed),
        peer,
        local,
        tx,
        pending: Mutex::new(HashMap::new()),
        closed: shutdown.child_token(),
    });
    handler.on_open(&conn);

    let writer_conn = conn.clone();
    tokio::spawn(async move {
        tokio::select! {
            res = run_writer(write_half, rx) => {
                if let Err(e) = res {
                    tracing::debug!(peer = %writer_conn.peer, error = %e, "write failed; closing connection");
                }
            }
            _ = writer_conn.closed.cancelled() => {}
        }
        writer_conn.close();
    });

    let reader_conn = conn.clone();
    let codec = RemotingCodec::with_max_frame(config.max_frame);
    let idle = config.idle_timeout;
    let in_flight = Arc::new(tokio::sync::Semaphore::new(
        config.max_in_flight_requests.max(1),
    ));
    tokio::spawn(async move {
        let mut frames = FramedRead::with_capacity(read_half, codec, 64 * 1024);
        loop {
            let next = tokio::select! {
                _ = reader_conn.closed.cancelled() => break,
                next = tokio::time::timeout(idle, frames.next()) => next,
            };
            let cmd = match next {
                Err(_) => {
                    tracing::info!(peer = %reader_conn.peer, "closing idle connection");
                    break;
                }
                Ok(None) => break,
                Ok(Some(Err(e))) => {
                    tracing::warn!(peer = %reader_conn.peer, error = %e, "malformed frame; closing this connection");
                    break;
                }
                Ok(Some(Ok(cmd))) => cmd,
            };
            if cmd.is_response() {
                let waiter = reader_conn.pending.lock().remove(&cmd.opaque);
                match waiter {
                    Some(w) => {
                        let _ = w.send(cmd);
                    }
                    None => {
                        tracing::debug!(peer = %reader_conn.peer, opaque = cmd.opaque, "response nobody waits for")
                    }
                }
                continue;
            }
            // Waits (and so stops reading) while the peer already has the maximum number of requests in flight.
            let permit = tokio::select! {
                _ = reader_conn.closed.cancelled() => break,
                p = in_flight.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let handler = handler.clone();
            let conn = reader_conn.clone();
            tokio::spawn(async move {
                let oneway = cmd.is_oneway();
                if let Some(resp) = handler.handle(conn.clone(), cmd).await {
                    if !oneway {
                        let _ = conn.send(resp).await;
                    }
                }
                drop(permit);
            });
        }
        reader_conn.close();
        // Waiters see the channel drop and report the connection as closed.
        reader_conn.pending.lock().clear();
        handler.on_close(&reader_conn);
    });
    Ok(conn)
}

/// Connects to `addr` and serves requests the peer sends with `handler`.
pub async fn connect<H: RequestHandler>(
    addr: &str,
    handler: Arc<H>,
    config: &ConnectionConfig,
    timeout: Duration,
) -> Result<Arc<Connection>, RemotingError> {
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(source)) => {
            return Err(RemotingError::Connect {
                addr: addr.to_string(),
                source,
            })
        }
        Err(_) => {
            return Err(RemotingError::Connect {
                addr: addr.to_string(),
                source: std::io::ErrorKind::TimedOut.into(),
            })
        }
    };
    spawn_connection(stream, handler, config, CancellationToken::new()).map_err(|source| {
        RemotingError::Connect {
            addr: addr.to_string(),
            source,
        }
    })
}
