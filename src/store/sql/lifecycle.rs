//! Changing stored messages: edits, deletions and reactions.
//!
//! Every change is one write transaction that first takes the room's next
//! position (`rooms.last_pos`; on PostgreSQL this also locks the room's row,
//! ordering the change among the room's posts) and then a fresh cursor
//! value from the message id sequence (`next_rev`, per backend). So a
//! change stands in the room's event order exactly like a new message:
//! clients whose cursor is before it get it once, in order, from polls,
//! long-polls and streams (docs/api.md, Changed messages).

use sqlx::Transaction;

use super::{Backend, Db};
use crate::domain::{Message, MessageEdit, Reaction};
use crate::store::rows::{MESSAGE_COLUMNS, MESSAGE_FROM, MessageRow, stored_reactions};
use crate::store::{Change, Changed, Lifecycle, Result, StoreError};

#[async_trait::async_trait]
impl Lifecycle for Backend {
    #[tracing::instrument(skip(self, change))]
    async fn change_message(&self, room_id: i64, id: i64, change: Change) -> Result<Changed> {
        let mut tx = self.begin().await?;
        let pos: Option<i64> = sqlx::query_scalar(
            "UPDATE rooms SET last_pos = last_pos + 1 WHERE id = $1 RETURNING last_pos",
        )
        .bind(room_id)
        .fetch_optional(&mut *tx)
        .await?;
        let pos = pos.ok_or(StoreError::NotFound)?;
        let before = message_in(&mut tx, room_id, id).await?;
        if before.deleted.is_some() {
            tx.rollback().await?;
            return Err(StoreError::Conflict);
        }
        let rev = super::next_rev(&mut tx).await?;
        match &change {
            Change::Edit {
                content,
                html,
                mentions,
                mentioned,
                at,
            } => {
                sqlx::query(
                    "INSERT INTO message_edits (message_id, replaced_at, content) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(at)
                .bind(&before.content)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE messages SET content = $1, html = $2, mentions = $3, edited_at = $4, \
                     pos = $5, rev = $6 WHERE id = $7",
                )
                .bind(content)
                .bind(html)
                .bind(mentions.join(" "))
                .bind(at)
                .bind(pos)
                .bind(rev)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                // Mentions are scanned afresh: counts follow the new text.
                sqlx::query("DELETE FROM mentions WHERE message_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                for &user_id in mentioned {
                    sqlx::query(
                        "INSERT INTO mentions (user_id, room_id, message_id) VALUES ($1, $2, $3) \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(user_id)
                    .bind(room_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            Change::Delete { at } => {
                // The text leaves storage with every copy of it: previous
                // versions, mentions and reactions go too. An UPDATE, not a
                // DELETE: the tombstone keeps its place, and indexes kept by
                // triggers on the text (search) see the text go.
                for table in ["message_edits", "mentions", "reactions"] {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM {table} WHERE message_id = $1"
                    )))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "UPDATE messages SET content = '', html = '', mentions = '', reactions = '', \
                     file_name = NULL, file_size = NULL, file_type = NULL, file_key = NULL, \
                     previews = '', deleted_at = $1, pos = $2, rev = $3 WHERE id = $4",
                )
                .bind(at)
                .bind(pos)
                .bind(rev)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            Change::React { user_id, emoji, at } => {
                let removed = sqlx::query(
                    "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3",
                )
                .bind(id)
                .bind(user_id)
                .bind(emoji)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if removed == 0 {
                    sqlx::query(
                        "INSERT INTO reactions (message_id, user_id, emoji, created_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                    )
                    .bind(id)
                    .bind(user_id)
                    .bind(emoji)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                }
                let summary = reactions_of(&mut tx, id).await?;
                sqlx::query("UPDATE messages SET reactions = $1, pos = $2, rev = $3 WHERE id = $4")
                    .bind(stored_reactions(&summary))
                    .bind(pos)
                    .bind(rev)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            Change::Previews(new) => {
                // Merged here, inside the transaction that orders the
                // room's changes, so an image's and a link's previews made
                // at once by different tasks never undo each other.
                let mut merged = before.previews.clone();
                if new.image.is_some() {
                    merged.image.clone_from(&new.image);
                }
                if new.link.is_some() {
                    merged.link.clone_from(&new.link);
                }
                sqlx::query("UPDATE messages SET previews = $1, pos = $2, rev = $3 WHERE id = $4")
                    .bind(merged.to_stored())
                    .bind(pos)
                    .bind(rev)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let message = message_in(&mut tx, room_id, id).await?;
        tx.commit().await?;
        let kept = message.previews.keys();
        Ok(Changed {
            removed_files: match change {
                Change::Delete { .. } => before
                    .file
                    .iter()
                    .map(|f| f.key.clone())
                    .chain(before.previews.keys())
                    .collect(),
                Change::Previews(_) => before
                    .previews
                    .keys()
                    .into_iter()
                    .filter(|k| !kept.contains(k))
                    .collect(),
                _ => Vec::new(),
            },
            before,
            message,
        })
    }

    async fn edit_history(&self, room_id: i64, id: i64) -> Result<Vec<MessageEdit>> {
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "SELECT e.replaced_at, e.content FROM message_edits e \
             JOIN messages m ON m.id = e.message_id \
             WHERE m.room_id = $1 AND e.message_id = $2 ORDER BY e.id",
        )
        .bind(room_id)
        .bind(id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(replaced_at, content)| MessageEdit {
                replaced_at,
                content,
            })
            .collect())
    }

    async fn live_messages_of(&self, user_id: i64) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT room_id, id FROM messages WHERE user_id = $1 AND deleted_at IS NULL ORDER BY id",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?)
    }
}

/// One message of a room as the transaction sees it.
async fn message_in(tx: &mut Transaction<'static, Db>, room_id: i64, id: i64) -> Result<Message> {
    let row: Option<MessageRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.room_id = $1 AND m.id = $2"
    )))
    .bind(room_id)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(Message::from).ok_or(StoreError::NotFound)
}

/// A message's reactions, each emoji in order of its first use, its people
/// in the order they chose it.
async fn reactions_of(tx: &mut Transaction<'static, Db>, id: i64) -> Result<Vec<Reaction>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT r.emoji, u.username FROM reactions r JOIN users u ON u.id = r.user_id \
         WHERE r.message_id = $1 ORDER BY r.created_at, u.username_key",
    )
    .bind(id)
    .fetch_all(&mut **tx)
    .await?;
    let mut out: Vec<Reaction> = Vec::new();
    for (emoji, username) in rows {
        match out.iter_mut().find(|r| r.emoji == emoji) {
            Some(r) => r.users.push(username),
            None => out.push(Reaction {
                emoji,
                users: vec![username],
            }),
        }
    }
    Ok(out)
}
