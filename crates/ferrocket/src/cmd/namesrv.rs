//! `ferrocket namesrv`: a stand-alone name server.

use anyhow::Context;
use clap::Args;
use ferrocket_namesrv::{NamesrvConfig, NamesrvServer};

use super::settings::{print_config, ConfigFlags};

#[derive(Args, Debug)]
pub struct NamesrvArgs {
    #[command(flatten)]
    pub config: ConfigFlags,
}

pub fn run(args: NamesrvArgs) -> anyhow::Result<()> {
    let config: NamesrvConfig = args.config.apply(&NamesrvConfig::default(), &[])?;
    if args.config.print {
        return print_config(&config);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("namesrv")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let shutdown = tokio_util::sync::CancellationToken::new();
        let server = NamesrvServer::start(config.clone(), shutdown.clone())
            .await
            .with_context(|| format!("name server could not listen on {}", config.listen_addr()))?;
        println!(
            "The Name Server boot success. serializeType=JSON, address {}",
            server.local_addr()
        );
        wait_for_signal().await;
        tracing::info!("shutting down");
        shutdown.cancel();
        server.stopped().await;
        Ok(())
    })
}

/// Resolves on SIGINT or SIGTERM.
pub async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
