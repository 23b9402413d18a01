//! Rooms, members and presence.

use std::sync::Arc;

use super::{Backend, file_keys, save_presence, touched};
use crate::domain::notify::Level;
use crate::domain::{Member, PresenceUpdate, Room};
use crate::store::rows::{MEMBER_COLUMNS, MemberRow, ROOM_COLUMNS, RoomRow, room};
use crate::store::{Result, Rooms, StoreError};

#[async_trait::async_trait]
impl Rooms for Backend {
    #[tracing::instrument(skip_all, fields(slug = %slug))]
    async fn create_room(&self, slug: &str, title: &str) -> Result<Room> {
        let id = sqlx::query_scalar(
            "INSERT INTO rooms (slug, title, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(slug)
        .bind(title)
        .bind(crate::domain::now())
        .fetch_one(self.writer())
        .await?;
        Ok(Room {
            id,
            slug: slug.to_owned(),
            title: title.to_owned(),
        })
    }

    async fn room_by_slug(&self, slug: &str) -> Result<Room> {
        let row: RoomRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ROOM_COLUMNS} FROM rooms WHERE slug = $1"
        )))
        .bind(slug)
        .fetch_one(self.reader())
        .await?;
        Ok(room(row))
    }

    async fn room_by_id(&self, id: i64) -> Result<Room> {
        let row: RoomRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ROOM_COLUMNS} FROM rooms WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(self.reader())
        .await?;
        Ok(room(row))
    }

    async fn list_rooms(&self) -> Result<Vec<Room>> {
        let rows: Vec<RoomRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {ROOM_COLUMNS} FROM rooms ORDER BY title, slug"
        )))
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(room).collect())
    }

    async fn rooms_of(&self, user_id: i64) -> Result<Vec<Room>> {
        let rows: Vec<RoomRow> = sqlx::query_as(
            "SELECT r.id, r.slug, r.title FROM rooms r JOIN members mb ON mb.room_id = r.id \
             WHERE mb.user_id = $1 ORDER BY r.title, r.slug",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(room).collect())
    }

    async fn update_room(&self, room_id: i64, slug: &str, title: &str) -> Result<()> {
        touched(
            sqlx::query("UPDATE rooms SET slug = $1, title = $2 WHERE id = $3")
                .bind(slug)
                .bind(title)
                .bind(room_id)
                .execute(self.writer())
                .await?,
        )
    }

    async fn delete_room(&self, room_id: i64) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        let keys = file_keys(&mut tx, room_id).await?;
        for statement in [
            "DELETE FROM messages WHERE room_id = $1",
            "DELETE FROM members WHERE room_id = $1",
        ] {
            sqlx::query(statement)
                .bind(room_id)
                .execute(&mut *tx)
                .await?;
        }
        touched(
            sqlx::query("DELETE FROM rooms WHERE id = $1")
                .bind(room_id)
                .execute(&mut *tx)
                .await?,
        )?;
        tx.commit().await?;
        Ok(keys)
    }

    async fn clear_room(&self, room_id: i64) -> Result<Vec<String>> {
        let mut tx = self.begin().await?;
        let keys = file_keys(&mut tx, room_id).await?;
        sqlx::query("DELETE FROM messages WHERE room_id = $1")
            .bind(room_id)
            .execute(&mut *tx)
            .await?;
        // Nothing is left to read: every member is up to date.
        sqlx::query(
            "UPDATE members SET read_seq = (SELECT last_seq FROM rooms WHERE id = $1) \
             WHERE room_id = $1",
        )
        .bind(room_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(keys)
    }

    async fn add_member(&self, room_id: i64, user_id: i64, colour: &str) -> Result<()> {
        sqlx::query(super::ADD_MEMBER)
            .bind(room_id)
            .bind(user_id)
            .bind(colour)
            .execute(self.writer())
            .await
            .map_err(StoreError::from)
            .and_then(touched)
    }

    async fn member(&self, room_id: i64, user_id: i64) -> Result<Member> {
        let row: MemberRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM members mb JOIN users u ON u.id = mb.user_id \
             WHERE mb.room_id = $1 AND mb.user_id = $2"
        )))
        .bind(room_id)
        .bind(user_id)
        .fetch_one(self.reader())
        .await?;
        Ok(row.into())
    }

    async fn members(&self, room_id: i64) -> Result<Arc<Vec<Member>>> {
        let rows: Vec<MemberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {MEMBER_COLUMNS} FROM members mb JOIN users u ON u.id = mb.user_id \
             WHERE mb.room_id = $1 AND u.is_active ORDER BY u.username_key"
        )))
        .bind(room_id)
        .fetch_all(self.reader())
        .await?;
        Ok(Arc::new(rows.into_iter().map(Member::from).collect()))
    }

    async fn remove_member(&self, room_id: i64, user_id: i64) -> Result<()> {
        touched(
            sqlx::query("DELETE FROM members WHERE room_id = $1 AND user_id = $2")
                .bind(room_id)
                .bind(user_id)
                .execute(self.writer())
                .await?,
        )
    }

    async fn set_colour(&self, room_id: i64, user_id: i64, colour: &str) -> Result<()> {
        touched(
            sqlx::query("UPDATE members SET colour = $1 WHERE room_id = $2 AND user_id = $3")
                .bind(colour)
                .bind(room_id)
                .bind(user_id)
                .execute(self.writer())
                .await?,
        )
    }

    async fn set_alerts(
        &self,
        room_id: i64,
        user_id: i64,
        alert: bool,
        mail_alert: bool,
    ) -> Result<()> {
        touched(
            sqlx::query(
                "UPDATE members SET alert = $1, mail_alert = $2 WHERE room_id = $3 AND user_id = $4",
            )
            .bind(alert)
            .bind(mail_alert)
            .bind(room_id)
            .bind(user_id)
            .execute(self.writer())
            .await?,
        )
    }

    async fn set_notify(&self, room_id: i64, user_id: i64, level: Level) -> Result<()> {
        touched(
            sqlx::query("UPDATE members SET notify = $1 WHERE room_id = $2 AND user_id = $3")
                .bind(level.as_str())
                .bind(room_id)
                .bind(user_id)
                .execute(self.writer())
                .await?,
        )
    }

    async fn save_presence(&self, update: PresenceUpdate) -> Result<()> {
        save_presence(self.writer(), &update).await
    }
}
