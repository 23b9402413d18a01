//! Accounts.

use super::{Backend, touched};
use crate::domain::User;
use crate::store::rows::{USER_COLUMNS, UserRow, user};
use crate::store::{Accounts, NewUser, Result};

#[async_trait::async_trait]
impl Accounts for Backend {
    #[tracing::instrument(skip_all, fields(username = %new.username))]
    async fn create_user(&self, new: NewUser) -> Result<User> {
        let id = sqlx::query_scalar(
            "INSERT INTO users (username, username_key, email, password_hash, is_admin, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(&new.username)
        .bind(&new.username_key)
        .bind(&new.email)
        .bind(&new.password_hash)
        .bind(new.is_admin)
        .bind(new.created_at)
        .fetch_one(self.writer())
        .await?;
        Ok(User {
            id,
            username: new.username,
            email: new.email,
            password_hash: new.password_hash,
            is_admin: new.is_admin,
            is_active: true,
            alert_email: None,
            language: None,
            time_zone: None,
        })
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
