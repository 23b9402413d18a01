//! Server-side session records, and the bridge to `tower-sessions`.
//!
//! Why our own store: the published `tower-sessions-sqlx-store` is built on an
//! older sqlx line than ours, so sessions live in our own tables behind the
//! same [`Backend`](super::Backend) as everything else (and so work on every
//! node of a multi-node site).

use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;

use super::{Store, StoreError};

/// Session rows: an opaque JSON blob with an expiry in Unix seconds.
#[async_trait::async_trait]
pub trait SessionRecords: Send + Sync {
    /// Inserts a new session; false when the id already exists.
    async fn insert(&self, id: &str, data: &str, expires: i64) -> Result<bool, StoreError>;
    /// Inserts or replaces a session.
    async fn upsert(&self, id: &str, data: &str, expires: i64) -> Result<(), StoreError>;
    /// A live session's data and expiry.
    async fn load(&self, id: &str, now: i64) -> Result<Option<(String, i64)>, StoreError>;
    /// Removes one session.
    async fn delete(&self, id: &str) -> Result<(), StoreError>;
    /// Removes expired sessions; returns how many.
    async fn delete_expired(&self, now: i64) -> Result<u64, StoreError>;
}

/// `tower-sessions` store over [`Store`].
#[derive(Clone, Debug)]
pub struct SessionStoreAdapter(pub Store);

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl session_store::SessionStore for SessionStoreAdapter {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Ids are 128 random bits; a collision is astronomically rare, but cheap to handle.
        loop {
            let data = serde_json::to_string(&record.data).map_err(backend)?;
            let inserted = self
                .0
                .sessions()
                .insert(
                    &record.id.to_string(),
                    &data,
                    record.expiry_date.unix_timestamp(),
                )
                .await
                .map_err(backend)?;
            if inserted {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(&record.data).map_err(backend)?;
        self.0
            .sessions()
            .upsert(
                &record.id.to_string(),
                &data,
                record.expiry_date.unix_timestamp(),
            )
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = crate::domain::now();
        let Some((data, expires)) = self
            .0
            .sessions()
            .load(&id.to_string(), now)
            .await
            .map_err(backend)?
        else {
            return Ok(None);
        };
        let data = serde_json::from_str(&data).map_err(backend)?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(expires).map_err(backend)?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.0
            .sessions()
            .delete(&id.to_string())
            .await
            .map_err(backend)
    }
}
