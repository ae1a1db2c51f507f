//! `ferrocket standalone`: a name server and a broker in one process, for development and tests.
//!
//! Without `-c` the name server listens on 127.0.0.1:9876 and the broker on 10911. With a configuration file (or
//! `--set namesrvAddr=...`) the embedded name server listens where `namesrvAddr` points, which must then be one
//! local address; port 0 picks a free port for either server.

use std::net::IpAddr;

use anyhow::{bail, Context};
use clap::Args;
use ferrocket_namesrv::{NamesrvConfig, NamesrvServer};

use super::broker::{load_config, runtime, start};
use super::namesrv::wait_for_signal;
use super::settings::{print_config, ConfigFlags};

/// Where the embedded name server listens when nothing says otherwise.
pub const DEFAULT_NAMESRV: &str = "127.0.0.1:9876";

#[derive(Args, Debug)]
pub struct StandaloneArgs {
    #[command(flatten)]
    pub config: ConfigFlags,
}

/// The embedded name server's listen address: `namesrvAddr` when given, which must be a single `ip:port` (or
/// `localhost:port`). Whether the ip is local is settled by binding it.
pub fn namesrv_listen(namesrv_addr: Option<&str>) -> anyhow::Result<(IpAddr, u16)> {
    let Some(list) = namesrv_addr else {
        return namesrv_listen(Some(DEFAULT_NAMESRV));
    };
    let addrs: Vec<&str> = list
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let [one] = addrs[..] else {
        bail!(
            "standalone runs its own name server, so namesrvAddr must be ONE local address (host:port), got `{list}`"
        );
    };
    let Some((host, port)) = one.rsplit_once(':') else {
        bail!("namesrvAddr `{one}` is not host:port");
    };
    let port: u16 = port
        .parse()
        .with_context(|| format!("namesrvAddr `{one}`: bad port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::from([127, 0, 0, 1])
    } else {
        host.parse().with_context(|| {
            format!("namesrvAddr `{one}`: the host must be a local IP address or localhost")
        })?
    };
    Ok((ip, port))
}

pub fn run(args: StandaloneArgs) -> anyhow::Result<()> {
    let props = args.config.properties()?;
    let mut config = load_config(&args.config, None)?;
    // The environment's NAMESRV_ADDR describes some other deployment: only an explicit setting counts here.
    let (ns_ip, ns_port) = namesrv_listen(props.get("namesrvAddr").map(String::as_str))?;
    let advertised_ip = if ns_ip.is_unspecified() {
        IpAddr::from([127, 0, 0, 1])
    } else {
        ns_ip
    };
    if args.config.print {
        config.namesrv_addr = std::net::SocketAddr::new(advertised_ip, ns_port).to_string();
        return print_config(&config);
    }
    runtime("standalone")?.block_on(async move {
        let shutdown = tokio_util::sync::CancellationToken::new();
        let ns_config = NamesrvConfig {
            listen_port: ns_port,
            bind_address: ns_ip.to_string(),
            ..NamesrvConfig::default()
        };
        let namesrv = NamesrvServer::start(ns_config, shutdown.clone())
            .await
            .with_context(|| {
                format!(
                    "the embedded name server could not listen on {} (namesrvAddr must be a free local address)",
                    std::net::SocketAddr::new(ns_ip, ns_port)
                )
            })?;
        let ns_addr = std::net::SocketAddr::new(advertised_ip, namesrv.local_addr().port());
        config.namesrv_addr = ns_addr.to_string();
        let name = config.broker_name.clone();
        let broker = match start(config).await {
            Ok(b) => b,
            Err(e) => {
                shutdown.cancel();
                return Err(e);
            }
        };
        println!(
            "The standalone name server listening on {ns_addr} and broker[{name}] boot success, listening on {}",
            broker.broker_addr()
        );
        wait_for_signal().await;
        tracing::info!("shutting down");
        broker.shutdown().await;
        shutdown.cancel();
        namesrv.stopped().await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namesrv_address_rules() {
        assert_eq!(
            namesrv_listen(None).unwrap(),
            (IpAddr::from([127, 0, 0, 1]), 9876)
        );
        assert_eq!(
            namesrv_listen(Some("localhost:0")).unwrap(),
            (IpAddr::from([127, 0, 0, 1]), 0)
        );
        assert_eq!(namesrv_listen(Some(" 127.0.0.1:19876; ")).unwrap().1, 19876);
        for bad in [
            "a:1;b:2",
            "",
            "127.0.0.1",
            "127.0.0.1:x",
            "name.example:9876",
        ] {
            assert!(namesrv_listen(Some(bad)).is_err(), "{bad}");
        }
    }
}
