//! Session records, stored under a hash of their id.
//!
//! The id in a session cookie is a bearer secret: whoever has it is logged
//! in. So the table holds only its SHA-256 (ids are 128 random bits, so a
//! fast hash without salt is enough: nothing to guess), and a copy of the
//! database or a backup gives no session away. Records written before
//! (keyed by the id itself) are still found, and move to their hash on the
//! first visit; those never visited again expire and are swept as usual.

use super::Backend;
use crate::store::{Result, SessionRecords};

/// The key a session is stored under. The prefix cannot start an id of
/// ours (ids are letters, digits, `-` and `_`), so a hashed key and an old
/// plain one never meet.
fn key(id: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(id.as_bytes());
    let mut out = String::with_capacity(2 + 64);
    out.push_str("h:");
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

#[async_trait::async_trait]
impl SessionRecords for Backend {
    async fn insert(&self, id: &str, data: &str, expires: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO sessions (id, data, expires) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(key(id))
        .bind(data)
        .bind(expires)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn upsert(&self, id: &str, data: &str, expires: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id, data, expires) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires = excluded.expires",
        )
        .bind(key(id))
        .bind(data)
        .bind(expires)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn load(&self, id: &str, now: i64) -> Result<Option<(String, i64)>> {
        let found: Option<(String, i64)> =
            sqlx::query_as("SELECT data, expires FROM sessions WHERE id = $1 AND expires > $2")
                .bind(key(id))
                .bind(now)
                .fetch_optional(self.reader())
                .await?;
        if found.is_some() {
            return Ok(found);
        }
        // A record from before ids were hashed (a read, so that unknown ids
        // cost no write): move it under its hash.
        let legacy: Option<(String, i64)> =
            sqlx::query_as("SELECT data, expires FROM sessions WHERE id = $1 AND expires > $2")
                .bind(id)
                .bind(now)
                .fetch_optional(self.reader())
                .await?;
        let Some((data, expires)) = legacy else {
            return Ok(None);
        };
        let mut tx = self.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id, data, expires) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(key(id))
        .bind(&data)
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some((data, expires)))
    }

    async fn delete(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1 OR id = $2")
            .bind(key(id))
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn delete_expired(&self, now: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires <= $1")
            .bind(now)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected())
    }
}
