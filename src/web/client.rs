//! Who the client is, behind the reverse proxies `TRUSTED_PROXIES` names.
//!
//! A proxy in front of the server connects from its own address; it says
//! whom it forwards for in `X-Forwarded-For` (or `Forwarded`) and whether
//! the client used HTTPS in `X-Forwarded-Proto`. Anyone can send those
//! headers, so they are believed only from a trusted proxy, and only as far
//! as the chain of trusted proxies reaches: reading the forwarded addresses
//! from the right (the nearest hop first), the first address that is not a
//! trusted proxy is the client. What a client wrote further left is its
//! own claim and ignored.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request};

use crate::config::Network;

fn trusted(proxies: &[Network], ip: IpAddr) -> bool {
    proxies.iter().any(|net| net.contains(ip))
}

/// The client's address: the connection's own, or, when that is a trusted
/// proxy, the nearest untrusted address it forwards for.
#[must_use]
pub fn address(proxies: &[Network], peer: Option<IpAddr>, headers: &HeaderMap) -> Option<IpAddr> {
    let peer = peer?;
    if proxies.is_empty() || !trusted(proxies, peer) {
        return Some(peer);
    }
    let chain = forwarded_for(headers);
    let mut client = peer;
    for hop in chain.iter().rev() {
        // An entry we cannot read ("unknown", an obfuscated name) ends
        // what we can believe: the last trusted hop is all we know.
        let Some(ip) = hop else { break };
        client = *ip;
        if !trusted(proxies, *ip) {
            break;
        }
    }
    Some(client)
}

/// Whether a trusted proxy says the client reached it over HTTPS.
#[must_use]
pub fn forwarded_https(proxies: &[Network], peer: Option<IpAddr>, headers: &HeaderMap) -> bool {
    let Some(peer) = peer else { return false };
    if proxies.is_empty() || !trusted(proxies, peer) {
        return false;
    }
    // The nearest proxy's word: the last value it set or appended.
    if let Some(proto) = all_values(headers, "x-forwarded-proto").last() {
        return proto.eq_ignore_ascii_case("https");
    }
    forwarded_elements(headers)
        .last()
        .and_then(|element| parameter(element, "proto"))
        .is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// The client address of a request, by the server's settings.
pub fn of_request<B>(proxies: &[Network], request: &Request<B>) -> Option<IpAddr> {
    address(proxies, peer(request), request.headers())
}

/// The address the request's connection comes from.
pub fn peer<B>(request: &Request<B>) -> Option<IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The comma-separated values of every `name` header, in order.
fn all_values<'h>(headers: &'h HeaderMap, name: &str) -> Vec<&'h str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// The elements of `Forwarded` (RFC 7239), in order.
fn forwarded_elements(headers: &HeaderMap) -> Vec<&str> {
    all_values(headers, "forwarded")
}

/// A parameter (`for`, `proto`) of one `Forwarded` element, unquoted.
fn parameter<'e>(element: &'e str, name: &str) -> Option<&'e str> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"'))
    })
}

/// The forwarded-for chain, oldest first: `Forwarded` when present, else
/// `X-Forwarded-For`; `None` for an entry that is not an address.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded = forwarded_elements(headers);
    if forwarded.is_empty() {
        all_values(headers, "x-forwarded-for")
            .into_iter()
            .map(parse_node)
            .collect()
    } else {
        forwarded
            .into_iter()
            .map(|element| parameter(element, "for").and_then(parse_node))
            .collect()
    }
}

/// `1.2.3.4`, `1.2.3.4:80`, `::1`, `[::1]` or `[::1]:80`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim();
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(addr) = node.parse::<SocketAddr>() {
        return Some(addr.ip());
    }
    node.strip_prefix('[')
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(ip, _)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().expect("value"));
        }
        h
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let proxies = Network::parse_list("127.0.0.1, 10.0.0.0/8").expect("list");
        let h = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(
            address(&proxies, Some(ip("127.0.0.1")), &h),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            address(&proxies, Some(ip("198.51.100.1")), &h),
            Some(ip("198.51.100.1")),
            "a stranger's header is ignored"
        );
        assert_eq!(
            address(&[], Some(ip("127.0.0.1")), &h),
            Some(ip("127.0.0.1"))
        );
    }

    #[test]
    fn the_nearest_untrusted_hop_is_the_client() {
        let proxies = Network::parse_list("127.0.0.1, 10.0.0.0/8").expect("list");
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.1.2.3")]);
        assert_eq!(
            address(&proxies, Some(ip("127.0.0.1")), &h),
            Some(ip("203.0.113.9"))
        );
        let two = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "203.0.113.9"),
        ]);
        assert_eq!(
            address(&proxies, Some(ip("127.0.0.1")), &two),
            Some(ip("203.0.113.9"))
        );
        let unreadable = headers(&[("x-forwarded-for", "203.0.113.9, unknown")]);
        assert_eq!(
            address(&proxies, Some(ip("127.0.0.1")), &unreadable),
            Some(ip("127.0.0.1")),
            "nothing left of an unreadable hop is believed"
        );
    }

    #[test]
    fn forwarded_is_read_too() {
        let proxies = Network::parse_list("127.0.0.1").expect("list");
        let h = headers(&[(
            "forwarded",
            "for=6.6.6.6, for=\"[2001:db8::17]:4711\";proto=https",
        )]);
        assert_eq!(
            address(&proxies, Some(ip("127.0.0.1")), &h),
            Some(ip("2001:db8::17"))
        );
        assert!(forwarded_https(&proxies, Some(ip("127.0.0.1")), &h));
        let v4 = headers(&[("forwarded", "for=\"192.0.2.43:47011\"")]);
        assert_eq!(
            address(&proxies, Some(ip("127.0.0.1")), &v4),
            Some(ip("192.0.2.43"))
        );
    }

    #[test]
    fn https_is_believed_from_trusted_proxies_only() {
        let proxies = Network::parse_list("127.0.0.1").expect("list");
        let h = headers(&[("x-forwarded-proto", "https")]);
        assert!(forwarded_https(&proxies, Some(ip("127.0.0.1")), &h));
        assert!(!forwarded_https(&proxies, Some(ip("192.0.2.1")), &h));
        assert!(!forwarded_https(&[], Some(ip("127.0.0.1")), &h));
        let http = headers(&[("x-forwarded-proto", "https, http")]);
        assert!(!forwarded_https(&proxies, Some(ip("127.0.0.1")), &http));
    }
}
