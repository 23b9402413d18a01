//! Throttles shared by every node (GCRA, one row per key).
//!
//! A key may pass when its theoretical arrival time (`tat`) is at most
//! `tolerance` ahead of now, the burst a quota allows; passing moves `tat`
//! one interval on from the later of itself and now. Checking and moving
//! are one statement, so nodes racing on one key cannot both pass on the
//! last slot. Times are microseconds. A backend takes them through its
//! `take_throttle`: here, one statement a take; PostgreSQL's batches them
//! (`postgres/throttles.rs`).

use super::{Backend, Db};
use crate::store::{Result, Throttles};

#[async_trait::async_trait]
impl Throttles for Backend {
    async fn take(&self, key: &str, now: i64, interval: i64, burst: u32) -> Result<Option<i64>> {
        let tolerance = interval.saturating_mul(i64::from(burst.max(1)) - 1);
        self.take_throttle(key, now, interval, tolerance).await
    }

    async fn sweep_throttles(&self, now: i64) -> Result<u64> {
        Ok(sqlx::query("DELETE FROM throttle WHERE tat < $1")
            .bind(now)
            .execute(self.writer())
            .await?
            .rows_affected())
    }
}

/// One take in a statement of its own: `None` when it passed, else the
/// wait.
pub(in crate::store) async fn take_alone(
    pool: &sqlx::Pool<Db>,
    key: &str,
    now: i64,
    interval: i64,
    tolerance: i64,
) -> Result<Option<i64>> {
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
    .fetch_optional(pool)
    .await?;
    if passed.is_some() {
        return Ok(None);
    }
    let tat: Option<i64> = sqlx::query_scalar("SELECT tat FROM throttle WHERE key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await?;
    Ok(Some(throttle_wait(tat, now, interval, tolerance)))
}

/// How long a refused take waits, from its key's `tat` (gone when swept
/// meanwhile: one interval).
pub(in crate::store) fn throttle_wait(
    tat: Option<i64>,
    now: i64,
    interval: i64,
    tolerance: i64,
) -> i64 {
    tat.map_or(interval, |tat| tat - now - tolerance).max(1)
}
