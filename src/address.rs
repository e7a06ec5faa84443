//! The address a request comes from, as the sign-in limits key it: the peer's, or, when the
//! peer is a proxy the operator trusts (`BOTCONFIG_TRUSTED_PROXIES`), the client it reports
//! in `X-Forwarded-For`. An IPv6 client is keyed by its /64, the block one host is given.

use axum::http::HeaderMap;
use ipnet::IpNet;
use std::net::IpAddr;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list of addresses and networks: `127.0.0.1, 10.0.0.0/8, ::1`.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{item:?} is not an IP address or network"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client behind `peer`: walking `X-Forwarded-For` from the right (the entry the
    /// nearest proxy appended) past every trusted proxy; the peer itself when it is not
    /// trusted, or when the header is missing or unreadable.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect::<Vec<_>>();
        for hop in forwarded.iter().rev() {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// The key a client's sign-in failures are counted under: an IPv4 address as it is, an
/// IPv6 address by its /64 (an IPv4-mapped one as IPv4).
pub fn limit_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let network = ipnet::Ipv6Net::new(v6, 64)
                    .map(|n| n.trunc())
                    .unwrap_or_else(|_| ipnet::Ipv6Net::from(v6));
                network.to_string()
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(forwarded: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", forwarded.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxies = TrustedProxies::parse("127.0.0.1, 10.0.0.0/8").unwrap();
        let peer = |s: &str| s.parse::<IpAddr>().unwrap();
        // Not a trusted proxy: its claim is ignored.
        assert_eq!(
            proxies.client(peer("192.0.2.7"), &headers("203.0.113.9")),
            peer("192.0.2.7")
        );
        // Trusted: the nearest untrusted hop, whatever the client put before it.
        assert_eq!(
            proxies.client(
                peer("127.0.0.1"),
                &headers("1.1.1.1, 203.0.113.9, 10.1.2.3")
            ),
            peer("203.0.113.9")
        );
        assert_eq!(
            proxies.client(peer("127.0.0.1"), &HeaderMap::new()),
            peer("127.0.0.1")
        );
        assert_eq!(
            proxies.client(peer("127.0.0.1"), &headers("garbage")),
            peer("127.0.0.1")
        );
        assert!(TrustedProxies::parse("10.0.0.0/8, nonsense").is_err());
        assert_eq!(
            TrustedProxies::parse("").unwrap(),
            TrustedProxies::default()
        );
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let key = |s: &str| limit_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
        assert_eq!(key("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(key("192.0.2.1"), "192.0.2.1");
    }
}
