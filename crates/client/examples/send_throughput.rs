//! Sends small messages with a fixed number in flight and prints the rate.
//!
//! `cargo run --release -p ferrocket-client --example send_throughput -- <namesrv> [topic] [messages] [in_flight] [body_bytes] [json|binary]`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use ferrocket_client::{Message, Producer};

#[tokio::main]
async fn main() -> ferrocket_client::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let namesrv = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:9876".into());
    let topic = args.get(2).cloned().unwrap_or_else(|| "BenchT".into());
    let total: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let in_flight: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(64);
    let body_len: usize = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(128);
    let serialize_type = match args.get(6).map(String::as_str) {
        Some("binary") => ferrocket_protocol::codes::SerializeType::RocketMq,
        _ => ferrocket_protocol::codes::SerializeType::Json,
    };

    let producer = Producer::builder()
        .namesrv(&namesrv)
        .group("BenchP")
        .serialize_type(serialize_type)
        .build()?;
    producer.start().await?;
    // Warm up the route and connection.
    producer.send(Message::new(&topic, "warm-up")).await?;

    let body = Bytes::from(vec![b'x'; body_len]);
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..in_flight)
        .map(|_| {
            let (p, next, failed, body, topic) = (
                producer.clone(),
                next.clone(),
                failed.clone(),
                body.clone(),
                topic.clone(),
            );
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < total {
                    if p.send(Message::new(topic.as_str(), body.clone()))
                        .await
                        .is_err()
                    {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.await;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{total} messages of {body_len} bytes, {in_flight} in flight: {:.0} msgs/s ({} failed, {secs:.2} s)",
        total as f64 / secs,
        failed.load(Ordering::Relaxed)
    );
    producer.shutdown().await;
    Ok(())
}
