//! Conversate: a self-hosted, persistent group chat for small groups who
//! talk asynchronously.
//!
//! The library holds everything; the binary parses the command line and
//! calls in. A host application can build a [`Config`], open an [`App`] and
//! mount [`App::router`] in its own axum site.

#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod doctor;
pub mod domain;
pub mod files;
pub mod live;
pub mod mail;
pub mod metrics;
pub mod outbound;
pub mod push;
pub mod service;
pub mod store;
pub mod urls;
pub mod web;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use rand::RngCore;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use config::Config;

/// The hash map of the in-memory look-ups every request makes (sessions,
/// users, rooms, memberships, presence, room news). foldhash, seeded at
/// random per process, instead of std's SipHash, which cost 3% of a poll.
/// A flood of chosen keys cannot grow these maps: they only keep entries
/// that exist (found sessions, existing rooms, members).
pub type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
use files::Files;
use live::Hub;
use service::chat::Chat;
use store::{Store, StoreError};
use web::AppState;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Files(#[from] files::OpenError),
    #[error("invalid mail settings: {0}")]
    Mail(String),
    #[error(transparent)]
    Outbound(#[from] outbound::OutboundError),
    #[error("cannot prepare {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// A running installation: configuration, storage, live hub and templates.
pub struct App {
    state: AppState,
    shutdown: watch::Sender<bool>,
    /// This node's random id among the nodes of a multi-node site.
    node: u64,
    /// The previews new messages ask for, until the task making them starts.
    preview_jobs: std::sync::Mutex<Option<service::previews::Jobs>>,
}

impl App {
    /// Opens the database (migrating it) and prepares storage.
    ///
    /// # Errors
    /// When the data directory, file storage or database cannot be used.
    pub async fn open(config: Config) -> Result<Self, StartError> {
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
        let store = Store::open(&config.database_url, config.sqlite_synchronous)
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
        let templates =
            web::templates::environment(config.templates_dir.clone(), &config.url_prefix);
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
            metrics,
            node: service::overview::Node {
                id: node,
                started_at: domain::now(),
            },
            vapid,
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
    #[must_use]
    pub fn store(&self) -> &Store {
        &self.state.chat.store
    }

    /// The file storage (for the CLI's import, export and backup).
    #[must_use]
    pub fn files(&self) -> &Files {
        &self.state.files
    }

    /// The administration service acting as `actor`.
    #[must_use]
    pub fn admin(&self, actor: service::admin::Actor) -> service::admin::Admin<'_> {
        service::admin::Admin {
            chat: &self.state.chat,
            files: &self.state.files,
            actor,
        }
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.state.config
    }

    /// The application's routes, ready to serve or to mount in a host site.
    pub fn router(&self) -> Router {
        web::router(self.state.clone())
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
        self.state.chat.store.close().await;
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

    fn start_background(&self) -> Vec<tokio::task::JoinHandle<()>> {
        let mut tasks = Vec::new();
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
