//! `ferrocket broker`: a broker (Apache's `mqbroker`).

use anyhow::Context;
use clap::Args;
use ferrocket_broker::config::KEY_ALIASES;
use ferrocket_broker::{BrokerConfig, BrokerServer};

use super::namesrv::wait_for_signal;
use super::settings::{print_config, ConfigFlags};

#[derive(Args, Debug)]
pub struct BrokerArgs {
    #[command(flatten)]
    pub config: ConfigFlags,
    /// Name server address list, e.g. "10.0.0.1:9876;10.0.0.2:9876" (overrides namesrvAddr).
    #[arg(short = 'n', long = "namesrvAddr", value_name = "ADDRS")]
    pub namesrv_addr: Option<String>,
}

/// The broker configuration from the file, `--set` flags and `-n`, normalized as Apache's startup does.
pub fn load_config(
    flags: &ConfigFlags,
    namesrv_addr: Option<&str>,
) -> anyhow::Result<BrokerConfig> {
    let mut config: BrokerConfig = flags.apply(&BrokerConfig::default(), KEY_ALIASES)?;
    if let Some(n) = namesrv_addr {
        config.namesrv_addr = n.to_string();
    }
    let ha_port_explicit = flags.properties()?.contains_key("haListenPort");
    config.normalize(ha_port_explicit);
    Ok(config)
}

/// A tokio runtime for a server process.
pub fn runtime(name: &str) -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(name)
        .build()
        .context("starting the async runtime")
}

/// Starts the broker and explains a failure in terms of the configuration.
pub async fn start(config: BrokerConfig) -> anyhow::Result<BrokerServer> {
    let listen = format!("{}:{}", config.bind_address, config.listen_port);
    let root = config.store.store_path_root_dir.clone();
    BrokerServer::start(config)
        .await
        .with_context(|| format!("broker could not start (listen {listen}, store {root})"))
}

pub fn run(args: BrokerArgs) -> anyhow::Result<()> {
    let config = load_config(&args.config, args.namesrv_addr.as_deref())?;
    if args.config.print {
        return print_config(&config);
    }
    runtime("broker")?.block_on(async move {
        let namesrv = match config.namesrv_addr.trim() {
            "" => "(none)".to_string(),
            n => n.to_string(),
        };
        let name = config.broker_name.clone();
        let broker = start(config).await?;
        println!(
            "The broker[{name}, {addr}] boot success. serializeType=JSON and name server is {namesrv}; listening on {addr}",
            addr = broker.broker_addr()
        );
        wait_for_signal().await;
        tracing::info!("shutting down");
        broker.shutdown().await;
        Ok(())
    })
}
