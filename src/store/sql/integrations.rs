//! Bots, API tokens and incoming webhooks (migration 0013).

use super::{Backend, touched};
use crate::domain::User;
use crate::domain::integrations::{ApiToken, Bot, IncomingHook, NewHook, NewToken};
use crate::store::{Integrations, NewUser, Result};

const TOKEN_COLUMNS: &str = "t.id, t.user_id, t.name, t.selector, t.secret_hash, t.can_read, \
     t.can_post, t.room_id, r.slug, t.created_at, t.last_used_at, t.revoked_at";
const TOKEN_FROM: &str = "api_tokens t LEFT JOIN rooms r ON r.id = t.room_id";
type TokenRow = (
    i64,
    i64,
    String,
    String,
    String,
    bool,
    bool,
    Option<i64>,
    Option<String>,
    i64,
    Option<i64>,
    Option<i64>,
);

fn token(
    (
        id,
        user_id,
        name,
        selector,
        secret_hash,
        can_read,
        can_post,
        room_id,
        room_slug,
        created_at,
        last_used_at,
        revoked_at,
    ): TokenRow,
) -> ApiToken {
    ApiToken {
        id,
        user_id,
        name,
        selector,
        secret_hash,
        can_read,
        can_post,
        room_id,
        room_slug,
        created_at,
        last_used_at,
        revoked_at,
    }
}

const HOOK_COLUMNS: &str = "h.id, h.room_id, r.slug, h.bot_id, u.username, h.name, h.selector, \
     h.secret_hash, h.created_at, h.last_used_at, h.revoked_at";
const HOOK_FROM: &str =
    "incoming_hooks h JOIN rooms r ON r.id = h.room_id JOIN users u ON u.id = h.bot_id";
type HookRow = (
    i64,
    i64,
    String,
    i64,
    String,
    String,
    String,
    String,
    i64,
    Option<i64>,
    Option<i64>,
);

fn hook(
    (
        id,
        room_id,
        room_slug,
        bot_id,
        bot_name,
        name,
        selector,
        secret_hash,
        created_at,
        last_used_at,
        revoked_at,
    ): HookRow,
) -> IncomingHook {
    IncomingHook {
        id,
        room_id,
        room_slug,
        bot_id,
        bot_name,
        name,
        selector,
        secret_hash,
        created_at,
        last_used_at,
        revoked_at,
    }
}

#[async_trait::async_trait]
impl Integrations for Backend {
    async fn create_bot(&self, new: NewUser, owner_id: i64) -> Result<User> {
        let mut tx = self.begin().await?;
        let new = NewUser {
            email: None,
            is_admin: false,
            ..new
        };
        let id = super::accounts::insert_user(&mut *tx, &new).await?;
        sqlx::query("INSERT INTO bots (user_id, owner_id, created_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(owner_id)
            .bind(new.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(new.into_user(id))
    }

    async fn bots(&self) -> Result<Vec<Bot>> {
        let rows: Vec<(i64, String, Option<String>, i64)> = sqlx::query_as(
            "SELECT b.user_id, u.username, o.username, b.created_at FROM bots b \
             JOIN users u ON u.id = b.user_id LEFT JOIN users o ON o.id = b.owner_id \
             ORDER BY u.username_key",
        )
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(user_id, username, owner, created_at)| Bot {
                user_id,
                username,
                owner,
                created_at,
            })
            .collect())
    }

    async fn is_bot(&self, user_id: i64) -> Result<bool> {
        let found: Option<i64> = sqlx::query_scalar("SELECT user_id FROM bots WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(self.reader())
            .await?;
        Ok(found.is_some())
    }

    async fn create_token(&self, t: NewToken) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, selector, secret_hash, can_read, can_post, \
             room_id, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING id",
        )
        .bind(t.user_id)
        .bind(&t.name)
        .bind(&t.selector)
        .bind(&t.secret_hash)
        .bind(t.can_read)
        .bind(t.can_post)
        .bind(t.room_id)
        .bind(t.created_by)
        .bind(t.created_at)
        .fetch_one(self.writer())
        .await?)
    }

    async fn token_by_selector(&self, selector: &str) -> Result<ApiToken> {
        let row: TokenRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM {TOKEN_FROM} WHERE t.selector = $1"
        )))
        .bind(selector)
        .fetch_one(self.reader())
        .await?;
        Ok(token(row))
    }

    async fn tokens_of(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        let rows: Vec<TokenRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {TOKEN_COLUMNS} FROM {TOKEN_FROM} WHERE t.user_id = $1 ORDER BY t.id DESC"
        )))
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(token).collect())
    }

    async fn revoke_token(&self, id: i64, user_id: i64, now: i64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 \
             WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(user_id)
        .execute(self.writer())
        .await?;
        touched(done)
    }

    async fn token_used(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn create_hook(&self, h: NewHook) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO incoming_hooks (room_id, bot_id, name, selector, secret_hash, \
             created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(h.room_id)
        .bind(h.bot_id)
        .bind(&h.name)
        .bind(&h.selector)
        .bind(&h.secret_hash)
        .bind(h.created_by)
        .bind(h.created_at)
        .fetch_one(self.writer())
        .await?)
    }

    async fn hook_by_selector(&self, selector: &str) -> Result<IncomingHook> {
        let row: HookRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {HOOK_COLUMNS} FROM {HOOK_FROM} WHERE h.selector = $1"
        )))
        .bind(selector)
        .fetch_one(self.reader())
        .await?;
        Ok(hook(row))
    }

    async fn hooks(&self) -> Result<Vec<IncomingHook>> {
        let rows: Vec<HookRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {HOOK_COLUMNS} FROM {HOOK_FROM} ORDER BY h.id DESC"
        )))
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(hook).collect())
    }

    async fn revoke_hook(&self, id: i64, now: i64) -> Result<IncomingHook> {
        let done = sqlx::query(
            "UPDATE incoming_hooks SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(self.writer())
        .await?;
        touched(done)?;
        // Read on the writer: a reader might not see the change yet.
        let row: HookRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {HOOK_COLUMNS} FROM {HOOK_FROM} WHERE h.id = $1"
        )))
        .bind(id)
        .fetch_one(self.writer())
        .await?;
        Ok(hook(row))
    }

    async fn hook_used(&self, id: i64, now: i64) -> Result<()> {
        sqlx::query("UPDATE incoming_hooks SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
