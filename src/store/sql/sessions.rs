//! Session records.

use super::Backend;
use crate::store::{Result, SessionRecords};

#[async_trait::async_trait]
impl SessionRecords for Backend {
    async fn insert(&self, id: &str, data: &str, expires: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO sessions (id, data, expires) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
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
        .bind(id)
        .bind(data)
        .bind(expires)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn load(&self, id: &str, now: i64) -> Result<Option<(String, i64)>> {
        Ok(
            sqlx::query_as("SELECT data, expires FROM sessions WHERE id = $1 AND expires > $2")
                .bind(id)
                .bind(now)
                .fetch_optional(self.reader())
                .await?,
        )
    }

    async fn delete(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id = $1")
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
