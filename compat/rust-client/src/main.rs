//! Drives an independent RocketMQ client (crates.io `rocketmq-client-rust`) against a Ferrocket server and prints
//! what it saw, one `key=value` line per fact, for the compatibility tests to check.
//!
//! Usage:
//! - `ferrocket-compat-rust route <namesrv> <topic>` | `cluster <namesrv>` | `topics <namesrv>`
//! - `ferrocket-compat-rust create-topic <namesrv> <topic> <queues>`
//! - `ferrocket-compat-rust produce <namesrv> <topic> ...` (see produce.rs)
//! - `ferrocket-compat-rust consume <namesrv> <topic> <group> ...` (see consume.rs)

#![recursion_limit = "512"]

mod admin;
mod args;
mod consume;
mod produce;

use rocketmq_client_rust::{ClientRuntime, ClientRuntimeConfig};
use rocketmq_observability::TelemetryRuntimeGuard;
use rocketmq_runtime::{RuntimeConfig, RuntimeOwner};

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&raw) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(raw: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let a = args::Args::parse(raw)?;
    let cmd = a.pos(0, "command")?;
    let mut config = RuntimeConfig {
        thread_name: "ferrocket-compat".into(),
        ..RuntimeConfig::default()
    };
    // The push consumer runs offset bookkeeping on this lane; at its small default depth a backlog of ~1000
    // messages overflows it and the client redelivers (see compat/README or shared/compat/README.md).
    config.blocking_lane_policies.metadata_io.max_queue_depth = 4096;
    let owner = RuntimeOwner::plan(config)?.build()?;
    let telemetry = TelemetryRuntimeGuard::noop();
    let rt = ClientRuntime::try_new(
        owner.root_context().component("ferrocket-compat"),
        ClientRuntimeConfig::default(),
        telemetry.handle(),
    )?;
    let result = owner.block_on(async {
        let result = match cmd.as_str() {
            "route" | "cluster" | "topics" => admin::run(rt.clone(), &cmd, &a).await,
            "create-topic" => admin::create_topic(rt.clone(), &a).await,
            "produce" => produce::run(rt.clone(), &a).await,
            "consume" => consume::run(rt.clone(), &a).await,
            other => Err(format!("unknown command {other:?}")),
        };
        let _report = rt.shutdown().await;
        result
    });
    let _ = owner.shutdown_runtime_blocking();
    result.map_err(|e| e.into())
}
