//! The administrator's overview: activity, health and what needs
//! attention, gathered in one go for the page at `/admin/`.

use std::path::{Path, PathBuf};

use super::ServiceError;
use super::chat::Chat;
use crate::domain::overview::{
    self, ACTIVITY_DAYS, ACTIVITY_WEEKS, Activity, Attention, DAY, OutboxHealth, QUIET_FOR,
    StorageFacts,
};
use crate::domain::{Room, UnixTime};
use crate::store::DatabaseInfo;

/// How often a server node says it is alive.
pub const HEARTBEAT_SECS: u64 = 30;
/// A node silent for this long is no longer counted as alive.
pub const ALIVE_WITHIN: i64 = 90;

/// This server node: its id among the nodes of a site and when it started.
#[derive(Debug, Clone, Copy)]
pub struct Node {
    pub id: u64,
    pub started_at: UnixTime,
}

impl Node {
    /// The node id as the database stores it.
    #[must_use]
    pub fn key(&self) -> i64 {
        i64::from_ne_bytes(self.id.to_ne_bytes())
    }
}

/// The version of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Everything the overview shows, as of `now`.
#[derive(Debug, Clone)]
pub struct Report {
    pub now: UnixTime,
    /// The days shown, inclusive (see [`overview::day_of`]).
    pub first_day: i64,
    pub last_day: i64,
    /// The weeks shown, inclusive (see [`overview::week_of`]).
    pub first_week: i64,
    pub last_week: i64,
    pub activity: Activity,
    pub rooms: Vec<Room>,
    pub accounts: usize,
    pub outbox: OutboxHealth,
    pub storage: StorageFacts,
    /// The database engine, its durability setting and size.
    pub database: DatabaseInfo,
    /// Bytes free for this server in the data directory, when known.
    pub disk_free: Option<u64>,
    pub attention: Attention,
    pub node: Node,
}

/// Gathers the overview; `data_dir` is where the free space is measured.
///
/// # Errors
/// When storage fails.
#[tracing::instrument(skip_all)]
pub async fn report(chat: &Chat, node: Node, data_dir: &Path) -> Result<Report, ServiceError> {
    let now = crate::domain::now();
    let last_day = overview::day_of(now);
    let first_day = last_day - (ACTIVITY_DAYS - 1);
    let last_week = overview::week_of(last_day);
    let first_week = last_week - (ACTIVITY_WEEKS - 1);
    let store = &chat.store;
    let dir: PathBuf = data_dir.to_owned();
    let (activity, outbox, storage, database, attention, rooms, users, disk_free) = tokio::try_join!(
        async {
            store
                .overview()
                .activity(first_day, overview::week_start(first_week))
                .await
                .map_err(ServiceError::from)
        },
        async {
            store
                .overview()
                .outbox_health(now - DAY)
                .await
                .map_err(ServiceError::from)
        },
        async {
            store
                .overview()
                .storage_facts(now - ALIVE_WITHIN)
                .await
                .map_err(ServiceError::from)
        },
        async { Ok(store.describe().await?) },
        async {
            store
                .overview()
                .attention(now - QUIET_FOR)
                .await
                .map_err(ServiceError::from)
        },
        async { Ok(store.rooms().list_rooms().await?) },
        async { Ok(store.accounts().list_users().await?) },
        async {
            Ok(tokio::task::spawn_blocking(move || free_space(&dir))
                .await
                .ok()
                .flatten())
        },
    )?;
    Ok(Report {
        now,
        first_day,
        last_day,
        first_week,
        last_week,
        activity,
        rooms,
        accounts: users.iter().filter(|u| u.is_active).count(),
        outbox,
        storage,
        database,
        disk_free,
        attention,
        node,
    })
}

/// Says that this node is alive, every [`HEARTBEAT_SECS`], until `stop`
/// flips: the overview counts the nodes heard from lately.
pub async fn heartbeat(
    chat: std::sync::Arc<Chat>,
    node: Node,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(HEARTBEAT_SECS));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            _ = tick.tick() => {
                let now = crate::domain::now();
                if let Err(e) = chat.store.overview().node_alive(node.key(), VERSION, node.started_at, now).await {
                    tracing::debug!(error = %e, "cannot record this node's heartbeat");
                }
            }
        }
    }
}

/// Bytes available to this (unprivileged) process on the file system of `dir`.
fn free_space(dir: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(dir).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}
