//! What a request says of where it came from (`X-Forwarded-For`, `-Proto`, `-Host`) is believed
//! only from a trusted reverse proxy (`--trusted-proxy`). From one, the client's address
//! replaces the proxy's as the request's peer, so the sign-in throttle counts each client on its
//! own; from anyone else the headers are removed before any handler or page sees them, so no
//! caller can pass as another address or claim a TLS connection it does not have.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use ipnet::IpNet;

const FORWARDED: [&str; 4] = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded"];

/// `10.0.0.0/8`, `192.0.2.7` or `::1`: a range, or one address as a range of one.
pub fn parse_proxy(s: &str) -> anyhow::Result<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| anyhow::anyhow!("--trusted-proxy {s:?} is neither an address nor a CIDR range"))
}

/// The client behind a chain of proxies: the right-most address of `X-Forwarded-For` that is
/// not itself a trusted proxy (addresses to its left are the client's say and are not believed).
pub fn client_of(chain: &str, proxies: &[IpNet]) -> Option<IpAddr> {
    chain
        .split(',')
        .rev()
        .map(str::trim)
        .map(|a| a.parse::<IpAddr>().ok().or_else(|| a.parse::<SocketAddr>().ok().map(|s| s.ip())))
        .take_while(Option::is_some)
        .flatten()
        .map(|ip| ip.to_canonical())
        .find(|ip| !proxies.iter().any(|p| p.contains(ip)))
}

/// Applies the rule above to one request.
pub fn settle(proxies: &[IpNet], mut req: Request) -> Request {
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
    // A dual-stack listener sees IPv4 peers as ::ffff:a.b.c.d.
    let trusted = peer.is_some_and(|p| proxies.iter().any(|n| n.contains(&p.ip().to_canonical())));
    if !trusted {
        for name in FORWARDED {
            req.headers_mut().remove(name);
        }
        return req;
    }
    let chain = req.headers().get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>();
    if let (Some(peer), Some(client)) = (peer, client_of(&chain.join(","), proxies)) {
        req.extensions_mut().insert(ConnectInfo(SocketAddr::new(client, peer.port())));
    }
    req
}
