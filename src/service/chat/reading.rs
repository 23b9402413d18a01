//! Reading a room: its pages of history, what is new since a message
//! (with the long-poll's wait), where an event stream starts, attachments.

use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use super::{Access, BATCH_LIMIT, Chat, Page};
use crate::domain::{Attachment, Message};
use crate::live::{NewestPage, RoomEvent};
use crate::service::ServiceError;
use crate::store::StoreError;

impl Chat {
    /// The newest page, or the page of messages older than `before`.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn page(&self, access: &Access, before: Option<i64>) -> Result<Page, ServiceError> {
        let room_id = access.room.id;
        // The newest page of a room being read is the same for every reader
        // until something happens in the room: read once, kept as long as
        // the rest of the cache (`CACHE_MS`).
        if before.is_none()
            && let Some(kept) = self.hub.newest_page(room_id, self.cache_ttl, None)
        {
            return Ok(Page {
                messages: kept.page.messages,
                remaining: kept.page.remaining,
            });
        }
        let generation = self.hub.generation(room_id);
        let window = self
            .store
            .messages()
            .messages_before(room_id, before, self.settings.page_size)
            .await?;
        let messages: std::sync::Arc<[Message]> = window.messages.into();
        let remaining = window.older;
        if before.is_none() && !self.cache_ttl.is_zero() {
            self.hub.keep_newest_page(
                room_id,
                generation,
                NewestPage {
                    messages: messages.clone(),
                    remaining,
                },
            );
        }
        Ok(Page {
            messages,
            remaining,
        })
    }

    /// Up to [`BATCH_LIMIT`] messages past cursor position `last`, in
    /// cursor order: new messages, and earlier ones changed since (as they
    /// now stand). The client's next cursor is the last one's `rev`.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn since(&self, access: &Access, last: i64) -> Result<Vec<Message>, ServiceError> {
        let room_id = access.room.id;
        // The common poll: nothing new, known without asking the database.
        if self
            .hub
            .newest_known(room_id, self.cache_ttl)
            .is_some_and(|newest| last >= newest)
        {
            return Ok(Vec::new());
        }
        // A send's answer, or a poll a few messages behind.
        if let Some(messages) =
            self.hub
                .recent_after(room_id, last, self.cache_ttl, BATCH_LIMIT as usize)
        {
            return Ok(messages);
        }
        let generation = self.hub.generation(room_id);
        let messages = self
            .store
            .messages()
            .news_after(room_id, last, BATCH_LIMIT)
            .await?;
        if messages.len() < BATCH_LIMIT as usize {
            let newest = messages.last().map_or(last, |m| m.rev);
            self.hub.learn_newest(room_id, generation, newest);
        }
        Ok(messages)
    }

    /// The answer to a send: what is new since `last`, through the sender's
    /// own message `own`. The in-memory window answers only a gapless run,
    /// and under concurrent senders another message of the same commit may
    /// not have passed through the hub yet when this one has; its answer
    /// would then stop short of the sender's own message, so the store is
    /// asked instead. Only a sender more than a batch behind gets a batch
    /// without their message (and no gap: the next poll goes on from it).
    ///
    /// # Errors
    /// When storage fails.
    pub async fn since_through(
        &self,
        access: &Access,
        last: i64,
        own: i64,
    ) -> Result<Vec<Message>, ServiceError> {
        let messages = self.since(access, last).await?;
        let reached = messages.iter().any(|m| m.id == own);
        if own <= last || reached || messages.len() >= BATCH_LIMIT as usize {
            return Ok(messages);
        }
        Ok(self
            .store
            .messages()
            .news_after(access.room.id, last, BATCH_LIMIT)
            .await?)
    }

    /// Like [`Chat::since`], but when nothing is new waits up to `wait` for
    /// something to arrive (long-poll).
    ///
    /// # Errors
    /// When storage fails.
    pub async fn wait_since(
        &self,
        access: &Access,
        last: i64,
        wait: Duration,
    ) -> Result<Vec<Message>, ServiceError> {
        // Subscribe before reading, so nothing committed in between is missed.
        let mut events = self.hub.subscribe(access.room.id);
        let messages = self.since(access, last).await?;
        if !messages.is_empty() || wait.is_zero() {
            return Ok(messages);
        }
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Err(_) | Ok(Err(RecvError::Closed)) => return Ok(Vec::new()),
                Ok(Ok(RoomEvent::Message(_)) | Err(RecvError::Lagged(_))) => {
                    return self.since(access, last).await;
                }
                Ok(Ok(RoomEvent::AccessRevoked { user_id })) if user_id == access.user.id => {
                    return Err(ServiceError::NoSuchRoom);
                }
                // This request's session may be among them: answer now,
                // with nothing; the next request is checked afresh.
                Ok(Ok(RoomEvent::SessionsEnded { user_id })) if user_id == access.user.id => {
                    return Ok(Vec::new());
                }
                Ok(Ok(RoomEvent::Resync)) => {
                    let access = self.recheck(access).await?;
                    return self.since(&access, last).await;
                }
                Ok(Ok(RoomEvent::Closed)) => {
                    return self.since(access, last).await;
                }
                Ok(Ok(_)) => {}
            }
        }
    }

    /// Up to a page of messages older than `first`, and how many remain before them.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn history(&self, access: &Access, first: i64) -> Result<Page, ServiceError> {
        self.page(access, Some(first)).await
    }

    /// Where an event stream starts: after cursor position `resume` (a
    /// client's `Last-Event-ID`), or after the newest message; answers the
    /// cursor position and the room position at it.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn stream_start(
        &self,
        access: &Access,
        resume: Option<i64>,
    ) -> Result<(i64, i64), ServiceError> {
        let messages = self.store.messages();
        let last_id = match resume {
            Some(id) => id,
            None => messages.newest_cursor(access.room.id).await?,
        };
        Ok((last_id, messages.pos_at(access.room.id, last_id).await?))
    }

    /// The file attached to message `id` of the room, if it has one.
    ///
    /// # Errors
    /// `NotFound` for no such message in this room; storage errors.
    pub async fn attachment(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<Option<Attachment>, ServiceError> {
        match self.store.messages().message(access.room.id, id).await {
            Ok(m) => Ok(m.file),
            Err(StoreError::NotFound) => Err(ServiceError::NotFound("No such file.".to_owned())),
            Err(e) => Err(e.into()),
        }
    }

    /// The previews made for message `id` (its image's, its link's).
    ///
    /// # Errors
    /// `NotFound` for no such message; storage errors.
    pub async fn previews(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<crate::domain::previews::Previews, ServiceError> {
        match self.store.messages().message(access.room.id, id).await {
            Ok(m) => Ok(m.previews),
            Err(StoreError::NotFound) => Err(ServiceError::NotFound("No such file.".to_owned())),
            Err(e) => Err(e.into()),
        }
    }
}
