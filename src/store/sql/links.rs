//! Invitation and password reset links, and the account e-mails queued for
//! the mail worker. Tokens arrive here only as hashes.

use super::{Backend, Db};
use crate::domain::User;
use crate::domain::links::{AccountMailItem, Invitation, InvitationUse, ResetLink};
use crate::store::rows::{USER_COLUMNS, UserRow, user};
use crate::store::{AccountMail, Links, NewInvitation, NewUser, Result, StoreError};

const INVITATION_COLUMNS: &str =
    "id, created_at, expires_at, max_uses, uses, email, revoked_at, created_by_name";
type InvitationRow = (i64, i64, i64, i64, i64, Option<String>, Option<i64>, String);

fn invitation(
    (id, created_at, expires_at, max_uses, uses, email, revoked_at, created_by_name): InvitationRow,
) -> Invitation {
    Invitation {
        id,
        created_at,
        expires_at,
        max_uses,
        uses,
        email,
        revoked_at,
        created_by_name,
        rooms: Vec::new(),
    }
}

const RESET_COLUMNS: &str = "p.id, p.user_id, u.username, p.created_at, p.expires_at, p.used_at, \
     p.revoked_at FROM password_resets p JOIN users u ON u.id = p.user_id";
type ResetRow = (i64, i64, String, i64, i64, Option<i64>, Option<i64>);

fn reset(
    (id, user_id, username, created_at, expires_at, used_at, revoked_at): ResetRow,
) -> ResetLink {
    ResetLink {
        id,
        user_id,
        username,
        created_at,
        expires_at,
        used_at,
        revoked_at,
    }
}

/// Fills in the rooms of `invitations` (every one of them among the
/// invitations `scope` selects), in one query.
async fn with_rooms<'e>(
    db: impl sqlx::Executor<'e, Database = Db>,
    mut invitations: Vec<Invitation>,
    scope: &str,
    bind: i64,
) -> Result<Vec<Invitation>> {
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT ir.invitation_id, r.id, r.slug FROM invitation_rooms ir \
         JOIN rooms r ON r.id = ir.room_id WHERE ir.invitation_id IN ({scope}) ORDER BY r.slug"
    )))
    .bind(bind)
    .fetch_all(db)
    .await?;
    for (invitation_id, room_id, slug) in rows {
        if let Some(i) = invitations.iter_mut().find(|i| i.id == invitation_id) {
            i.rooms.push((room_id, slug));
        }
    }
    Ok(invitations)
}

#[async_trait::async_trait]
impl Links for Backend {
    async fn create_invitation(&self, new: NewInvitation) -> Result<Invitation> {
        let mut tx = self.begin().await?;
        let row: InvitationRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO invitations (token_hash, created_at, expires_at, max_uses, email, \
             created_by, created_by_name) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             RETURNING {INVITATION_COLUMNS}"
        )))
        .bind(&new.token_hash)
        .bind(new.created_at)
        .bind(new.expires_at)
        .bind(new.max_uses)
        .bind(&new.email)
        .bind(new.created_by)
        .bind(&new.created_by_name)
        .fetch_one(&mut *tx)
        .await?;
        let id = row.0;
        for room_id in &new.room_ids {
            sqlx::query(
                "INSERT INTO invitation_rooms (invitation_id, room_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(id)
            .bind(room_id)
            .execute(&mut *tx)
            .await?;
        }
        let found = with_rooms(&mut *tx, vec![invitation(row)], "$1", id).await?;
        tx.commit().await?;
        found.into_iter().next().ok_or(StoreError::NotFound)
    }

    async fn invitation(&self, token_hash: &str) -> Result<Invitation> {
        let row: InvitationRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations WHERE token_hash = $1"
        )))
        .bind(token_hash)
        .fetch_one(self.reader())
        .await?;
        let id = row.0;
        let found = with_rooms(self.reader(), vec![invitation(row)], "$1", id).await?;
        found.into_iter().next().ok_or(StoreError::NotFound)
    }

    async fn invitations(&self, limit: u32) -> Result<Vec<Invitation>> {
        let rows: Vec<InvitationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations ORDER BY id DESC LIMIT {limit}"
        )))
        .fetch_all(self.reader())
        .await?;
        let oldest = rows.last().map_or(0, |r| r.0);
        let list = rows.into_iter().map(invitation).collect();
        with_rooms(
            self.reader(),
            list,
            "SELECT id FROM invitations WHERE id >= $1",
            oldest,
        )
        .await
    }

    async fn invitation_uses(&self, limit: u32) -> Result<Vec<InvitationUse>> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT invitation_id, username, at FROM invitation_uses ORDER BY id DESC LIMIT {limit}"
        )))
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(invitation_id, username, at)| InvitationUse {
                invitation_id,
                username,
                at,
            })
            .collect())
    }

    async fn revoke_invitation(&self, id: i64, at: i64) -> Result<Invitation> {
        let row: InvitationRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE invitations SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 \
             RETURNING {INVITATION_COLUMNS}"
        )))
        .bind(id)
        .bind(at)
        .fetch_one(self.writer())
        .await?;
        Ok(invitation(row))
    }

    async fn rekey_invitation(&self, id: i64, token_hash: &str, now: i64) -> Result<Invitation> {
        let changed: Option<i64> = sqlx::query_scalar(
            "UPDATE invitations SET token_hash = $1 WHERE id = $2 AND revoked_at IS NULL \
             AND expires_at > $3 AND uses < max_uses RETURNING id",
        )
        .bind(token_hash)
        .bind(id)
        .bind(now)
        .fetch_optional(self.writer())
        .await?;
        if changed.is_none() {
            return Err(StoreError::NotFound);
        }
        self.invitation(token_hash).await
    }

    async fn accept_invitation(
        &self,
        id: i64,
        now: i64,
        new: NewUser,
        colours: &[(i64, String)],
    ) -> Result<User> {
        let mut tx = self.begin().await?;
        // Counting the use and checking the link are one statement, so two
        // people racing for the last use cannot both get it.
        let counted: Option<i64> = sqlx::query_scalar(
            "UPDATE invitations SET uses = uses + 1 WHERE id = $1 AND revoked_at IS NULL \
             AND expires_at > $2 AND uses < max_uses RETURNING id",
        )
        .bind(id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if counted.is_none() {
            return Err(StoreError::NotFound);
        }
        let user_id = super::accounts::insert_user(&mut *tx, &new).await?;
        for (room_id, colour) in colours {
            sqlx::query(super::ADD_MEMBER)
                .bind(room_id)
                .bind(user_id)
                .bind(colour)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query(
            "INSERT INTO invitation_uses (invitation_id, user_id, username, at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(user_id)
        .bind(&new.username)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let row: UserRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
        )))
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(user(row))
    }

    async fn create_reset(
        &self,
        user_id: i64,
        token_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .fetch_one(self.writer())
        .await?)
    }

    async fn reset_link(&self, token_hash: &str) -> Result<ResetLink> {
        let row: ResetRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {RESET_COLUMNS} WHERE p.token_hash = $1"
        )))
        .bind(token_hash)
        .fetch_one(self.reader())
        .await?;
        Ok(reset(row))
    }

    async fn use_reset(&self, token_hash: &str, now: i64, password_hash: &str) -> Result<i64> {
        let mut tx = self.begin().await?;
        let user_id: Option<i64> = sqlx::query_scalar(
            "UPDATE password_resets SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL \
             AND revoked_at IS NULL AND expires_at > $2 \
             AND user_id IN (SELECT id FROM users WHERE is_active) RETURNING user_id",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(user_id) = user_id else {
            return Err(StoreError::NotFound);
        };
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        // One reset ends the account's other outstanding links.
        sqlx::query(
            "UPDATE password_resets SET revoked_at = $2 WHERE user_id = $1 \
             AND used_at IS NULL AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(user_id)
    }

    async fn reset_links(&self, limit: u32) -> Result<Vec<ResetLink>> {
        let rows: Vec<ResetRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {RESET_COLUMNS} ORDER BY p.id DESC LIMIT {limit}"
        )))
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(reset).collect())
    }

    async fn revoke_reset(&self, id: i64, at: i64) -> Result<ResetLink> {
        let done = sqlx::query(
            "UPDATE password_resets SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
        )
        .bind(id)
        .bind(at)
        .execute(self.writer())
        .await?;
        super::touched(done)?;
        let row: ResetRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {RESET_COLUMNS} WHERE p.id = $1"
        )))
        .bind(id)
        .fetch_one(self.writer())
        .await?;
        Ok(reset(row))
    }

    async fn reset_accounts(&self, key: &str) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {USER_COLUMNS} FROM users WHERE is_active \
             AND (username_key = $1 OR LOWER(email) = $1) ORDER BY id"
        )))
        .bind(key)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(user).collect())
    }
}

#[async_trait::async_trait]
impl AccountMail for Backend {
    async fn queue_account_mail(&self, kind: &str, entered: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO account_mail (kind, entered, created_at, next_attempt_at) \
             VALUES ($1, $2, $3, $3)",
        )
        .bind(kind)
        .bind(entered)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn due_account_mail(&self, now: i64, limit: u32) -> Result<Vec<AccountMailItem>> {
        let rows: Vec<(i64, String, String, i64, i64)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, kind, entered, created_at, attempts FROM account_mail \
                 WHERE status = 'pending' AND next_attempt_at <= $1 \
                 AND (claimed_until IS NULL OR claimed_until < $1) ORDER BY id LIMIT {limit}"
            )))
            .bind(now)
            .fetch_all(self.reader())
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(id, kind, entered, created_at, attempts)| AccountMailItem {
                    id,
                    kind,
                    entered,
                    created_at,
                    attempts,
                },
            )
            .collect())
    }

    async fn claim_account_mail(&self, id: i64, now: i64, until: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE account_mail SET claimed_until = $3 WHERE id = $1 AND status = 'pending' \
             AND (claimed_until IS NULL OR claimed_until < $2)",
        )
        .bind(id)
        .bind(now)
        .bind(until)
        .execute(self.writer())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn account_mail_done(
        &self,
        id: i64,
        status: &str,
        now: i64,
        note: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE account_mail SET status = $2, sent_at = $3, last_error = $4, \
             claimed_until = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(status)
        .bind(now)
        .bind(note)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    async fn account_mail_failed(&self, id: i64, next_attempt_at: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE account_mail SET attempts = attempts + 1, next_attempt_at = $2, \
             last_error = $3, claimed_until = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(next_attempt_at)
        .bind(error)
        .execute(self.writer())
        .await?;
        Ok(())
    }
}
