//! Direct rooms (two people, at most one room per pair: the database's
//! primary key on the pair says so) and open rooms (listed in the room
//! directory, where any account may join).

use super::Backend;
use crate::domain::Room;
use crate::store::rows::{RoomRow, room};
use crate::store::{Directory, Result, StoreError};

#[async_trait::async_trait]
impl Directory for Backend {
    async fn direct_room(&self, low: i64, high: i64) -> Result<Option<Room>> {
        let row: Option<RoomRow> = sqlx::query_as(
            "SELECT r.id, r.slug, r.title FROM direct_rooms d JOIN rooms r ON r.id = d.room_id \
             WHERE d.user_low = $1 AND d.user_high = $2",
        )
        .bind(low)
        .bind(high)
        .fetch_optional(self.writer())
        .await?;
        Ok(row.map(room))
    }

    async fn create_direct_room(
        &self,
        low: i64,
        high: i64,
        slug: &str,
        title: &str,
        colours: [&str; 2],
    ) -> Result<Room> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO rooms (slug, title, created_at, kind) VALUES ($1, $2, $3, 'direct') \
             RETURNING id",
        )
        .bind(slug)
        .bind(title)
        .bind(crate::domain::now())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO direct_rooms (user_low, user_high, room_id) VALUES ($1, $2, $3)")
            .bind(low)
            .bind(high)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        for (user_id, colour) in [(low, colours[0]), (high, colours[1])] {
            sqlx::query(super::ADD_MEMBER)
                .bind(id)
                .bind(user_id)
                .bind(colour)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(Room {
            id,
            slug: slug.to_owned(),
            title: title.to_owned(),
        })
    }

    async fn direct_rooms_of(&self, user_id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT room_id FROM direct_rooms WHERE user_low = $1 OR user_high = $1",
        )
        .bind(user_id)
        .fetch_all(self.reader())
        .await?)
    }

    async fn is_direct(&self, room_id: i64) -> Result<bool> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM direct_rooms WHERE room_id = $1)")
                .bind(room_id)
                .fetch_one(self.reader())
                .await?,
        )
    }

    async fn share_a_room(&self, a: i64, b: i64) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM members x JOIN members y ON y.room_id = x.room_id \
             WHERE x.user_id = $1 AND y.user_id = $2)",
        )
        .bind(a)
        .bind(b)
        .fetch_one(self.reader())
        .await?)
    }

    async fn set_open(&self, room_id: i64, open: bool) -> Result<()> {
        let done = sqlx::query("UPDATE rooms SET is_open = $2 WHERE id = $1 AND kind = 'room'")
            .bind(room_id)
            .bind(open)
            .execute(self.writer())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn open_rooms(&self) -> Result<Vec<Room>> {
        let rows: Vec<RoomRow> =
            sqlx::query_as("SELECT id, slug, title FROM rooms WHERE is_open ORDER BY title, slug")
                .fetch_all(self.reader())
                .await?;
        Ok(rows.into_iter().map(room).collect())
    }

    async fn is_open(&self, room_id: i64) -> Result<bool> {
        Ok(
            sqlx::query_scalar("SELECT is_open FROM rooms WHERE id = $1")
                .bind(room_id)
                .fetch_one(self.reader())
                .await?,
        )
    }
}
