//! The alert e-mail queue. Several nodes share it: an item is claimed for a
//! while before it is sent, so only one node sends it.

use super::Backend;
use crate::domain::OutboxItem;
use crate::store::rows::{OUTBOX_COLUMNS, OutboxRow, outbox_item};
use crate::store::{Outbox, Result};

#[async_trait::async_trait]
impl Outbox for Backend {
    async fn due_alerts(&self, now: i64, limit: u32) -> Result<Vec<OutboxItem>> {
        let rows: Vec<OutboxRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {OUTBOX_COLUMNS} FROM outbox \
             WHERE status = 'pending' AND next_attempt_at <= $1 \
             AND (claimed_until IS NULL OR claimed_until < $1) \
             ORDER BY next_attempt_at, id LIMIT {limit}"
        )))
        .bind(now)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(outbox_item).collect())
    }

    async fn claim_alert(&self, id: i64, now: i64, until: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE outbox SET claimed_until = $1 WHERE id = $2 AND status = 'pending' \
             AND (claimed_until IS NULL OR claimed_until < $3)",
        )
        .bind(until)
        .bind(id)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn alert_sent(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, \
             claimed_until = NULL WHERE id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn alert_failed(
        &self,
        id: i64,
        now: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2, \
             failure = $2, failed_at = $3, claimed_until = NULL WHERE id = $4",
        )
        .bind(next_attempt_at)
        .bind(error)
        .bind(now)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn alert_cancelled(&self, id: i64, reason: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET status = 'cancelled', last_error = $1, claimed_until = NULL \
             WHERE id = $2",
        )
        .bind(reason)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn oldest_pending_alert(&self) -> Result<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT MIN(send_after) FROM outbox WHERE status = 'pending'")
                .fetch_one(self.reader())
                .await?,
        )
    }

    async fn outbox_counts(&self) -> Result<Vec<(String, i64)>> {
        Ok(
            sqlx::query_as("SELECT status, COUNT(*) FROM outbox GROUP BY status ORDER BY status")
                .fetch_all(self.reader())
                .await?,
        )
    }
}
