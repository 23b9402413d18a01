//! Trusted proxy headers: a front-end logs people in and names the user in
//! a header (`Remote-User`, with optional `Remote-Email` and
//! `Remote-Name`), as Authelia, oauth2-proxy and nginx's `auth_request`
//! set-ups do.
//!
//! Anyone can send such a header, so it is believed only on connections
//! from the addresses of `PROXY_AUTH_FROM`, and only from the connection's
//! own address: never from a forwarded chain, whose entries the client can
//! write. This is a setting of its own, not `TRUSTED_PROXIES`: a proxy
//! trusted to say the client's address (a load balancer, a CDN) does not
//! necessarily strip a `Remote-User` header the client sent, while a
//! front-end named here must overwrite or remove it on every request.

use axum::http::{HeaderMap, HeaderName};

use super::{HostIdentity, HostUser, IdentityError, RequestHead};
use crate::config::Network;

/// The built-in [`HostIdentity`] for trusted proxy headers.
#[derive(Debug, Clone)]
pub struct ProxyHeaders {
    from: Vec<Network>,
    user: HeaderName,
    email: Option<HeaderName>,
    name: Option<HeaderName>,
}

impl ProxyHeaders {
    /// Believes `user` (and `email`, `name` when given) from connections
    /// of the `from` addresses only.
    #[must_use]
    pub fn new(
        from: Vec<Network>,
        user: HeaderName,
        email: Option<HeaderName>,
        name: Option<HeaderName>,
    ) -> Self {
        Self {
            from,
            user,
            email,
            name,
        }
    }

    /// The user a trusted front-end names in `headers`, if `peer` is one.
    #[must_use]
    pub fn user(&self, peer: Option<std::net::IpAddr>, headers: &HeaderMap) -> Option<HostUser> {
        let peer = peer?;
        if !self.from.iter().any(|net| net.contains(peer)) {
            return None;
        }
        let username = single(headers, &self.user)?;
        let optional =
            |name: &Option<HeaderName>| name.as_ref().and_then(|name| single(headers, name));
        Some(HostUser {
            id: username.clone(),
            username,
            display_name: optional(&self.name),
            email: optional(&self.email),
            admin: None,
        })
    }
}

/// The header's one non-blank value; a repeated header counts as none, so
/// a client's copy next to the proxy's cannot pick the user.
fn single(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let mut values = headers.get_all(name).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    let text = value.to_str().ok()?.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

#[async_trait::async_trait]
impl HostIdentity for ProxyHeaders {
    async fn resolve(&self, request: RequestHead<'_>) -> Result<Option<HostUser>, IdentityError> {
        Ok(self.user(request.peer, request.headers))
    }

    fn source(&self) -> &'static str {
        "proxy"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn proxy() -> ProxyHeaders {
        ProxyHeaders::new(
            vec![Network::parse("127.0.0.1").expect("network")],
            HeaderName::from_static("remote-user"),
            Some(HeaderName::from_static("remote-email")),
            Some(HeaderName::from_static("remote-name")),
        )
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn a_trusted_front_end_names_the_user() {
        let h = headers(&[
            ("remote-user", "alice"),
            ("remote-email", "alice@example.org"),
            ("remote-name", "Alice A."),
        ]);
        let user = proxy().user(Some("127.0.0.1".parse().expect("ip")), &h);
        let user = user.expect("believed");
        assert_eq!(user.username, "alice");
        assert_eq!(user.id, "alice");
        assert_eq!(user.email.as_deref(), Some("alice@example.org"));
        assert_eq!(user.display_name.as_deref(), Some("Alice A."));
        assert_eq!(user.admin, None);
    }

    #[test]
    fn anyone_else_is_ignored() {
        let h = headers(&[("remote-user", "admin")]);
        assert_eq!(
            proxy().user(Some("10.1.2.3".parse().expect("ip")), &h),
            None
        );
        assert_eq!(proxy().user(None, &h), None);
    }

    #[test]
    fn a_repeated_or_blank_header_names_nobody() {
        let twice = headers(&[("remote-user", "alice"), ("remote-user", "admin")]);
        let local = Some("127.0.0.1".parse().expect("ip"));
        assert_eq!(proxy().user(local, &twice), None);
        assert_eq!(
            proxy().user(local, &headers(&[("remote-user", "  ")])),
            None
        );
        assert_eq!(proxy().user(local, &headers(&[])), None);
    }
}
