//! Server-side session records (see `web::session` for the cookie side).
//! They live in our own tables behind the same store
//! as everything else, and so work on every node of a multi-node site.

use super::Result;

/// Session rows: an opaque JSON blob with an expiry in Unix seconds.
#[async_trait::async_trait]
pub trait SessionRecords: Send + Sync {
    /// Inserts a new session; false when the id already exists.
    async fn insert(&self, id: &str, data: &str, expires: i64) -> Result<bool>;
    /// Inserts or replaces a session.
    async fn upsert(&self, id: &str, data: &str, expires: i64) -> Result<()>;
    /// A live session's data and expiry.
    async fn load(&self, id: &str, now: i64) -> Result<Option<(String, i64)>>;
    /// Removes one session.
    async fn delete(&self, id: &str) -> Result<()>;
    /// Removes expired sessions; returns how many.
    async fn delete_expired(&self, now: i64) -> Result<u64>;
}
