//! What every handler can reach.

use std::sync::Arc;

use minijinja::{Environment, Value};

use crate::config::Config;
use crate::files::Files;
use crate::service::chat::Chat;

/// Shared application state: one reference count to clone, since every
/// request clones it several times (extractors, middleware).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// Wraps the shared parts.
    #[must_use]
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    pub config: Arc<Config>,
    pub chat: Arc<Chat>,
    pub files: Arc<Files>,
    pub templates: Arc<Environment<'static>>,
    /// Flips to true when the server shuts down; long-lived responses end.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
    /// True once a shutdown began: `/readyz` fails while requests are
    /// still served.
    pub draining: std::sync::atomic::AtomicBool,
    /// Signs one-click unsubscribe links.
    pub signer: crate::mail::Signer,
    /// Sends e-mail.
    pub mailer: crate::mail::Mailer,
    /// Abuse limits.
    pub throttle: Arc<super::throttle::Throttle>,
    /// Prometheus metrics (served only when asked for).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The users list of poll answers, per room.
    pub users_json: super::views::UsersJson,
    /// The room page's rendered messages.
    pub fragments: super::fragments::Fragments,
    /// This server node, for the overview.
    pub node: crate::service::overview::Node,
    /// The site's Web Push identity (the same on every node).
    pub vapid: crate::push::Vapid,
    /// The host site's identity hook (or the trusted proxy headers), when
    /// someone else decides who is logged in.
    pub identity: Option<super::identity::Seam>,
    /// Single sign-on with an OpenID provider (`OIDC_ISSUER`).
    pub oidc: Option<Arc<crate::service::oidc::Oidc>>,
    /// The guarded client for requests to addresses users name (link
    /// previews, push services, webhooks).
    pub outbound: crate::outbound::Outbound,
    /// The API's OpenAPI description, as JSON (`web::openapi`).
    pub openapi: Arc<str>,
}

impl AppState {
    /// The mount point, e.g. `/` or `/conversate/`.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.config.url_prefix
    }

    /// The VAPID public key the page hands to `pushManager.subscribe`;
    /// `None` when push is off (`PUSH`).
    #[must_use]
    pub fn push_key(&self) -> Option<&str> {
        self.config.push.then(|| self.vapid.public_key())
    }

    /// A path under the mount point: `url("login/")` → `/conversate/login/`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.config.url_prefix, path.trim_start_matches('/'))
    }

    /// The URL of a room.
    #[must_use]
    pub fn room_url(&self, slug: &str) -> String {
        crate::urls::room(&self.config.url_prefix, slug)
    }

    /// Renders a template to HTML.
    ///
    /// # Errors
    /// When the template is missing or fails (a site owner's override, say).
    pub fn render(&self, name: &str, ctx: Value) -> Result<String, minijinja::Error> {
        self.templates.get_template(name)?.render(ctx)
    }
}
