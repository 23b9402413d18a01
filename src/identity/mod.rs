//! Who the visitor is, when someone else decides: the identity seam.
//!
//! A site that embeds Conversate already has logins. It implements
//! [`HostIdentity`] to say which of its users a request comes from (or that
//! nobody is logged in), and hands it to [`crate::Builder::identity`].
//! Conversate then:
//!
//! - makes (on first sight) and updates (on each visit) its own account for
//!   that user, linked by the host's stable id, so rooms, membership, read
//!   state and alerts live in Conversate as for everyone else;
//! - hides its own login, logout, first-administrator and password pages;
//! - treats "nobody" as logged out: pages redirect to `LOGIN_URL` (the
//!   host's login page) with `next=` the page asked for, the JSON API
//!   answers `401`;
//! - asks again on every request, so a user the host stops resolving loses
//!   access at once; open event streams ask again when the host calls
//!   [`crate::App::identity_ended`] (at once) and on every heartbeat
//!   (15 seconds) otherwise.
//!
//! [`ProxyHeaders`] is the built-in implementation for front-ends that log
//! people in and pass the user on in a header (`Remote-User`), as Authelia,
//! oauth2-proxy or an nginx `auth_request` set-up do.

mod proxy;

use std::net::IpAddr;

use axum::http::{HeaderMap, Method, Uri};

pub use proxy::ProxyHeaders;

/// A user as the host site knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostUser {
    /// The host's stable id for the user (a primary key, an OpenID `sub`):
    /// the link to the Conversate account. It must never be reused for
    /// another person.
    pub id: String,
    /// The username shown in the chat and used for `@mentions`; it must be
    /// a valid Conversate username. It names the account on first sight
    /// only: an account of that name not linked to another identity of the
    /// same source is taken over, which lets a site adopt accounts made
    /// before it embedded Conversate.
    pub username: String,
    /// The name to show, if the host has one (kept with the link).
    pub display_name: Option<String>,
    /// Where alerts go; `None` leaves the account's address as it is.
    pub email: Option<String>,
    /// Whether the user administers the chat; `None` leaves the decision to
    /// Conversate's own administrators (`conversate user admin`).
    pub admin: Option<bool>,
}

/// The parts of a request an identity hook may read.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    /// The method.
    pub method: &'a Method,
    /// The path and query, as the router saw them.
    pub uri: &'a Uri,
    /// The headers, cookies included.
    pub headers: &'a HeaderMap,
    /// The address the connection came from, when the server recorded it
    /// (axum's `ConnectInfo<SocketAddr>`).
    pub peer: Option<IpAddr>,
}

/// Why a hook could not decide who the visitor is (its own store failed,
/// say). The request fails with `503` and the detail is logged; it is not
/// the same as "nobody", which is `Ok(None)`.
#[derive(Debug, thiserror::Error)]
#[error("the identity hook failed: {0}")]
pub struct IdentityError(pub String);

/// The host site's logins, as Conversate asks about them.
///
/// Called on every request to Conversate's routes (keep it cheap: a cookie
/// and a look-up in the host's session store), and again by open event
/// streams when they re-check.
#[async_trait::async_trait]
pub trait HostIdentity: Send + Sync + 'static {
    /// Which user `request` comes from, or `None` when nobody is logged in.
    ///
    /// # Errors
    /// When the host cannot tell (its own storage failed).
    async fn resolve(&self, request: RequestHead<'_>) -> Result<Option<HostUser>, IdentityError>;

    /// The name identities of this hook are linked under; two hooks with
    /// the same source share accounts. `host` unless overridden.
    fn source(&self) -> &str {
        "host"
    }
}

/// An owned copy of a [`RequestHead`], kept by an open event stream to ask
/// the hook again later.
#[derive(Debug, Clone)]
pub(crate) struct OwnedHead {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    peer: Option<IpAddr>,
}

impl OwnedHead {
    pub(crate) fn of(head: RequestHead<'_>) -> Self {
        Self {
            method: head.method.clone(),
            uri: head.uri.clone(),
            headers: head.headers.clone(),
            peer: head.peer,
        }
    }

    pub(crate) fn head(&self) -> RequestHead<'_> {
        RequestHead {
            method: &self.method,
            uri: &self.uri,
            headers: &self.headers,
            peer: self.peer,
        }
    }
}
