//! Prometheus metrics: explicit handles in a registry the app owns.
//!
//! The counters and histograms are plain atomics (histograms a short
//! mutex), updated where things happen: the request layer (`web::metrics`),
//! the chat service (messages posted, open streams and long-polls), the
//! store (group commits, write transactions, the read cache) and the mail
//! worker. They are always counted; they are only served when `METRICS_BIND`
//! or `METRICS_TOKEN` asks, and only then does the request layer run. What
//! is read at scrape time (outbox depth and age, pools, memory) is read by
//! [`Metrics::render`].
//!
//! `prometheus-client` rather than the `metrics` facade: no process-wide
//! recorder (a host application may have its own), handles resolved once
//! instead of a key lookup per update, and four small dependencies.

use std::time::Duration;

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

/// The kinds of request counted apart (`kind` label).
pub const ROUTE_KINDS: [&str; 9] = [
    "page", "poll", "send", "events", "api", "file", "asset", "admin", "ops",
];

/// Status classes (`status` label).
const STATUS_CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Seconds buckets for request and database times: 0.25 ms to about 16 s.
fn seconds_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.000_25, 2.0, 17)
}

/// Label sets: a few fixed names and values.
type Labels<const N: usize> = [(&'static str, &'static str); N];

/// A histogram of seconds (for families).
fn seconds_histogram() -> Histogram {
    Histogram::new(seconds_buckets())
}

/// Requests, by kind.
#[derive(Clone)]
pub struct HttpMetrics {
    counts: Family<Labels<2>, Counter>,
    durations: Family<Labels<1>, Histogram, fn() -> Histogram>,
    /// Handles resolved once: `[kind][status class]`.
    count_handles: Vec<[Counter; STATUS_CLASSES.len()]>,
    duration_handles: Vec<Histogram>,
}

impl HttpMetrics {
    fn new() -> Self {
        let counts = Family::<Labels<2>, Counter>::default();
        let durations = Family::<Labels<1>, Histogram, fn() -> Histogram>::new_with_constructor(
            seconds_histogram,
        );
        let count_handles = ROUTE_KINDS
            .iter()
            .map(|kind| {
                STATUS_CLASSES
                    .map(|class| counts.get_or_create_owned(&[("kind", kind), ("status", class)]))
            })
            .collect();
        let duration_handles = ROUTE_KINDS
            .iter()
            .map(|kind| durations.get_or_create_owned(&[("kind", kind)]))
            .collect();
        Self {
            counts,
            durations,
            count_handles,
            duration_handles,
        }
    }

    /// Counts one answered request of kind `kind` (an index into
    /// [`ROUTE_KINDS`]) with `status`, `took` until its headers.
    pub fn observe(&self, kind: usize, status: u16, took: Duration) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        if let (Some(counts), Some(duration)) = (
            self.count_handles.get(kind),
            self.duration_handles.get(kind),
        ) {
            counts[class].inc();
            duration.observe(took.as_secs_f64());
        }
    }
}

/// What the chat service counts.
#[derive(Clone, Default)]
pub struct ChatMetrics {
    /// Messages stored (a repeated `client_id` is not counted again).
    pub messages_posted: Counter,
    /// Event streams open on this node.
    pub open_streams: Gauge,
    /// Long-polls held open on this node.
    pub open_long_polls: Gauge,
}

/// Keeps a gauge raised while it lives (an open stream, a held poll).
pub struct Held(Gauge);

impl Held {
    /// Raises `gauge` until the returned value is dropped.
    #[must_use]
    pub fn new(gauge: &Gauge) -> Self {
        gauge.inc();
        Self(gauge.clone())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// What the store counts.
#[derive(Clone)]
pub struct StoreMetrics {
    /// Messages per SQLite group commit.
    pub commit_messages: Histogram,
    /// Time per SQLite group commit, seconds.
    pub commit_seconds: Histogram,
    /// Time to get a write transaction: waiting for a pooled connection
    /// (PostgreSQL) or for the one writer (SQLite), seconds.
    pub write_wait_seconds: Histogram,
    /// Read-cache look-ups answered from memory.
    pub cache_hits: Counter,
    /// Read-cache look-ups that went to the database.
    pub cache_misses: Counter,
    cache: Family<Labels<1>, Counter>,
}

impl Default for StoreMetrics {
    fn default() -> Self {
        let cache = Family::<Labels<1>, Counter>::default();
        Self {
            commit_messages: Histogram::new(exponential_buckets(1.0, 2.0, 8)),
            commit_seconds: Histogram::new(seconds_buckets()),
            write_wait_seconds: Histogram::new(seconds_buckets()),
            cache_hits: cache.get_or_create_owned(&[("result", "hit")]),
            cache_misses: cache.get_or_create_owned(&[("result", "miss")]),
            cache,
        }
    }
}

/// What the mail worker counts.
#[derive(Clone, Default)]
pub struct MailMetrics {
    /// Alert e-mails sent.
    pub sent: Counter,
    /// Failed delivery attempts (each is retried later).
    pub failures: Counter,
}

/// What is read when scraped.
#[derive(Debug, Default, Clone)]
pub struct Scraped {
    /// Outbox rows by status, per channel (`mail`).
    pub outbox: Vec<(&'static str, String, i64)>,
    /// Seconds the oldest due, unsent item has waited, per channel.
    pub outbox_age: Vec<(&'static str, i64)>,
    /// Database pools: name, open connections, idle ones, most allowed.
    pub pools: Vec<crate::store::PoolStats>,
    /// Resident memory of the process, bytes (Linux).
    pub resident_bytes: Option<u64>,
}

/// The registry and every handle in it.
pub struct Metrics {
    registry: Registry,
    /// Requests (counted only while metrics are served).
    pub http: HttpMetrics,
    /// The chat service's counts.
    pub chat: ChatMetrics,
    /// The mail worker's counts.
    pub mail: MailMetrics,
}

impl Metrics {
    /// Registers the handles, the store's included.
    #[must_use]
    pub fn new(store: &StoreMetrics) -> Self {
        let http = HttpMetrics::new();
        let chat = ChatMetrics::default();
        let mail = MailMetrics::default();
        let mut registry = Registry::with_prefix("conversate");
        registry.register(
            "http_requests",
            "HTTP requests answered, by kind of route and status class",
            http.counts.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time until the answer's headers, by kind of route",
            Unit::Seconds,
            http.durations.clone(),
        );
        registry.register(
            "messages_posted",
            "Messages stored",
            chat.messages_posted.clone(),
        );
        registry.register(
            "open_event_streams",
            "Event streams open on this node",
            chat.open_streams.clone(),
        );
        registry.register(
            "open_long_polls",
            "Long-polls held open on this node",
            chat.open_long_polls.clone(),
        );
        registry.register(
            "group_commit_messages",
            "Messages per group commit",
            store.commit_messages.clone(),
        );
        registry.register_with_unit(
            "group_commit_duration",
            "Time per group commit",
            Unit::Seconds,
            store.commit_seconds.clone(),
        );
        registry.register_with_unit(
            "db_write_wait",
            "Time to get a write transaction: a pooled connection (PostgreSQL) or the one writer (SQLite)",
            Unit::Seconds,
            store.write_wait_seconds.clone(),
        );
        registry.register(
            "cache_lookups",
            "Read-cache look-ups (sessions, accounts, rooms, members), by result",
            store.cache.clone(),
        );
        let mail_registry = registry.sub_registry_with_label(("channel".into(), "mail".into()));
        mail_registry.register("outbox_sent", "Alerts delivered", mail.sent.clone());
        mail_registry.register(
            "outbox_failures",
            "Failed delivery attempts (retried later)",
            mail.failures.clone(),
        );
        Self {
            registry,
            http,
            chat,
            mail,
        }
    }

    /// The exposition text (OpenMetrics), with `scraped` added.
    #[must_use]
    pub fn render(&self, scraped: &Scraped) -> String {
        let mut out = String::with_capacity(16 * 1024);
        let _ = encode_registry(&mut out, &self.registry);
        let _ = encode_registry(&mut out, &scraped_registry(scraped));
        let _ = encode_eof(&mut out);
        out
    }
}

/// A registry of the values read at scrape time.
fn scraped_registry(s: &Scraped) -> Registry {
    let mut registry = Registry::with_prefix("conversate");
    let outbox = Family::<Vec<(&'static str, String)>, Gauge>::default();
    for (channel, status, count) in &s.outbox {
        outbox
            .get_or_create(&vec![
                ("channel", (*channel).to_owned()),
                ("status", status.clone()),
            ])
            .set(*count);
    }
    registry.register("outbox_items", "Outbox items by channel and status", outbox);
    let age = Family::<Labels<1>, Gauge>::default();
    for (channel, seconds) in &s.outbox_age {
        age.get_or_create(&[("channel", channel)]).set(*seconds);
    }
    registry.register_with_unit(
        "outbox_oldest_due_age",
        "How long the oldest due, unsent item has waited (0 when none)",
        Unit::Seconds,
        age,
    );
    let (open, idle, max) = (
        Family::<Labels<1>, Gauge>::default(),
        Family::<Labels<1>, Gauge>::default(),
        Family::<Labels<1>, Gauge>::default(),
    );
    for pool in &s.pools {
        let labels = [("pool", pool.name)];
        open.get_or_create(&labels).set(i64::from(pool.size));
        idle.get_or_create(&labels)
            .set(i64::try_from(pool.idle).unwrap_or(i64::MAX));
        max.get_or_create(&labels).set(i64::from(pool.max));
    }
    registry.register("db_pool_connections", "Open database connections", open);
    registry.register(
        "db_pool_idle_connections",
        "Idle database connections",
        idle,
    );
    registry.register(
        "db_pool_max_connections",
        "Most database connections the pool opens",
        max,
    );
    if let Some(bytes) = s.resident_bytes {
        registry.register_with_unit(
            "process_resident_memory",
            "Resident memory of the process",
            Unit::Bytes,
            ConstGauge::new(i64::try_from(bytes).unwrap_or(i64::MAX)),
        );
    }
    registry
}

/// The process's resident memory, from `/proc/self/status` (Linux).
#[must_use]
pub fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
