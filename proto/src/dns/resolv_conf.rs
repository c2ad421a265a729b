//! The nameservers of a resolv.conf(5) text.

use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};

/// The port nameservers listen on.
pub const DNS_PORT: u16 = 53;

/// The nameservers of the text of `/etc/resolv.conf`, in order, on port 53.
///
/// Only `nameserver` lines count; the address may be IPv4 or IPv6, an IPv6 address may carry a
/// numeric zone (`fe80::1%2`). Comments (`#`, `;`), other options and anything that does not
/// parse are ignored, as the system resolver does.
///
/// ```
/// use sipsimple_proto::dns::parse_resolv_conf;
///
/// let servers = parse_resolv_conf("# local\nsearch example.com\nnameserver 192.0.2.53\n\
///                                  nameserver 2001:db8::53\nnameserver bogus\n");
/// assert_eq!(servers, ["192.0.2.53:53".parse().unwrap(), "[2001:db8::53]:53".parse().unwrap()]);
/// ```
pub fn parse_resolv_conf(text: &str) -> Vec<SocketAddr> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split(['#', ';']).next().unwrap_or_default();
        let mut words = line.split_ascii_whitespace();
        if words.next() != Some("nameserver") {
            continue;
        }
        let Some(addr) = words.next().and_then(parse_address) else {
            continue;
        };
        if !out.contains(&addr) {
            out.push(addr);
        }
    }
    out
}

fn parse_address(word: &str) -> Option<SocketAddr> {
    if let Ok(ip) = word.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, DNS_PORT));
    }
    let (ip, zone) = word.split_once('%')?;
    let ip: Ipv6Addr = ip.parse().ok()?;
    let zone: u32 = zone.parse().ok()?;
    Some(SocketAddr::V6(SocketAddrV6::new(ip, DNS_PORT, 0, zone)))
}
