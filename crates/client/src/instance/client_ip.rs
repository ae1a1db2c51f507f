//! Finding the IP that goes into the client id and message ids.

use std::net::{IpAddr, Ipv4Addr};

/// The local address the OS would use to reach the first resolvable name server. A connected UDP socket sends
/// nothing; it only asks the routing table. Falls back to 127.0.0.1.
pub(crate) async fn detect(namesrv_addrs: &[String]) -> IpAddr {
    for addr in namesrv_addrs {
        let Ok(mut resolved) = tokio::net::lookup_host(addr.as_str()).await else {
            continue;
        };
        let Some(target) = resolved.next() else {
            continue;
        };
        let bind = if target.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let Ok(socket) = tokio::net::UdpSocket::bind(bind).await else {
            continue;
        };
        if socket.connect(target).await.is_ok() {
            if let Ok(local) = socket.local_addr() {
                if !local.ip().is_unspecified() {
                    return local.ip();
                }
            }
        }
    }
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loopback_name_server_gives_loopback_ip() {
        assert_eq!(
            detect(&["127.0.0.1:9".to_string()]).await,
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            detect(&["missing-port".to_string()]).await,
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        );
    }
}
