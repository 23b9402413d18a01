//! The audit log and the installation's secrets.

use super::Backend;
use crate::domain::AuditEntry;
use crate::store::rows::{AUDIT_COLUMNS, AuditRow, audit_entry};
use crate::store::{Audit, Result, Secrets};

#[async_trait::async_trait]
impl Audit for Backend {
    async fn record_audit(&self, e: AuditEntry) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_id, actor_name, action, target, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(e.at)
        .bind(e.actor_id)
        .bind(&e.actor_name)
        .bind(&e.action)
        .bind(&e.target)
        .bind(&e.detail)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows: Vec<AuditRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log ORDER BY id DESC LIMIT {limit}"
        )))
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(audit_entry).collect())
    }
}

#[async_trait::async_trait]
impl Secrets for Backend {
    async fn secret(&self, name: &str, fresh: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(fresh)
        .execute(self.writer())
        .await?;
        // Read on the writer: a reader might not see the row just written.
        Ok(
            sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
                .bind(name)
                .fetch_one(self.writer())
                .await?,
        )
    }

    async fn set_setup_token(&self, token_hash: Option<&str>) -> Result<()> {
        match token_hash {
            Some(hash) => {
                sqlx::query(
                    "INSERT INTO secrets (name, value) VALUES ('setup_token', $1) \
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                )
                .bind(hash)
                .execute(self.writer())
                .await?
            }
            None => {
                sqlx::query("DELETE FROM secrets WHERE name = 'setup_token'")
                    .execute(self.writer())
                    .await?
            }
        };
        Ok(())
    }

    async fn take_setup_token(&self, token_hash: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM secrets WHERE name = 'setup_token' AND value = $1")
            .bind(token_hash)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
