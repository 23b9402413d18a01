//! Reading a room: its pages of history, what is new since a message
//! (with the long-poll's wait), where an event stream starts, attachments.

use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use super::{Access, BATCH_LIMIT, Chat, Page};
use crate::domain::{Attachment, Message};
use crate::live::RoomEvent;
use crate::service::ServiceError;
use crate::store::StoreError;

impl Chat {
    /// The newest page, or the page of messages older than `before`.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn page(&self, access: &Access, before: Option<i64>) -> Result<Page, ServiceError> {
        let messages = self
            .store
            .messages()
            .messages_before(access.room.id, before, self.settings.page_size)
            .await?;
        let remaining = match messages.first() {
            Some(m) => {
                self.store
                    .messages()
                    .count_before(access.room.id, m.id)
                    .await?
            }
            None => 0,
        };
        Ok(Page {
            messages,
            remaining,
        })
    }

    /// Up to [`BATCH_LIMIT`] messages newer than `last`, oldest first.
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
            .messages_after(room_id, last, BATCH_LIMIT)
            .await?;
        if messages.len() < BATCH_LIMIT as usize {
            let newest = messages.last().map_or(last, |m| m.id);
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
        let reached = messages.last().is_some_and(|m| m.id >= own);
        if own <= last || reached || messages.len() >= BATCH_LIMIT as usize {
            return Ok(messages);
        }
        Ok(self
            .store
            .messages()
            .messages_after(access.room.id, last, BATCH_LIMIT)
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

    /// The page around message `id` of the room (where a search result
    /// links): a few messages before it, it, and the rest of a page after;
    /// `true` when newer messages follow. Nothing is marked read: the
    /// reader came for one old message, not for the news.
    ///
    /// # Errors
    /// `NotFound` when the room has no such message; storage errors.
    pub async fn page_around(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<(Page, bool), ServiceError> {
        let store = self.store.messages();
        let room = access.room.id;
        match store.message(room, id).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(ServiceError::NotFound("No such message.".to_owned()));
            }
            Err(e) => return Err(e.into()),
        }
        let size = self.settings.page_size.max(1);
        let before = size / 3;
        let mut messages = store.messages_before(room, Some(id), before).await?;
        let after = size - u32::try_from(messages.len()).unwrap_or(before);
        let mut rest = store.messages_after(room, id - 1, after + 1).await?;
        let newer = rest.len() > after as usize;
        rest.truncate(after as usize);
        messages.extend(rest);
        let remaining = match messages.first() {
            Some(m) => store.count_before(room, m.id).await?,
            None => 0,
        };
        Ok((
            Page {
                messages,
                remaining,
            },
            newer,
        ))
    }

    /// Where an event stream starts: after message `resume` (a client's
    /// `Last-Event-ID`), or after the newest message; answers the message id
    /// and the room `seq` at it.
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
            None => messages.last_message_id(access.room.id).await?,
        };
        Ok((last_id, messages.seq_at(access.room.id, last_id).await?))
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
}
