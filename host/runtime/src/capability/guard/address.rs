//! Addresses, not only names: a request that goes out is resolved by the host, and every address the name
//! resolves to is checked before anything connects. A grant by host name reaches public addresses only;
//! loopback, private (RFC 1918), shared (100.64/10), link-local (169.254/16, the cloud metadata service at
//! 169.254.169.254; fe80::/10), unique-local (fc00::/7), unspecified, multicast, broadcast and reserved
//! addresses, and the IPv4-mapped, -compatible, NAT64 and 6to4 IPv6 forms of them, are refused unless
//! the governing grant sets `allow_private = true`. A grant naming an IP literal names its address itself
//! and is never refused here (a literal request only ever matches the same literal in a grant).
//!
//! If *any* address of a name is refused, the request is: a name that resolves to a public and a private
//! address is not a public name. The addresses checked are the ones [`super::connect`] connects to, so the
//! name cannot be resolved again, differently, between the check and the connection (DNS rebinding).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use drydock_policy::{Host, TargetUrl};

/// Why a request's addresses are not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressRefusal {
    /// An address is not public and the grant does not allow it: a denial (the journal's reason).
    Denied(String),
    /// The name could not be resolved (an error of the request, not a decision).
    Unresolvable(String),
}

/// The addresses to connect to for `target`, each checked; `allow_private` is the governing grant's flag.
pub async fn resolve_checked(
    target: &TargetUrl,
    allow_private: bool,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, AddressRefusal> {
    let port = target.port();
    let name = match target.host() {
        Host::Ipv4(ip) => return Ok(vec![SocketAddr::new(IpAddr::V4(*ip), port)]),
        Host::Ipv6(ip) => return Ok(vec![SocketAddr::new(IpAddr::V6(*ip), port)]),
        Host::Domain(name) => name.as_str(),
    };
    let addrs: Vec<SocketAddr> =
        match tokio::time::timeout(timeout, tokio::net::lookup_host((name, port))).await {
            Err(_) => {
                return Err(AddressRefusal::Unresolvable(format!(
                    "resolving `{name}` took longer than {timeout:?}"
                )));
            }
            Ok(Err(err)) => {
                return Err(AddressRefusal::Unresolvable(format!(
                    "`{name}` could not be resolved: {err}"
                )));
            }
            Ok(Ok(addrs)) => addrs.collect(),
        };
    if addrs.is_empty() {
        return Err(AddressRefusal::Unresolvable(format!(
            "`{name}` resolves to no address"
        )));
    }
    if !allow_private
        && let Some((ip, kind)) = addrs
            .iter()
            .find_map(|a| non_public(a.ip()).map(|kind| (a.ip(), kind)))
    {
        return Err(AddressRefusal::Denied(format!(
            "address rule: `{name}` resolves to {ip}, {kind}; a grant by host name reaches public addresses \
             only: name the address in the grant ({}://{}:{port}/) or set allow_private = true on it",
            target.scheme().as_str(),
            match ip {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            }
        )));
    }
    Ok(addrs)
}

/// What kind of non-public address `ip` is, or `None` for a public one.
pub fn non_public(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        _ if ip.is_unspecified() || a == 0 => "an unspecified address (0.0.0.0/8)",
        _ if ip.is_loopback() => "a loopback address",
        _ if ip.is_private() => "a private address (RFC 1918)",
        (100, 64..=127, _) => "a shared address (100.64.0.0/10, carrier-grade NAT)",
        _ if ip.is_link_local() => {
            "a link-local address (169.254.0.0/16, where cloud metadata services live)"
        }
        _ if ip.is_broadcast() => "the broadcast address",
        _ if ip.is_multicast() => "a multicast address",
        (192, 0, 0) => "an IETF protocol address (192.0.0.0/24)",
        (198, 18..=19, _) => "a benchmarking address (198.18.0.0/15)",
        _ if a >= 240 => "a reserved address (240.0.0.0/4)",
        _ => return None,
    })
}

fn non_public_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let segments = ip.segments();
    // Forms that carry an IPv4 address: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64
    // (64:ff9b::a.b.c.d) and 6to4 (2002:aabb:ccdd::).
    if let Some(v4) = ip.to_ipv4_mapped() {
        return non_public_v4(v4);
    }
    let embedded =
        |hi: u16, lo: u16| Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8);
    if segments[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_unspecified() && !ip.is_loopback() {
        return non_public_v4(embedded(segments[6], segments[7]));
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return non_public_v4(embedded(segments[6], segments[7]));
    }
    if segments[0] == 0x2002 {
        return non_public_v4(embedded(segments[1], segments[2]));
    }
    Some(match segments[0] {
        _ if ip.is_unspecified() => "the unspecified address (::)",
        _ if ip.is_loopback() => "the loopback address (::1)",
        s if s & 0xfe00 == 0xfc00 => "a unique-local address (fc00::/7)",
        s if s & 0xffc0 == 0xfe80 => "a link-local address (fe80::/10)",
        s if s & 0xffc0 == 0xfec0 => "a site-local address (fec0::/10)",
        s if s & 0xff00 == 0xff00 => "a multicast address",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_non_public_range_is_named_and_public_addresses_pass() {
        for private in [
            "127.0.0.1",
            "127.9.9.9",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "100.64.0.1",
            "169.254.169.254",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2002:7f00:1::",
        ] {
            let ip: IpAddr = private.parse().unwrap();
            assert!(non_public(ip).is_some(), "{private} passed as public");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert_eq!(non_public(ip), None, "{public}");
        }
    }

    #[tokio::test]
    async fn a_name_resolving_to_loopback_is_denied_unless_private_is_allowed() {
        let target = TargetUrl::parse("http://localhost:9/x").unwrap();
        let refused = resolve_checked(&target, false, Duration::from_secs(5)).await;
        let Err(AddressRefusal::Denied(reason)) = refused else {
            panic!("{refused:?}");
        };
        assert!(
            reason.contains("loopback") && reason.contains("allow_private"),
            "{reason}"
        );
        let allowed = resolve_checked(&target, true, Duration::from_secs(5))
            .await
            .unwrap();
        assert!(
            allowed
                .iter()
                .all(|a| a.ip().is_loopback() && a.port() == 9)
        );
    }

    #[tokio::test]
    async fn an_ip_literal_is_its_own_address() {
        let target = TargetUrl::parse("http://127.0.0.1:9/x").unwrap();
        let addrs = resolve_checked(&target, false, Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(addrs, vec!["127.0.0.1:9".parse::<SocketAddr>().unwrap()]);
    }
}
