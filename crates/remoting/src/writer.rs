//! The per-connection writer task: drains queued frames in batches and writes them with vectored writes, so small
//! frames share one buffer and large body chunks (mapped store memory) go to the socket without a copy.

use std::io::IoSlice;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

use crate::Response;

/// Bodies at most this long are copied into the shared buffer; longer chunks are written from where they are.
const COPY_THRESHOLD: usize = 4096;
/// Stop batching once this much is pending, to bound latency and memory per connection.
const MAX_BATCH_BYTES: usize = 1 << 20;
const MAX_BATCH_FRAMES: usize = 256;

pub(crate) async fn run_writer<W: AsyncWrite + Unpin>(
    mut sink: W,
    mut rx: mpsc::Receiver<Response>,
) -> std::io::Result<()> {
    let mut segments: Vec<Bytes> = Vec::with_capacity(64);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    while let Some(first) = rx.recv().await {
        let mut batch_bytes = 0usize;
        let mut frames = 0usize;
        let mut next = Some(first);
        let mut yielded = false;
        while let Some(resp) = next.take() {
            batch_bytes += append_frame(&resp, &mut buf, &mut segments);
            frames += 1;
            if batch_bytes >= MAX_BATCH_BYTES || frames >= MAX_BATCH_FRAMES {
                break;
            }
            next = rx.try_recv().ok();
            if next.is_none() && !yielded {
                // Let tasks already runnable (handlers finishing their responses) queue theirs first, so one
                // write carries several frames instead of a syscall each. Once per batch, so a lone frame waits
                // at most one pass of the scheduler.
                yielded = true;
                tokio::task::yield_now().await;
                next = rx.try_recv().ok();
            }
        }
        if !buf.is_empty() {
            segments.push(buf.split().freeze());
        }
        write_all_segments(&mut sink, &mut segments).await?;
        sink.flush().await?;
        if buf.capacity() < 16 * 1024 {
            buf = BytesMut::with_capacity(64 * 1024);
        }
    }
    let _ = sink.shutdown().await;
    Ok(())
}

/// Appends one frame, returning the bytes it adds.
fn append_frame(resp: &Response, buf: &mut BytesMut, segments: &mut Vec<Bytes>) -> usize {
    let body_len = resp.body_len();
    let before = buf.len();
    if let Err(e) = resp.command.encode_prefix(body_len, buf) {
        // Cannot happen for commands we build ourselves; drop the frame rather than corrupt the stream.
        tracing::error!(error = %e, code = resp.command.code, "dropping unencodable frame");
        buf.truncate(before);
        return 0;
    }
    let mut added = buf.len() - before;
    for chunk in std::iter::once(&resp.command.body).chain(resp.chunks.iter()) {
        if chunk.is_empty() {
            continue;
        }
        if chunk.len() <= COPY_THRESHOLD {
            buf.extend_from_slice(chunk);
        } else {
            if !buf.is_empty() {
                segments.push(buf.split().freeze());
            }
            segments.push(chunk.clone());
        }
        added += chunk.len();
    }
    added
}

async fn write_all_segments<W: AsyncWrite + Unpin>(
    sink: &mut W,
    segments: &mut Vec<Bytes>,
) -> std::io::Result<()> {
    let mut start = 0usize;
    while start < segments.len() {
        let slices: Vec<IoSlice<'_>> = segments[start..]
            .iter()
            .take(64)
            .map(|b| IoSlice::new(b))
            .collect();
        let mut written = sink.write_vectored(&slices).await?;
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        while written > 0 && start < segments.len() {
            let len = segments[start].len();
            if written >= len {
                written -= len;
                start += 1;
            } else {
                let rest = segments[start].slice(written..);
                segments[start] = rest;
                written = 0;
            }
        }
    }
    segments.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrocket_protocol::codec::RemotingCodec;
    use ferrocket_protocol::command::RemotingCommand;
    use tokio_util::codec::Decoder;

    #[tokio::test]
    async fn frames_with_chunks_arrive_intact() {
        let (tx, rx) = mpsc::channel(16);
        let (client, mut server) = tokio::io::duplex(1 << 16);
        let writer = tokio::spawn(run_writer(client, rx));
        let big = Bytes::from(vec![7u8; 10_000]);
        for i in 0..3 {
            let cmd = RemotingCommand::new_request(11)
                .with_opaque(i)
                .with_body(Bytes::from_static(b"head"));
            tx.send(Response::with_chunks(
                cmd,
                vec![big.clone(), Bytes::from_static(b"tail")],
            ))
            .await
            .unwrap();
        }
        drop(tx);
        let mut all = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut server, &mut all)
            .await
            .unwrap();
        writer.await.unwrap().unwrap();
        let mut codec = RemotingCodec::default();
        let mut src = BytesMut::from(&all[..]);
        for i in 0..3 {
            let cmd = codec.decode(&mut src).unwrap().unwrap();
            assert_eq!(cmd.opaque, i);
            assert_eq!(cmd.body.len(), 4 + 10_000 + 4);
            assert_eq!(&cmd.body[..4], b"head");
            assert_eq!(&cmd.body[10_004..], b"tail");
        }
        assert!(src.is_empty());
    }
}
