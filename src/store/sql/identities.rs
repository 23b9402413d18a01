//! Outside identities linked to accounts (migration 0015).

use super::{Backend, touched};
use crate::store::{Identities, Result};

#[async_trait::async_trait]
impl Identities for Backend {
    async fn identity_user(&self, source: &str, subject: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "SELECT user_id FROM external_identities WHERE source = $1 AND subject = $2",
        )
        .bind(source)
        .bind(subject)
        .fetch_one(self.reader())
        .await?)
    }

    async fn linked_subject(&self, source: &str, user_id: i64) -> Result<String> {
        Ok(sqlx::query_scalar(
            "SELECT subject FROM external_identities WHERE source = $1 AND user_id = $2 \
             ORDER BY created_at LIMIT 1",
        )
        .bind(source)
        .bind(user_id)
        .fetch_one(self.reader())
        .await?)
    }

    #[tracing::instrument(skip_all, fields(source = %source))]
    async fn link_identity(
        &self,
        source: &str,
        subject: &str,
        user_id: i64,
        display_name: Option<&str>,
        now: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO external_identities (source, subject, user_id, display_name, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(source)
        .bind(subject)
        .bind(user_id)
        .bind(display_name)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn set_identity_name(
        &self,
        source: &str,
        subject: &str,
        display_name: Option<&str>,
    ) -> Result<()> {
        touched(
            sqlx::query(
                "UPDATE external_identities SET display_name = $3 \
                 WHERE source = $1 AND subject = $2",
            )
            .bind(source)
            .bind(subject)
            .bind(display_name)
            .execute(self.writer())
            .await?,
        )
    }
}
