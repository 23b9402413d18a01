//! Requests the server makes to addresses it did not choose: link previews,
//! push services, webhooks. Anyone who can post a link or register a push
//! subscription names the target, so every such request goes through this
//! one client, which refuses to reach the server's own networks (SSRF).
//!
//! The guard sits where addresses are final, not where names are: the DNS
//! resolver refuses a name if any address it resolves to is not public, and
//! the connection uses exactly those addresses, so a name that resolves to
//! a public address for a check and to `127.0.0.1` for the connection
//! (DNS rebinding) gains nothing. Literal addresses never reach a resolver,
//! so they are checked on the first URL and on every redirect. Only `http`
//! and `https`, a few redirects, a time limit and a size limit.
//! `OUTBOUND_ALLOW_NETWORKS` lets an intranet or a test reach listed
//! private networks on purpose.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::HeaderMap;
use reqwest::{Method, Url};

use crate::config::Network;

/// Redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 3;

/// How long and how large one request may be.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The whole request: connecting, sending, and reading the body.
    pub timeout: Duration,
    /// The most response body bytes read; a longer body is an error.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(10),
            max_bytes: 1024 * 1024,
        }
    }
}

/// Why an outbound request did not give an answer.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// The URL is not an `http` or `https` address of a host.
    #[error("{0}")]
    BadUrl(String),
    /// The target (or a redirect's target) is on a network the server may not reach.
    #[error("{0} is not a public address")]
    Refused(String),
    /// More redirects than [`MAX_REDIRECTS`].
    #[error("too many redirects")]
    TooManyRedirects,
    /// The body was longer than the limit.
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    /// No answer within the limit.
    #[error("no answer in time")]
    Timeout,
    /// The connection or the HTTP exchange failed.
    #[error("{0}")]
    Failed(String),
}

/// One request: a method, a URL, headers and an optional body.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: Method,
    /// The target; checked before anything is sent.
    pub url: String,
    /// Headers sent as given.
    pub headers: HeaderMap,
    /// The body, if any.
    pub body: Option<Bytes>,
    /// Time and size limits.
    pub limits: Limits,
}

impl Request {
    /// A `GET` of `url` with default limits.
    #[must_use]
    pub fn get(url: &str) -> Self {
        Self {
            method: Method::GET,
            url: url.to_owned(),
            headers: HeaderMap::new(),
            body: None,
            limits: Limits::default(),
        }
    }

    /// A `POST` of `body` to `url` with default limits.
    #[must_use]
    pub fn post(url: &str, body: impl Into<Bytes>) -> Self {
        Self {
            method: Method::POST,
            body: Some(body.into()),
            ..Self::get(url)
        }
    }
}

/// An answer, read whole within the limits.
#[derive(Debug, Clone)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The URL that answered, after redirects.
    pub url: String,
    /// The answer's headers.
    pub headers: HeaderMap,
    /// The answer's body.
    pub body: Bytes,
}

/// The guarded client. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    guard: Arc<Guard>,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("allow", &self.guard.allow)
            .finish_non_exhaustive()
    }
}

impl Outbound {
    /// A client that may also reach the networks in `allow`.
    ///
    /// # Errors
    /// When the TLS client cannot be built (no usable root certificates).
    pub fn new(allow: Vec<Network>, user_agent: &str) -> Result<Self, OutboundError> {
        let guard = Arc::new(Guard { allow });
        let redirect_guard = guard.clone();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config()?)
            .user_agent(user_agent)
            .no_proxy()
            .connect_timeout(Duration::from_secs(5))
            .dns_resolver(Arc::new(GuardedResolver {
                guard: guard.clone(),
            }))
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() > MAX_REDIRECTS {
                    return attempt.error(OutboundError::TooManyRedirects);
                }
                match redirect_guard.check_url(attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(e) => attempt.error(e),
                }
            }))
            .build()
            .map_err(|e| OutboundError::Failed(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self { client, guard })
    }

    /// Whether the server may reach `ip`: a public address, or one in
    /// `OUTBOUND_ALLOW_NETWORKS`.
    #[must_use]
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.guard.allows(ip)
    }

    /// Checks a URL as it would be checked before sending (scheme, host,
    /// literal address), without sending; names are checked when resolved.
    ///
    /// # Errors
    /// Why the URL would be refused.
    pub fn check(&self, url: &str) -> Result<Url, OutboundError> {
        let url =
            Url::parse(url).map_err(|_| OutboundError::BadUrl(format!("'{url}' is not a URL")))?;
        self.guard.check_url(&url)?;
        Ok(url)
    }

    /// Sends `request` and reads the answer within its limits. Any status
    /// is an answer; the caller decides what a 404 or a 500 means.
    ///
    /// # Errors
    /// A refused, failed, slow or oversized request.
    pub async fn send(&self, request: Request) -> Result<Response, OutboundError> {
        let url = self.check(&request.url)?;
        let limits = request.limits;
        let mut builder = self
            .client
            .request(request.method, url)
            .headers(request.headers)
            .timeout(limits.timeout);
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        let exchange = async {
            let mut answer = builder.send().await.map_err(classify)?;
            let status = answer.status().as_u16();
            let url = answer.url().to_string();
            let headers = std::mem::take(answer.headers_mut());
            if answer
                .content_length()
                .is_some_and(|n| n > limits.max_bytes as u64)
            {
                return Err(OutboundError::TooLarge(limits.max_bytes));
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = answer.chunk().await.map_err(classify)? {
                if body.len() + chunk.len() > limits.max_bytes {
                    return Err(OutboundError::TooLarge(limits.max_bytes));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Response {
                status,
                url,
                headers,
                body: body.freeze(),
            })
        };
        // reqwest's timeout covers the body too, but a slow trickle under
        // the size limit is bounded here as well, whatever reqwest does.
        tokio::time::timeout(limits.timeout, exchange)
            .await
            .unwrap_or(Err(OutboundError::Timeout))
    }
}

/// TLS with ring and Mozilla's roots, chosen here rather than through a
/// process-wide default provider, which a host application embedding the
/// chat may have set differently (or not at all).
fn tls_config() -> Result<rustls::ClientConfig, OutboundError> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| OutboundError::Failed(format!("cannot configure TLS: {e}")))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Finds our own refusal inside reqwest's error chain, so the caller hears
/// "not a public address" rather than "error trying to connect".
fn classify(error: reqwest::Error) -> OutboundError {
    if error.is_timeout() {
        return OutboundError::Timeout;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(ours) = e.downcast_ref::<OutboundError>() {
            return match ours {
                OutboundError::Refused(what) => OutboundError::Refused(what.clone()),
                OutboundError::TooManyRedirects => OutboundError::TooManyRedirects,
                OutboundError::BadUrl(what) => OutboundError::BadUrl(what.clone()),
                other => OutboundError::Failed(other.to_string()),
            };
        }
        source = e.source();
    }
    OutboundError::Failed(error.without_url().to_string())
}

/// The address rule shared by the resolver and the redirect policy.
#[derive(Debug)]
struct Guard {
    allow: Vec<Network>,
}

impl Guard {
    fn allows(&self, ip: IpAddr) -> bool {
        is_public(ip) || self.allow.iter().any(|net| net.contains(ip))
    }

    fn check_url(&self, url: &Url) -> Result<(), OutboundError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::BadUrl(format!(
                "only http and https addresses can be fetched, not {}:",
                url.scheme()
            )));
        }
        match url.host() {
            None => Err(OutboundError::BadUrl("the address has no host".to_owned())),
            Some(url::Host::Ipv4(ip)) => self.check_ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => self.check_ip(IpAddr::V6(ip)),
            // Names are checked by the resolver, on the addresses used.
            Some(url::Host::Domain(_)) => Ok(()),
        }
    }

    fn check_ip(&self, ip: IpAddr) -> Result<(), OutboundError> {
        if self.allows(ip) {
            Ok(())
        } else {
            Err(OutboundError::Refused(ip.to_string()))
        }
    }
}

/// Resolves names with the system resolver and refuses a name if any of
/// its addresses is not allowed: a mix of public and private answers is a
/// known trick, and which one the connection picks is not ours to choose.
struct GuardedResolver {
    guard: Arc<Guard>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let guard = self.guard.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(OutboundError::Failed(format!("{host} has no address")).into());
            }
            if let Some(bad) = addrs.iter().find(|a| !guard.allows(a.ip())) {
                return Err(OutboundError::Refused(format!("{host} ({})", bad.ip())).into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Whether `ip` is a globally reachable unicast address: not loopback,
/// private, shared, link-local, documentation, benchmarking, multicast,
/// reserved or unspecified, and not such an address wrapped in IPv6
/// (IPv4-mapped, IPv4-compatible, NAT64, 6to4). `std`'s `is_global` is
/// not stable, so the table (IANA's special-purpose registries) is here.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254) // link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded_v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        Ipv4Addr::new(a, b, c, d)
    };
    match s {
        // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
        [0, 0, 0, 0, 0, 0, _, _] => false,
        // NAT64: the IPv4 address inside decides
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => is_public_v4(embedded_v4(hi, lo)),
        // 6to4: likewise
        [0x2002, hi, lo, ..] => is_public_v4(embedded_v4(hi, lo)),
        // local-use NAT64, discard-only, IETF assignments (Teredo among
        // them), documentation
        [0x64, 0xff9b, 1, ..] | [0x100, 0, 0, 0, ..] => false,
        [0x2001, b, ..] if b < 0x200 => false,
        [0x2001, 0xdb8, ..] => false,
        [0x3fff, b, ..] if b < 0x1000 => false,
        // Only global unicast (2000::/3) is public: this leaves out
        // unique-local fc00::/7, link-local fe80::/10, site-local and
        // multicast ff00::/8.
        [a, ..] => (0x2000..0x4000).contains(&a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("address")
    }

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for text in [
            "0.0.0.0",
            "127.0.0.1",
            "127.255.0.9",
            "10.0.0.1",
            "10.255.255.255",
            "172.16.0.1",
            "172.31.255.254",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.1.2.3",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::127.0.0.1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:a00:1::",
            "2001::1",
            "2001:db8::1",
            "fc00::1",
            "fd00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "100::1",
            "3fff::1",
        ] {
            assert!(!is_public(ip(text)), "{text} must not count as public");
        }
    }

    #[test]
    fn public_addresses_are_public() {
        for text in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "192.169.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::1",
        ] {
            assert!(is_public(ip(text)), "{text} is public");
        }
    }

    #[test]
    fn listed_networks_are_allowed_and_nothing_else() {
        let guard = Guard {
            allow: Network::parse_list("127.0.0.1, fd00::/8").expect("list"),
        };
        assert!(guard.allows(ip("127.0.0.1")));
        assert!(
            guard.allows(ip("::ffff:127.0.0.1")),
            "mapped form of an allowed address"
        );
        assert!(guard.allows(ip("fd00::5")));
        assert!(!guard.allows(ip("127.0.0.2")));
        assert!(!guard.allows(ip("10.0.0.1")));
        assert!(guard.allows(ip("8.8.8.8")));
    }

    #[test]
    fn urls_are_checked_for_scheme_host_and_literal_address() {
        let guard = Guard { allow: vec![] };
        let check = |u: &str| guard.check_url(&Url::parse(u).expect("url"));
        assert!(check("https://example.org/a").is_ok());
        assert!(check("http://8.8.8.8/").is_ok());
        assert!(matches!(
            check("ftp://example.org/"),
            Err(OutboundError::BadUrl(_))
        ));
        assert!(matches!(
            check("file:///etc/passwd"),
            Err(OutboundError::BadUrl(_))
        ));
        assert!(matches!(
            check("http://127.0.0.1:8080/"),
            Err(OutboundError::Refused(_))
        ));
        assert!(matches!(
            check("http://[::1]/"),
            Err(OutboundError::Refused(_))
        ));
        assert!(matches!(
            check("http://[::ffff:127.0.0.1]/"),
            Err(OutboundError::Refused(_))
        ));
        // Decimal and short forms are normalised by the URL parser first.
        assert!(matches!(
            check("http://2130706433/"),
            Err(OutboundError::Refused(_))
        ));
        assert!(matches!(
            check("http://127.1/"),
            Err(OutboundError::Refused(_))
        ));
        assert!(matches!(
            check("http://0x7f.0.0.1/"),
            Err(OutboundError::Refused(_))
        ));
    }
}
