//! Conversate: a self-hosted, persistent group chat for small groups who
//! talk asynchronously, as a library you can mount in your own axum site.
//!
//! The `conversate` binary is a thin shell around this library, and uses
//! the same API a host site does: [`Builder`] (or [`App::open`]) and
//! [`App::serve`].
//!
//! # Embedding in a host site
//!
//! A site with logins of its own hands Conversate its logged-in user
//! through a [`HostIdentity`], mounts the chat under a path of its
//! choosing, and runs the chat's background work with its own runtime and
//! shutdown signal. The whole example, a host with a cookie login and two
//! users, is `examples/embed.rs` (`cargo run --example embed`).
//!
//! ```no_run
//! use conversate::{App, Builder, Config, HostIdentity, HostUser, IdentityError, RequestHead};
//!
//! /// The host's session cookie names the user (here: the cookie's value).
//! struct HostLogins;
//!
//! #[conversate::async_trait]
//! impl HostIdentity for HostLogins {
//!     async fn resolve(&self, request: RequestHead<'_>) -> Result<Option<HostUser>, IdentityError> {
//!         let Some(user) = request.headers.get("x-host-user").and_then(|v| v.to_str().ok()) else {
//!             return Ok(None); // nobody: sent to the host's login page
//!         };
//!         Ok(Some(HostUser {
//!             id: user.to_owned(), // the host's stable id
//!             username: user.to_owned(),
//!             display_name: None,
//!             email: None,
//!             admin: None,
//!         }))
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = Config::with_data_dir("/var/lib/my-site/chat");
//! config.url_prefix = "/chat/".to_owned();
//! config.sign_in.login_url = Some("/login".to_owned());
//! let chat = Builder::new(config).identity(HostLogins).open().await?;
//!
//! let host = axum::Router::new().route("/", axum::routing::get(|| async { "home" }));
//! let site = chat.mount(host); // `/chat/` and below go to the chat
//!
//! let shutdown = async { let _ = tokio::signal::ctrl_c().await; };
//! let background = chat.start(shutdown);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
//! axum::serve(listener, site.into_make_service_with_connect_info::<std::net::SocketAddr>())
//!     .await?;
//! background.stopped().await;
//! # Ok(()) }
//! ```
//!
//! # The supported surface
//!
//! What this documentation shows: [`App`], [`Builder`], [`Background`],
//! [`Config`] and the [`config`] module, the identity seam ([`identity`]),
//! [`TemplateLoader`] and the errors. The other modules (`store`,
//! `service`, `web`, …) are public only so that the integration tests, the
//! benchmark and the command line can reach them; they are hidden here and
//! may change without notice.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod identity;

// The internals. They stay `pub` (hidden from the documentation) rather
// than `pub(crate)`: the integration tests (`tests/it/`), the benchmark
// (`benches/load`) and the command line in `main.rs` import them; a
// `cfg(test)`-only or feature-gated
// visibility would not reach an integration test without rebuilding the
// library twice. The supported API is what the documentation shows.
#[doc(hidden)]
pub mod cli;
#[doc(hidden)]
pub mod doctor;
#[doc(hidden)]
pub mod domain;
#[doc(hidden)]
pub mod files;
#[doc(hidden)]
pub mod live;
#[doc(hidden)]
pub mod mail;
#[doc(hidden)]
pub mod metrics;
#[doc(hidden)]
pub mod outbound;
#[doc(hidden)]
pub mod push;
#[doc(hidden)]
pub mod service;
#[doc(hidden)]
pub mod store;
#[doc(hidden)]
pub mod urls;
#[doc(hidden)]
pub mod web;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use rand::RngCore;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The attribute for implementing [`HostIdentity`] (its method is async):
/// `#[conversate::async_trait]`.
pub use async_trait::async_trait;
pub use config::Config;
pub use identity::{HostIdentity, HostUser, IdentityError, RequestHead};
pub use service::ServiceError;
pub use web::templates::TemplateLoader;

/// The hash map of the in-memory look-ups every request makes (sessions,
/// users, rooms, memberships, presence, room news). foldhash, seeded at
/// random per process, instead of std's SipHash, which cost 3% of a poll.
/// A flood of chosen keys cannot grow these maps: they only keep entries
/// that exist (found sessions, existing rooms, members).
#[doc(hidden)]
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
/// The set counterpart of [`FastMap`].
#[doc(hidden)]
pub type FastSet<T> = std::collections::HashSet<T, foldhash::fast::RandomState>;
use files::Files;
use live::Hub;
use service::chat::Chat;
use store::{Store, StoreError};
use web::AppState;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database cannot be opened or migrated.
    #[error("cannot open the database")]
    Store(#[from] StoreError),
    /// The file storage cannot be used.
    #[error(transparent)]
    Files(#[from] files::OpenError),
    /// The mail settings are wrong.
    #[error("invalid mail settings: {0}")]
    Mail(String),
    /// The outbound HTTP client cannot be built.
    #[error(transparent)]
    Outbound(#[from] outbound::OutboundError),
    /// The data directory cannot be made.
    #[error("cannot prepare {path}: {source}")]
    Io {
        /// The directory.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// How long [`App::close`] waits for the relay to send what is queued.
const RELAY_FLUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// A running installation: configuration, storage, live hub and templates.
pub struct App {
    state: AppState,
    shutdown: watch::Sender<bool>,
    /// This node's random id among the nodes of a multi-node site.
    node: u64,
    /// The previews new messages ask for, until the task making them starts.
    preview_jobs: std::sync::Mutex<Option<service::previews::Jobs>>,
}

/// Builds an [`App`]: a [`Config`], and optionally the host site's logins
/// ([`Builder::identity`]) and templates ([`Builder::templates`]).
pub struct Builder {
    config: Config,
    identity: Option<Arc<dyn HostIdentity>>,
    templates: Option<TemplateLoader>,
}

impl Builder {
    /// Starts from `config`.
    #[must_use]
    pub fn new(config: Config) -> Self {
        Self {
            config,
            identity: None,
            templates: None,
        }
    }

    /// Lets the host site decide who is logged in (see [`identity`]). It
    /// takes the place of the trusted proxy headers (`PROXY_AUTH_FROM`).
    #[must_use]
    pub fn identity(mut self, hook: impl HostIdentity) -> Self {
        self.identity = Some(Arc::new(hook));
        self
    }

    /// Asks `loader` for each template before `TEMPLATES_DIR` and the
    /// defaults, so the pages wear the host site's look.
    #[must_use]
    pub fn templates(
        mut self,
        loader: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.templates = Some(Arc::new(loader));
        self
    }

    /// Opens the database (migrating it) and prepares storage.
    ///
    /// # Errors
    /// When the data directory, file storage or database cannot be used.
    pub async fn open(self) -> Result<App, StartError> {
        App::open_with(self).await
    }
}

impl App {
    /// Opens the database (migrating it) and prepares storage, with
    /// Conversate's own logins (or the trusted proxy headers the
    /// configuration names). [`Builder`] gives more choice.
    ///
    /// # Errors
    /// When the data directory, file storage or database cannot be used.
    pub async fn open(config: Config) -> Result<Self, StartError> {
        Builder::new(config).open().await
    }

    async fn open_with(builder: Builder) -> Result<Self, StartError> {
        let Builder {
            config,
            identity,
            templates: host_templates,
        } = builder;
        let proxy = &config.sign_in.proxy;
        let identity = identity.or_else(|| {
            (!proxy.from.is_empty()).then(|| {
                Arc::new(identity::ProxyHeaders::new(
                    proxy.from.clone(),
                    proxy.user_header.clone(),
                    proxy.email_header.clone(),
                    proxy.name_header.clone(),
                )) as Arc<dyn HostIdentity>
            })
        });
        if matches!(
            config.database_url,
            config::DatabaseUrl::Sqlite { create: true, .. }
        ) {
            std::fs::create_dir_all(&config.data_dir).map_err(|source| StartError::Io {
                path: config.data_dir.display().to_string(),
                source,
            })?;
        }
        let files = Files::open(&config).await?;
        let cache_ttl = std::time::Duration::from_millis(config.cache_ms);
        let store = Store::open(&config.database_url, config.sqlite)
            .await?
            .cached(cache_ttl);
        let mailer = mail::Mailer::new(&config).map_err(|e| StartError::Mail(e.to_string()))?;
        let metrics = Arc::new(metrics::Metrics::new(store.metrics()));
        let mut chat = Chat::new(
            store.clone(),
            Hub::new(),
            config.chat.clone(),
            config.max_message_chars,
        );
        chat.mail_delay = i64::try_from(config.mail_alert_delay).unwrap_or(i64::MAX / 4);
        chat.edit_window = i64::try_from(config.edit_window).unwrap_or(0);
        chat.cache_ttl = cache_ttl;
        chat.accounts = config.accounts.clone();
        chat.metrics = metrics.chat.clone();
        chat.rich = config.rich;
        let (previews, preview_jobs) = service::previews::Queue::new();
        chat.previews = Some(previews);
        // The signing key lives in the database so every node shares it.
        let key = store
            .secrets()
            .secret("signing_key", &random_hex(32))
            .await?;
        // Several nodes on one PostgreSQL database hear each other's events.
        let node: u64 = rand::random();
        if let config::DatabaseUrl::Postgres(url) = &config.database_url {
            let relay = live::postgres::PgRelay::connect(url, node)
                .await
                .map_err(|e| {
                    StartError::Store(StoreError::unavailable(format!(
                        "cannot connect the event relay: {e}"
                    )))
                })?;
            chat.hub.set_relay(Arc::new(relay));
        }
        let signer = mail::Signer::new(key.as_bytes());
        // So is the VAPID key: every node signs pushes as the same site.
        let vapid = store
            .secrets()
            .secret(push::vapid::SECRET_NAME, &push::Vapid::fresh_secret())
            .await?;
        let vapid = push::Vapid::from_secret(&vapid)
            .map_err(|e| StartError::Store(StoreError::other(e.to_string())))?;
        let mut templates = web::templates::environment_with(
            config.templates_dir.clone(),
            &config.url_prefix,
            host_templates,
        );
        // Without its own logins, the pages link to no login, logout or
        // password page.
        templates.add_global("own_logins", identity.is_none());
        let sso = config.sign_in.oidc.as_ref();
        templates.add_global("sso_label", sso.map(|o| o.label.clone()));
        templates.add_global("sso_only", sso.is_some_and(|o| o.sso_only));

        let (shutdown, shutdown_rx) = watch::channel(false);
        // Several nodes on PostgreSQL share their login and send limits.
        let throttle = web::throttle::Throttle::new(&config.limits);
        let throttle = match &config.database_url {
            config::DatabaseUrl::Postgres(_) => throttle.shared(store.clone()),
            config::DatabaseUrl::Sqlite { .. } => throttle,
        };
        let outbound = outbound::Outbound::new(
            config.outbound_allow_networks.clone(),
            concat!("Conversate/", env!("CARGO_PKG_VERSION")),
        )?;
        let openapi = web::openapi::describe(&config.url_prefix).into();
        let oidc = config.sign_in.oidc.as_ref().map(|settings| {
            Arc::new(service::oidc::Oidc::new(
                settings.clone(),
                oidc_fetch(outbound.clone()),
            ))
        });
        let state = AppState::new(web::state::Shared {
            openapi,
            config: Arc::new(config),
            chat: Arc::new(chat),
            files: Arc::new(files),
            templates: Arc::new(templates),
            shutdown: shutdown_rx,
            draining: std::sync::atomic::AtomicBool::new(false),
            signer,
            mailer,
            throttle: Arc::new(throttle),
            users_json: web::views::UsersJson::default(),
            fragments: web::fragments::Fragments::default(),
            metrics,
            node: service::overview::Node {
                id: node,
                started_at: domain::now(),
            },
            vapid,
            identity: identity.map(web::identity::Seam::new),
            oidc,
            outbound,
        });
        Ok(Self {
            state,
            shutdown,
            node,
            preview_jobs: std::sync::Mutex::new(Some(preview_jobs)),
        })
    }

    /// The storage handle (for the CLI and tests).
    #[doc(hidden)]
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.state.chat.store
    }

    /// Ends a short-lived use of the app (a command of the command line):
    /// sends the other nodes what it changed, then closes the database
    /// connections. Without the first, a process that ends at once could
    /// take its notices with it, and open streams elsewhere would not hear
    /// of, say, a member it removed.
    pub async fn close(&self) {
        close(&self.state.chat).await;
    }

    /// The file storage (for the CLI's import, export and backup).
    #[must_use]
    pub fn files(&self) -> &Files {
        &self.state.files
    }

    /// The administration service acting as `actor`.
    #[doc(hidden)]
    #[must_use]
    pub fn admin(&self, actor: service::admin::Actor) -> service::admin::Admin<'_> {
        service::admin::Admin {
            chat: &self.state.chat,
            files: &self.state.files,
            actor,
        }
    }

    /// Makes or updates the account of a host site's user ahead of their
    /// first visit (to add them to rooms, say), as the identity hook's
    /// answer would on that visit.
    ///
    /// # Errors
    /// An unusable username or e-mail, a username held by an account linked
    /// to another user, or storage failing.
    pub async fn provision(&self, user: &HostUser) -> Result<domain::User, service::ServiceError> {
        let source = self.state.identity.as_ref().map_or("host", |s| s.source());
        service::identity::provision(self.store(), source, user).await
    }

    /// Creates a room, unless one with that slug exists; answers whether
    /// it was created.
    ///
    /// # Errors
    /// An invalid slug or title, or storage failing.
    pub async fn ensure_room(
        &self,
        slug: &str,
        title: &str,
    ) -> Result<bool, service::ServiceError> {
        match service::accounts::create_room(self.store(), slug, title).await {
            Ok(_) => Ok(true),
            Err(service::ServiceError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Makes the account `username` a member of room `slug`, unless it is
    /// one already; answers whether it was added.
    ///
    /// # Errors
    /// An unknown room or account, or storage failing.
    pub async fn ensure_member(
        &self,
        slug: &str,
        username: &str,
    ) -> Result<bool, service::ServiceError> {
        match service::accounts::add_member(self.store(), slug, username, None).await {
            Ok(()) => Ok(true),
            Err(service::ServiceError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.state.config
    }

    /// The application's routes, ready to serve or to mount in a host site.
    ///
    /// Every route already sits under `URL_PREFIX` (say `/chat/`), and the
    /// router answers everything else with its own 404 page, so a host
    /// either merges it (`host.merge(app.router())`, when the host has no
    /// fallback of its own) or uses [`App::mount`].
    pub fn router(&self) -> Router {
        web::router(self.state.clone())
    }

    /// `host` with the chat mounted at `URL_PREFIX`: that path, and every
    /// path below it, go to [`App::router`] untouched (the chat's links
    /// carry the prefix); every other request goes to `host`, which keeps
    /// its own routes and fallback.
    pub fn mount(&self, host: Router) -> Router {
        use tower::ServiceExt as _;
        let chat = self.router();
        let prefix = self.state.config.url_prefix.clone();
        let bare = prefix.trim_end_matches('/').to_owned();
        // A dispatch by path rather than `route_service` or `nest`: a
        // wildcard route would add its path parameter to the chat's own,
        // and `nest` would strip the prefix the chat routes on.
        Router::new().fallback_service(tower::service_fn(move |request: axum::extract::Request| {
            let path = request.uri().path();
            let target = if path.starts_with(&prefix) || path == bare {
                chat.clone()
            } else {
                host.clone()
            };
            target.oneshot(request)
        }))
    }

    /// Tells Conversate that the host site's user `host_id` (the
    /// [`HostUser::id`] its identity hook answers) logged out or lost
    /// access: their open event streams and long-polls, on every node, ask
    /// the hook again at once and end when it no longer names them. Pages
    /// and API requests need no such call: each asks the hook itself.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn identity_ended(&self, host_id: &str) -> Result<(), service::ServiceError> {
        let Some(seam) = &self.state.identity else {
            return Ok(());
        };
        if let Some(user_id) =
            service::identity::linked_user(self.store(), seam.source(), host_id).await?
        {
            self.state.chat.sessions_ended(user_id);
        }
        Ok(())
    }

    /// Starts the background work (the mail outbox, the relay between
    /// nodes, presence and session clean-up) on the current tokio runtime,
    /// for a host that serves [`App::router`] itself. When `shutdown`
    /// resolves, event streams close (with a hint to reconnect) and the
    /// work stops; await [`Background::stopped`] before the runtime ends.
    /// ([`App::serve`] does all of this on its own.)
    pub fn start(&self, shutdown: impl Future<Output = ()> + Send + 'static) -> Background {
        let mut tasks = self.start_background();
        let trigger = self.shutdown.clone();
        let watched = trigger.clone();
        tasks.push(tokio::spawn(async move {
            let mut closed = watched.subscribe();
            tokio::select! {
                () = shutdown => {
                    let _ = watched.send(true);
                }
                // Stopped through [`Background::stop`].
                _ = closed.wait_for(|stop| *stop) => {}
            }
        }));
        Background {
            tasks,
            trigger,
            chat: self.state.chat.clone(),
        }
    }

    /// While no admin exists, a fresh one-time setup URL (path under the
    /// prefix); `None` once an admin exists.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn setup_path(&self) -> Result<Option<String>, service::ServiceError> {
        let token = service::setup::fresh_token(self.store()).await?;
        Ok(token.map(|token| format!("{}setup/{token}/", self.state.config.url_prefix)))
    }

    /// The separate metrics address's routes (`METRICS_BIND`): `/metrics`
    /// without a token.
    pub fn metrics_router(&self) -> Router {
        Router::new()
            .route("/metrics", axum::routing::get(web::metrics::open))
            .with_state(self.state.clone())
    }

    /// Serves on `listener` until `shutdown` resolves, then drains: open
    /// event streams end, in-flight requests finish.
    ///
    /// # Errors
    /// When the listener fails.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        self.serve_with_metrics(listener, None, shutdown).await
    }

    /// [`App::serve`], and the metrics on `metrics` (bound to
    /// `METRICS_BIND`) until the same shutdown.
    ///
    /// # Errors
    /// When the listener fails.
    pub async fn serve_with_metrics(
        self,
        listener: TcpListener,
        metrics: Option<TcpListener>,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let mut tasks = self.start_background();
        if let Some(metrics) = metrics {
            let router = self.metrics_router();
            let mut stop = self.shutdown.subscribe();
            tasks.push(tokio::spawn(async move {
                let stopped = async move {
                    let _ = stop.changed().await;
                };
                if let Err(e) = web::server::serve(metrics, router, stopped).await {
                    tracing::warn!(error = %e, "the metrics listener failed");
                }
            }));
        }
        let router = self.router();
        let trigger = self.shutdown.clone();
        let state = self.state.clone();
        let result = web::server::serve(listener, router, async move {
            shutdown.await;
            // Readiness fails first, while everything is still served, so a
            // load balancer takes this node out before its streams close.
            state
                .draining
                .store(true, std::sync::atomic::Ordering::Relaxed);
            let delay = Duration::from_millis(state.config.shutdown_delay_ms);
            tracing::info!(
                delay_ms = state.config.shutdown_delay_ms,
                "shutting down: /readyz fails from now"
            );
            tokio::time::sleep(delay).await;
            // Long-lived responses end now: event streams with a hint to
            // reconnect soon (elsewhere), long-polls with their answer.
            let _ = trigger.send(true);
        })
        .await;
        let _ = self.shutdown.send(true);
        for task in tasks {
            let _ = task.await;
        }
        self.close().await;
        result
    }

    /// Sends a test e-mail with the configured settings.
    ///
    /// # Errors
    /// The mail server's refusal, or missing settings.
    pub async fn send_test_mail(&self, to: &str) -> Result<(), mail::MailError> {
        let text = format!(
            "This is a test e-mail from Conversate at {}.\nIf you can read it, e-mail alerts will reach you.\n",
            self.state.config.base_url()
        );
        self.state
            .mailer
            .send(to, "Conversate test e-mail", text, None)
            .await
    }

    /// The outbox worker, for running it by hand (tests, tools).
    #[doc(hidden)]
    #[must_use]
    pub fn alert_sender(&self) -> mail::worker::AlertSender {
        mail::worker::AlertSender {
            store: self.state.chat.store.clone(),
            mailer: self.state.mailer.clone(),
            signer: self.state.signer.clone(),
            templates: self.state.templates.clone(),
            config: self.state.config.clone(),
            metrics: self.state.metrics.mail.clone(),
        }
    }

    /// The push worker, for running it by hand (tests, tools).
    #[must_use]
    pub fn push_sender(&self) -> push::worker::PushSender {
        push::worker::PushSender {
            store: self.state.chat.store.clone(),
            config: self.state.config.clone(),
            vapid: self.state.vapid.clone(),
            outbound: self.state.outbound.clone(),
        }
    }

    /// The outgoing webhook worker, for running it by hand (tests, tools).
    #[must_use]
    pub fn outgoing_sender(&self) -> service::outgoing::OutgoingSender {
        service::outgoing::OutgoingSender {
            chat: self.state.chat.clone(),
            config: self.state.config.clone(),
            outbound: self.state.outbound.clone(),
        }
    }

    fn start_background(&self) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = Vec::new();
        tasks.push(tokio::spawn(
            self.outgoing_sender().run(self.shutdown.subscribe()),
        ));
        if self.state.config.push {
            tasks.push(tokio::spawn(
                self.push_sender().run(self.shutdown.subscribe()),
            ));
        }
        // Other nodes' notices (PostgreSQL) and other processes' commits
        // (SQLite) keep this node's caches and listeners in step.
        let (notices, notices_rx) = tokio::sync::mpsc::channel(1024);
        if let config::DatabaseUrl::Postgres(url) = &self.state.config.database_url {
            tasks.push(tokio::spawn(live::postgres::listen(
                url.clone(),
                self.node,
                notices,
                self.shutdown.subscribe(),
            )));
        } else {
            drop(notices);
        }
        tasks.push(tokio::spawn(service::sync::follow(
            self.state.chat.clone(),
            notices_rx,
            self.shutdown.subscribe(),
        )));
        if self.state.mailer.is_configured() {
            tasks.push(tokio::spawn(
                self.alert_sender().run(self.shutdown.subscribe()),
            ));
        } else {
            tracing::info!("SMTP_URL is not set: e-mail alerts are queued but not sent");
        }
        // The grammars load once, now, rather than on the first code block.
        tasks.push(tokio::spawn(async {
            let _ = tokio::task::spawn_blocking(domain::highlight::warm_up).await;
        }));
        let jobs = self
            .preview_jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(jobs) = jobs {
            let previewer = service::previews::Previewer {
                chat: self.state.chat.clone(),
                files: self.state.files.clone(),
                max_upload_bytes: self.state.config.max_upload_bytes,
                links: self.state.config.rich.link_previews.then(|| {
                    Arc::new(service::link_preview::LinkFetcher {
                        outbound: self.state.outbound.clone(),
                        page_bytes: self.state.config.rich.link_page_bytes,
                        image_bytes: self.state.config.rich.link_image_bytes,
                    })
                }),
            };
            tasks.push(tokio::spawn(service::previews::run(
                previewer,
                jobs,
                self.shutdown.subscribe(),
            )));
        }
        tasks.push(tokio::spawn(service::overview::heartbeat(
            self.state.chat.clone(),
            self.state.node,
            self.shutdown.subscribe(),
        )));
        let chat = self.state.chat.clone();
        let throttle = self.state.throttle.clone();
        let mut stop = self.shutdown.subscribe();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = tick.tick() => {
                        chat.sweep_presence().await;
                        throttle.sweep().await;
                    }
                }
            }
        }));
        if let Some(schedule) = self.state.config.backups.clone() {
            tasks.push(tokio::spawn(service::backup::schedule::run(
                self.state.chat.store.clone(),
                (*self.state.files).clone(),
                self.state.config.database_url.clone(),
                schedule,
                self.shutdown.subscribe(),
            )));
        }
        let store = self.state.chat.store.clone();
        let files = self.state.files.clone();
        let mut stop = self.shutdown.subscribe();
        tasks.push(tokio::spawn(async move {
            files.sweep_temporary().await;
            let mut tick = tokio::time::interval(Duration::from_secs(3_600));
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = tick.tick() => {
                        if let Err(e) = store.sessions().delete_expired(domain::now()).await {
                            tracing::warn!(error = %error_chain(&e), "removing expired sessions failed");
                        }
                    }
                }
            }
        }));
        tasks
    }
}

/// Sends the other nodes what is queued for them, then closes the database
/// connections (see [`App::close`]).
async fn close(chat: &service::chat::Chat) {
    // Bounded: a database gone away must not keep a process from ending.
    if tokio::time::timeout(RELAY_FLUSH_TIMEOUT, chat.hub.flush_relay())
        .await
        .is_err()
    {
        tracing::warn!("the other nodes may not have heard of the last changes made here");
    }
    chat.store.close().await;
}

/// The background work of an [`App`] a host serves itself (see
/// [`App::start`]).
pub struct Background {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    trigger: watch::Sender<bool>,
    chat: Arc<service::chat::Chat>,
}

impl Background {
    /// Stops now, as if the shutdown signal had come: event streams close,
    /// the work ends.
    pub fn stop(&self) {
        let _ = self.trigger.send(true);
    }

    /// Waits until the work has ended (after the shutdown signal or
    /// [`Background::stop`]), sends the other nodes what is queued for them,
    /// then closes the database connections.
    pub async fn stopped(self) {
        for task in self.tasks {
            let _ = task.await;
        }
        close(&self.chat).await;
    }
}

/// How single sign-on reaches the provider: the guarded outbound client
/// (so `OUTBOUND_ALLOW_NETWORKS` must list a provider on a private network).
fn oidc_fetch(client: outbound::Outbound) -> service::oidc::Fetch {
    Arc::new(move |request: http::Request<Vec<u8>>| {
        let client = client.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let answer = client
                .send(outbound::Request {
                    method: parts.method,
                    url: parts.uri.to_string(),
                    headers: parts.headers,
                    body: (!body.is_empty()).then(|| bytes::Bytes::from(body)),
                    limits: outbound::Limits::default(),
                })
                .await
                .map_err(|e| service::oidc::FetchError(e.to_string()))?;
            let mut response = http::Response::new(answer.body.to_vec());
            *response.status_mut() = http::StatusCode::from_u16(answer.status)
                .map_err(|e| service::oidc::FetchError(e.to_string()))?;
            *response.headers_mut() = answer.headers;
            Ok(response)
        })
    })
}

/// An error and its causes on one line, for the log.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut detail = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        // Causes often repeat the text of the error that wraps them.
        if !detail.ends_with(&text) {
            detail.push_str(": ");
            detail.push_str(&text);
        }
        source = cause.source();
    }
    detail
}

/// `bytes` random bytes, hex: secrets, tokens and session ids.
pub(crate) fn random_hex(bytes: usize) -> String {
    use std::fmt::Write as _;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    buf.iter()
        .fold(String::with_capacity(bytes * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
