//! Accounts.

use super::{Backend, Db, touched};
use crate::domain::User;
use crate::store::rows::{USER_COLUMNS, UserRow, user};
use crate::store::{Accounts, NewUser, Result};

/// Writes a new account's row (every path that makes one: the admin, an
/// invitation, single sign-on, a bot); answers its id.
pub(super) async fn insert_user<'e>(
    db: impl sqlx::Executor<'e, Database = Db>,
    new: &NewUser,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO users (username, username_key, email, password_hash, is_admin, created_at, \
         display_name) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&new.username)
    .bind(&new.username_key)
    .bind(&new.email)
    .bind(&new.password_hash)
    .bind(new.is_admin)
    .bind(new.created_at)
    .bind(&new.display_name)
    .fetch_one(db)
    .await?)
}

#[async_trait::async_trait]
impl Accounts for Backend {
    #[tracing::instrument(skip_all, fields(username = %new.username))]
    async fn create_user(&self, new: NewUser) -> Result<User> {
        let id = insert_user(self.writer(), &new).await?;
        Ok(new.into_user(id))
    }

    async fn user_by_id(&self, id: i64) -> Result<User> {
        let row: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(self.reader())
        .await?;
        Ok(user(row))
    }

    async fn user_by_name(&self, username_key: &str) -> Result<User> {
        let row: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE username_key = $1"
        )))
        .bind(username_key)
        .fetch_one(self.reader())
        .await?;
        Ok(user(row))
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY username_key"
        )))
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(user).collect())
    }

    async fn has_admin(&self) -> Result<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE is_admin AND is_active)")
                .fetch_one(self.reader())
                .await?,
        )
    }

    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()> {
        touched(
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(user_id)
                .execute(self.writer())
                .await?,
        )
    }

    async fn set_alert_email(&self, user_id: i64, address: Option<&str>) -> Result<()> {
        touched(
            sqlx::query("UPDATE users SET alert_email = $1 WHERE id = $2")
                .bind(address)
                .bind(user_id)
                .execute(self.writer())
                .await?,
        )
    }

    async fn set_locale(
        &self,
        user_id: i64,
        language: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<()> {
        touched(
            sqlx::query("UPDATE users SET language = $1, time_zone = $2 WHERE id = $3")
                .bind(language)
                .bind(time_zone)
                .bind(user_id)
                .execute(self.writer())
                .await?,
        )
    }

    async fn set_display_name(&self, user_id: i64, name: Option<&str>) -> Result<()> {
        touched(
            sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
                .bind(name)
                .bind(user_id)
                .execute(self.writer())
                .await?,
        )
    }

    async fn set_avatar(&self, user_id: i64, key: Option<&str>) -> Result<Option<String>> {
        // Read and replace in one transaction, so two uploads racing each
        // other each learn the key they replaced and no file is orphaned.
        let mut tx = self.begin().await?;
        let old: Option<String> = sqlx::query_scalar("SELECT avatar_key FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(crate::store::StoreError::NotFound)?;
        sqlx::query("UPDATE users SET avatar_key = $1 WHERE id = $2")
            .bind(key)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(old)
    }

    async fn update_user(
        &self,
        user_id: i64,
        email: Option<&str>,
        is_admin: bool,
        is_active: bool,
    ) -> Result<()> {
        touched(
            sqlx::query("UPDATE users SET email = $1, is_admin = $2, is_active = $3 WHERE id = $4")
                .bind(email)
                .bind(is_admin)
                .bind(is_active)
                .bind(user_id)
                .execute(self.writer())
                .await?,
        )
    }
}
