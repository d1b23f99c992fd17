//! The client address of a request: what login throttling counts failures against and what the
//! request log shows.
//!
//! It is the TCP peer, unless the peer is one of the `trusted_proxies`. Then the forwarding
//! headers name the client: the rightmost address of `X-Forwarded-For` that is not itself a
//! trusted proxy (every proxy appends the address it received the request from, so what lies
//! left of the first untrusted hop was written by the client and proves nothing). RFC 7239
//! `Forwarded: for=` is read the same way, but only when the request has no `X-Forwarded-For`:
//! most proxies append to `X-Forwarded-For` and pass a client's `Forwarded` through untouched,
//! so a proxy that writes only `Forwarded` must strip `X-Forwarded-For` from client requests.
//!
//! Headers from a peer that is not trusted are ignored: a client must not pick the key its
//! failed logins are counted under. When a trusted proxy sends a header whose needed part does
//! not parse (or says `unknown`), the peer is used.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use http::HeaderMap;

/// An address or a network in CIDR notation (`10.0.0.0/8`, `fd00::/8`, `127.0.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<IpNet, String> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?} is not an IP address or a network like 10.0.0.0/8"))?;
        let addr = canonical(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("{s:?}: the prefix length must be 0 to {max}"))?,
        };
        Ok(IpNet { addr, prefix })
    }
}

impl fmt::Display for IpNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// The proxies whose forwarding headers are believed. Empty by default: then only the TCP peer
/// counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies {
    nets: Vec<IpNet>,
}

impl TrustedProxies {
    pub fn new(nets: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies { nets }
    }

    /// Parses each entry (an address or a CIDR network).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, String> {
        entries
            .iter()
            .map(|e| e.as_ref().parse())
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies::new)
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(ip))
    }

    /// The client address of a request that came from `peer` with `headers` (see the module
    /// documentation).
    pub fn client_addr(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.contains(peer) {
            return peer;
        }
        let xff: Vec<&[u8]> = headers
            .get_all("x-forwarded-for")
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        let hops = if !xff.is_empty() {
            forwarded_for_hops(&xff)
        } else {
            let fwd: Vec<&[u8]> = headers
                .get_all(http::header::FORWARDED)
                .iter()
                .map(|v| v.as_bytes())
                .collect();
            if fwd.is_empty() {
                return peer;
            }
            forwarded_hops(&fwd)
        };
        let Some(hops) = hops else {
            return peer;
        };
        // Right to left: the first hop that is not a trusted proxy is the client. A hop that
        // does not parse before it is found means the chain cannot be read: the peer.
        let mut last = None;
        for hop in hops.iter().rev() {
            let Some(ip) = hop.map(canonical) else {
                return peer;
            };
            if !self.contains(ip) {
                return ip;
            }
            last = Some(ip);
        }
        // Every hop is a trusted proxy: the one farthest from us sent it.
        last.unwrap_or(peer)
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`, how a dual-stack socket reports an IPv4
/// peer) as IPv4, so one client has one address whichever way it connected.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// The hops of `X-Forwarded-For` headers (several header lines are one list, in order); `None`
/// for a hop that is not an address. `None` overall when a header is not text.
fn forwarded_for_hops(values: &[&[u8]]) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    for v in values {
        let text = std::str::from_utf8(v).ok()?;
        hops.extend(text.split(',').map(|h| parse_node(h.trim())));
    }
    Some(hops)
}

/// The `for=` of every element of RFC 7239 `Forwarded` headers; `None` for an element without
/// one, or whose node is `unknown`, obfuscated or malformed.
fn forwarded_hops(values: &[&[u8]]) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    for v in values {
        let text = std::str::from_utf8(v).ok()?;
        for element in split_unquoted(text, ',') {
            let node = split_unquoted(element, ';').into_iter().find_map(|pair| {
                let (k, v) = pair.split_once('=')?;
                k.trim().eq_ignore_ascii_case("for").then(|| v.trim())
            });
            hops.push(node.and_then(|n| {
                let n = match n.strip_prefix('"') {
                    Some(q) => q.strip_suffix('"')?,
                    None => n,
                };
                parse_node(n)
            }));
        }
    }
    Some(hops)
}

/// Splits at `sep` outside double quotes.
fn split_unquoted(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:80`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let ip: Ipv6Addr = ip.parse().ok()?;
        return (after.is_empty() || valid_port(after.strip_prefix(':')?))
            .then_some(IpAddr::V6(ip));
    }
    let (ip, port) = node.split_once(':')?;
    let ip: Ipv4Addr = ip.parse().ok()?;
    valid_port(port).then_some(IpAddr::V4(ip))
}

fn valid_port(p: &str) -> bool {
    !p.is_empty() && p.parse::<u16>().is_ok()
}

/// The key failed logins from `ip` are counted under: the address, or for IPv6 its /64, since
/// one host is routinely given a whole /64 and could otherwise try from a fresh address each
/// time.
pub fn throttle_key(ip: IpAddr) -> IpAddr {
    match canonical(ip) {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u128::MAX >> 64))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn trusted(list: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(list).unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn networks_parse_and_match() {
        let n: IpNet = "10.1.0.0/16".parse().unwrap();
        assert!(n.contains(ip("10.1.255.3")));
        assert!(!n.contains(ip("10.2.0.1")));
        assert!(n.contains(ip("::ffff:10.1.0.9")), "mapped IPv4");
        assert!(!n.contains(ip("::1")));
        let one: IpNet = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")) && !one.contains(ip("127.0.0.2")));
        let v6: IpNet = "fd00:1::/32".parse().unwrap();
        assert!(v6.contains(ip("fd00:1::5")) && !v6.contains(ip("fd00:2::5")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let all: IpNet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
        let all6: IpNet = "::/0".parse().unwrap();
        assert!(all6.contains(ip("2001:db8::1")));
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "10.0.0/8",
            "host",
            "10.0.0.0/x",
            "1.2.3.4/",
        ] {
            assert!(bad.parse::<IpNet>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn without_trust_the_peer_is_the_client_and_headers_are_ignored() {
        let h = headers(&[
            ("x-forwarded-for", "203.0.113.7"),
            ("forwarded", "for=203.0.113.8"),
        ]);
        let none = TrustedProxies::default();
        assert_eq!(none.client_addr(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        // A spoofing client that is not the trusted proxy.
        let t = trusted(&["10.0.0.1"]);
        assert_eq!(t.client_addr(ip("198.51.100.1"), &h), ip("198.51.100.1"));
        assert_eq!(
            t.client_addr(ip("::ffff:198.51.100.1"), &h),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn rightmost_untrusted_hop_of_x_forwarded_for() {
        let t = trusted(&["10.0.0.0/8"]);
        let peer = ip("10.0.0.1");
        let c = |v: &str| t.client_addr(peer, &headers(&[("x-forwarded-for", v)]));
        assert_eq!(c("203.0.113.7"), ip("203.0.113.7"));
        // The client wrote the first two; the proxy appended the real address.
        assert_eq!(c("1.1.1.1, 2.2.2.2, 203.0.113.7"), ip("203.0.113.7"));
        // Proxies in front of the trusted one.
        assert_eq!(
            c("1.1.1.1, 203.0.113.7, 10.0.0.5, 10.9.9.9"),
            ip("203.0.113.7")
        );
        // Garbage the client put left of the real address does not matter.
        assert_eq!(c("not-an-ip, 203.0.113.7"), ip("203.0.113.7"));
        assert_eq!(c("203.0.113.7:5555"), ip("203.0.113.7"));
        // A malformed hop where the client should be: the peer.
        assert_eq!(c("1.1.1.1, bogus"), peer);
        assert_eq!(c("1.1.1.1, bogus, 10.0.0.5"), peer);
        assert_eq!(c(""), peer);
        assert_eq!(c("unknown"), peer);
        // Only trusted hops: the farthest.
        assert_eq!(c("10.0.0.7, 10.0.0.5"), ip("10.0.0.7"));
        // Several header lines are one list.
        let two = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(t.client_addr(peer, &two), ip("203.0.113.9"));
        // No header from the trusted proxy: itself.
        assert_eq!(t.client_addr(peer, &HeaderMap::new()), peer);
    }

    #[test]
    fn ipv6_hops_and_proxies() {
        let t = trusted(&["::1", "fd00::/8"]);
        let c = |peer: &str, v: &str| t.client_addr(ip(peer), &headers(&[("x-forwarded-for", v)]));
        assert_eq!(c("::1", "2001:db8::7"), ip("2001:db8::7"));
        assert_eq!(c("::1", "[2001:db8::7]:443"), ip("2001:db8::7"));
        assert_eq!(c("::1", "2001:db8::7, fd00::3"), ip("2001:db8::7"));
        assert_eq!(c("fd12::1", "198.51.100.4"), ip("198.51.100.4"));
        assert_eq!(c("::1", "::ffff:198.51.100.4"), ip("198.51.100.4"));
        assert_eq!(c("::1", "[2001:db8::7"), ip("::1"));
        // Not trusted: the header is ignored.
        assert_eq!(c("2001:db8::99", "2001:db8::7"), ip("2001:db8::99"));
    }

    #[test]
    fn rfc7239_forwarded() {
        let t = trusted(&["127.0.0.1"]);
        let peer = ip("127.0.0.1");
        let c = |v: &str| t.client_addr(peer, &headers(&[("forwarded", v)]));
        assert_eq!(
            c("for=192.0.2.60;proto=http;by=203.0.113.43"),
            ip("192.0.2.60")
        );
        assert_eq!(
            c("For=\"[2001:db8:cafe::17]:4711\""),
            ip("2001:db8:cafe::17")
        );
        assert_eq!(c("for=1.1.1.1, for=192.0.2.60"), ip("192.0.2.60"));
        assert_eq!(c("for=192.0.2.60, for=127.0.0.1"), ip("192.0.2.60"));
        assert_eq!(c("for=\"192.0.2.60:80\";proto=\"a,b\""), ip("192.0.2.60"));
        assert_eq!(c("for=unknown"), peer);
        assert_eq!(c("for=_hidden"), peer);
        assert_eq!(c("proto=https"), peer);
        assert_eq!(c("for=\"[2001:db8::1]"), peer);
        // X-Forwarded-For wins when both are present (the proxy appended to it).
        let both = headers(&[
            ("forwarded", "for=1.1.1.1"),
            ("x-forwarded-for", "192.0.2.61"),
        ]);
        assert_eq!(t.client_addr(peer, &both), ip("192.0.2.61"));
    }

    #[test]
    fn ipv6_clients_are_throttled_by_their_64() {
        assert_eq!(
            throttle_key(ip("2001:db8:1:2:aaaa::1")),
            throttle_key(ip("2001:db8:1:2:bbbb::9"))
        );
        assert_ne!(
            throttle_key(ip("2001:db8:1:2::1")),
            throttle_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(throttle_key(ip("::ffff:1.2.3.4")), ip("1.2.3.4"));
        assert_ne!(throttle_key(ip("1.2.3.4")), throttle_key(ip("1.2.3.5")));
    }
}
