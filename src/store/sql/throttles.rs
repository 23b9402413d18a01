//! Throttles shared by every node (GCRA, one row per key).
//!
//! A key may pass when its theoretical arrival time (`tat`) is at most
//! `tolerance` ahead of now, the burst a quota allows; passing moves `tat`
//! one interval on from the later of itself and now. Checking and moving
//! are one statement, so nodes racing on one key cannot both pass on the
//! last slot. Times are microseconds.

use super::Backend;
use crate::store::{Result, Throttles};

#[async_trait::async_trait]
impl Throttles for Backend {
    async fn take(&self, key: &str, now: i64, interval: i64, burst: u32) -> Result<Option<i64>> {
        let tolerance = interval.saturating_mul(i64::from(burst.max(1)) - 1);
        let passed: Option<i64> = sqlx::query_scalar(
            "INSERT INTO throttle (key, tat) VALUES ($1, $2 + $3) \
             ON CONFLICT (key) DO UPDATE \
             SET tat = CASE WHEN throttle.tat > $2 THEN throttle.tat ELSE $2 END + $3 \
             WHERE throttle.tat - $2 <= $4 \
             RETURNING tat",
        )
        .bind(key)
        .bind(now)
        .bind(interval)
        .bind(tolerance)
        .fetch_optional(self.writer())
        .await?;
        if passed.is_some() {
            return Ok(None);
        }
        let tat: Option<i64> = sqlx::query_scalar("SELECT tat FROM throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(self.writer())
            .await?;
        Ok(Some(
            tat.map_or(interval, |tat| tat - now - tolerance).max(1),
        ))
    }

    async fn sweep_throttles(&self, now: i64) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM throttle WHERE tat < $1")
            .bind(now)
            .execute(self.writer())
            .await?
            .rows_affected())
    }
}
