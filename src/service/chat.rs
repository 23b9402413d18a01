//! The chat itself: opening rooms, posting, reading, presence.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;

use super::ServiceError;
use crate::config::ChatSettings;
use crate::domain::{self, PresenceStatus, render};
use crate::domain::{Attachment, Member, Message, PresenceUpdate, Room, User};
use crate::live::presence::PresenceTracker;
use crate::live::{Hub, RoomEvent};
use crate::store::{NewMessage, Posted, Store, StoreError};

/// Most messages one poll or stream catch-up returns; clients ask again.
pub const BATCH_LIMIT: u32 = 200;
/// Longest accepted `client_id`.
pub const MAX_CLIENT_ID_CHARS: usize = 64;

/// A user's right to a room: members, or admins visiting (`member == None`,
/// and then their visit leaves no trace in presence).
#[derive(Debug, Clone)]
pub struct Access {
    pub room: Room,
    pub user: User,
    pub member: Option<Member>,
}

/// One page of a room's history.
#[derive(Debug, Clone)]
pub struct Page {
    /// Messages, oldest first.
    pub messages: Vec<Message>,
    /// Messages older than the first one shown.
    pub remaining: i64,
}

impl Page {
    /// Id of the oldest message shown, or 0.
    #[must_use]
    pub fn first(&self) -> i64 {
        self.messages.first().map_or(0, |m| m.id)
    }
    /// Id of the newest message shown, or 0.
    #[must_use]
    pub fn last(&self) -> i64 {
        self.messages.last().map_or(0, |m| m.id)
    }
}

/// What a member wants to post.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    pub content: String,
    pub file: Option<Attachment>,
    pub client_id: Option<String>,
    pub has_focus: bool,
}

/// The chat service: store, live hub and presence, shared by every handler.
pub struct Chat {
    pub store: Store,
    pub hub: Arc<Hub>,
    pub settings: ChatSettings,
    pub max_message_chars: usize,
    /// Seconds queued alert e-mails wait (`MAIL_ALERT_DELAY`).
    pub mail_delay: i64,
    /// How long what this node learnt from the store may be trusted
    /// (`CACHE_MS`); zero reads the store every time.
    pub cache_ttl: Duration,
    presence: PresenceTracker,
    /// Per room, the statuses last announced, so only changes are published.
    announced: Mutex<HashMap<i64, Vec<(i64, PresenceStatus)>>>,
}

impl Chat {
    /// A chat service over `store` and `hub`.
    #[must_use]
    pub fn new(
        store: Store,
        hub: Arc<Hub>,
        settings: ChatSettings,
        max_message_chars: usize,
    ) -> Self {
        Self {
            store,
            hub,
            settings,
            max_message_chars,
            mail_delay: 0,
            cache_ttl: Duration::ZERO,
            presence: PresenceTracker::default(),
            announced: Mutex::new(HashMap::new()),
        }
    }

    /// Opens a room for a user: members, and admins, may; everyone else gets
    /// exactly what a missing room gets.
    ///
    /// # Errors
    /// `NoSuchRoom` when the room does not exist or the user may not see it.
    pub async fn open(&self, user: &User, slug: &str) -> Result<Access, ServiceError> {
        let room = match self.store.rooms().room_by_slug(slug).await {
            Ok(room) => room,
            Err(StoreError::NotFound) => return Err(ServiceError::NoSuchRoom),
            Err(e) => return Err(e.into()),
        };
        let member = match self.store.rooms().member(room.id, user.id).await {
            Ok(member) => Some(member),
            Err(StoreError::NotFound) if user.is_admin => None,
            Err(StoreError::NotFound) => return Err(ServiceError::NoSuchRoom),
            Err(e) => return Err(e.into()),
        };
        Ok(Access {
            room,
            user: user.clone(),
            member,
        })
    }

    /// The same access as now stored: after a change made elsewhere (a
    /// resync), a stream or long-poll asks again before it goes on.
    ///
    /// # Errors
    /// `NoSuchRoom` when the room is gone, the user was deactivated or is no
    /// longer a member (and not an admin); storage errors.
    pub async fn recheck(&self, access: &Access) -> Result<Access, ServiceError> {
        let gone = |e: StoreError| match e {
            StoreError::NotFound => ServiceError::NoSuchRoom,
            other => other.into(),
        };
        let user = self
            .store
            .accounts()
            .user_by_id(access.user.id)
            .await
            .map_err(gone)?;
        if !user.is_active {
            return Err(ServiceError::NoSuchRoom);
        }
        let room = self
            .store
            .rooms()
            .room_by_id(access.room.id)
            .await
            .map_err(gone)?;
        self.open(&user, &room.slug).await
    }

    /// Records a sign of life (page view, poll, heartbeat), coalescing writes.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn seen(&self, access: &Access, has_focus: bool) -> Result<(), ServiceError> {
        if access.member.is_none() {
            return Ok(());
        }
        let now = domain::now();
        let disconnect = self.settings.disconnect_at;
        let decision =
            self.presence
                .seen(access.room.id, access.user.id, now, has_focus, disconnect);
        if decision.write {
            self.store
                .rooms()
                .save_presence(PresenceUpdate {
                    room_id: access.room.id,
                    user_id: access.user.id,
                    last_seen: now,
                    has_focus,
                    inactive_from: now + disconnect,
                    last_spoke: None,
                })
                .await?;
        }
        if decision.changed {
            self.announce_presence(access.room.id).await?;
        }
        Ok(())
    }

    /// A sign of life from an open event stream: keeps the member active with
    /// the focus they last reported.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn keepalive(&self, access: &Access) -> Result<(), ServiceError> {
        let focus = self
            .presence
            .focus(access.room.id, access.user.id)
            .unwrap_or(true);
        self.seen(access, focus).await
    }

    /// Like [`Chat::post`] for a draft whose file is already in `files`:
    /// the file is removed again when the message is refused or fails, and
    /// when a repeated send answers with the first message (which keeps its
    /// own file), so no stored file is left without a message.
    ///
    /// # Errors
    /// As [`Chat::post`].
    pub async fn post_upload(
        &self,
        files: &crate::files::Files,
        access: &Access,
        draft: Draft,
    ) -> Result<Posted, ServiceError> {
        let key = draft.file.as_ref().map(|f| f.key.clone());
        let result = self.post(access, draft).await;
        let orphan = match &result {
            Ok(posted) => !posted.created,
            Err(_) => true,
        };
        if let (true, Some(key)) = (orphan, key)
            && let Err(e) = files.delete(&key).await
        {
            tracing::warn!(key, error = %e, "could not remove the file of a message not stored");
        }
        result
    }

    /// Validates and stores a message, then tells the room.
    ///
    /// # Errors
    /// `Invalid` or `TooLarge` for bad input; storage errors.
    #[tracing::instrument(skip_all, fields(room = %access.room.slug, user = %access.user.username))]
    pub async fn post(&self, access: &Access, draft: Draft) -> Result<Posted, ServiceError> {
        if access.member.is_none() {
            return Err(ServiceError::Invalid(
                "Only members of this room can post in it.".to_owned(),
            ));
        }
        let content =
            validate_content(&draft.content, draft.file.is_some(), self.max_message_chars)?;
        let client_id = validate_client_id(draft.client_id.as_deref())?;
        let now = domain::now();
        let disconnect = self.settings.disconnect_at;
        let html = if content.trim().is_empty() {
            String::new()
        } else {
            render::render_markdown(&content)
        };
        let posted = self
            .store
            .posting()
            .post_message(NewMessage {
                room_id: access.room.id,
                user_id: access.user.id,
                username: access.user.username.clone(),
                time: now,
                content,
                html,
                client_id,
                file: draft.file,
                presence: PresenceUpdate {
                    room_id: access.room.id,
                    user_id: access.user.id,
                    last_seen: now,
                    has_focus: draft.has_focus,
                    inactive_from: now + disconnect,
                    last_spoke: Some(now),
                },
                mail_delay: self.mail_delay,
            })
            .await?;
        if posted.created {
            self.presence.wrote(
                access.room.id,
                access.user.id,
                now,
                draft.has_focus,
                disconnect,
            );
            self.hub.publish(
                access.room.id,
                RoomEvent::Message(crate::live::LiveMessage::new(posted.message.clone())),
            );
            // last_spoke changed, which the users list shows.
            self.announce_presence_forced(access.room.id).await?;
        }
        Ok(posted)
    }

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

    /// The room's members with their presence.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn members(&self, room_id: i64) -> Result<Arc<Vec<Member>>, ServiceError> {
        Ok(self.store.rooms().members(room_id).await?)
    }

    /// Saves a member's preferences: alerts, and optionally a colour from
    /// the palette (admins may set any colour; members pick readable ones).
    ///
    /// # Errors
    /// `Invalid` for an admin visitor or a colour outside the palette.
    pub async fn set_preferences(
        &self,
        access: &Access,
        alert: bool,
        mail_alert: bool,
        colour: Option<&str>,
    ) -> Result<(), ServiceError> {
        if access.member.is_none() {
            return Err(ServiceError::Invalid(
                "Only members of this room have settings in it.".to_owned(),
            ));
        }
        if let Some(colour) = colour {
            let colour = crate::domain::Colour::parse(colour)
                .ok()
                .filter(|c| {
                    crate::domain::colour::PALETTE
                        .iter()
                        .any(|(hex, _)| *hex == c.as_str())
                })
                .ok_or_else(|| {
                    ServiceError::Invalid("Please choose one of the offered colours.".to_owned())
                })?;
            self.store
                .rooms()
                .set_colour(access.room.id, access.user.id, colour.as_str())
                .await?;
        }
        self.store
            .rooms()
            .set_alerts(access.room.id, access.user.id, alert, mail_alert)
            .await?;
        self.announce_presence_forced(access.room.id).await
    }

    /// Publishes a presence event when any member's status changed since the
    /// last announcement. Called on signs of life and periodically, so
    /// members who go quiet are shown as gone without anyone asking.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn announce_presence(&self, room_id: i64) -> Result<(), ServiceError> {
        self.announce(room_id, false, true).await
    }

    /// Re-reads the room's presence after another node changed it, and tells
    /// this node's listeners.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn announce_presence_local(&self, room_id: i64) -> Result<(), ServiceError> {
        self.announce(room_id, true, false).await
    }

    async fn announce(&self, room_id: i64, force: bool, relay: bool) -> Result<(), ServiceError> {
        let members = self.store.rooms().members(room_id).await?;
        let now = domain::now();
        let statuses: Vec<(i64, PresenceStatus)> = members
            .iter()
            .map(|m| (m.user_id, m.presence.status(now)))
            .collect();
        let changed = {
            let mut announced = self
                .announced
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let previous = announced.insert(room_id, statuses.clone());
            force || previous.as_ref() != Some(&statuses)
        };
        if changed {
            let event = RoomEvent::Presence {
                time: now,
                members,
                wire: Arc::default(),
            };
            if relay {
                self.hub.publish(room_id, event);
            } else {
                self.hub.publish_local(room_id, event);
            }
        }
        Ok(())
    }

    async fn announce_presence_forced(&self, room_id: i64) -> Result<(), ServiceError> {
        self.announce(room_id, true, true).await
    }

    /// Periodic upkeep: announce members who went quiet, forget old entries
    /// (also the latest messages kept in memory for `since`).
    pub async fn sweep_presence(&self) {
        self.hub.prune_recent(self.cache_ttl);
        let rooms = self.hub.rooms_with_listeners();
        {
            let mut announced = self
                .announced
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            announced.retain(|room, _| rooms.contains(room));
        }
        for room_id in rooms {
            if let Err(e) = self.announce(room_id, false, false).await {
                tracing::warn!(room_id, error = %crate::error_chain(&e), "presence sweep failed");
            }
        }
        self.presence.sweep(domain::now());
    }
}

/// Checks message text: not empty (unless a file is attached), within the
/// length limit, no NUL characters.
///
/// # Errors
/// `Invalid` or `TooLarge` with a sentence.
pub fn validate_content(
    content: &str,
    has_file: bool,
    max_chars: usize,
) -> Result<String, ServiceError> {
    let content = content.replace("\r\n", "\n");
    let trimmed = content.trim_end();
    if trimmed.trim().is_empty() && !has_file {
        return Err(ServiceError::Invalid("The message is empty.".to_owned()));
    }
    if trimmed.chars().count() > max_chars {
        return Err(ServiceError::TooLarge(format!(
            "The message is longer than {max_chars} characters."
        )));
    }
    if trimmed.contains('\0') {
        return Err(ServiceError::Invalid(
            "The message contains a NUL character.".to_owned(),
        ));
    }
    Ok(trimmed.to_owned())
}

fn validate_client_id(client_id: Option<&str>) -> Result<Option<String>, ServiceError> {
    match client_id.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(id)
            if id.chars().count() <= MAX_CLIENT_ID_CHARS
                && id.chars().all(|c| c.is_ascii_graphic()) =>
        {
            Ok(Some(id.to_owned()))
        }
        Some(_) => Err(ServiceError::Invalid(format!(
            "The client_id must be 1 to {MAX_CLIENT_ID_CHARS} printable ASCII characters."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_rules() {
        assert!(matches!(
            validate_content("  \n ", false, 10),
            Err(ServiceError::Invalid(_))
        ));
        assert_eq!(validate_content("", true, 10).ok().as_deref(), Some(""));
        assert!(matches!(
            validate_content("12345678901", false, 10),
            Err(ServiceError::TooLarge(_))
        ));
        assert!(matches!(
            validate_content("a\0b", false, 10),
            Err(ServiceError::Invalid(_))
        ));
        assert_eq!(
            validate_content("a\r\nb\n\n", false, 10).ok().as_deref(),
            Some("a\nb")
        );
    }

    #[test]
    fn client_id_rules() {
        assert_eq!(validate_client_id(None).ok(), Some(None));
        assert_eq!(validate_client_id(Some("")).ok(), Some(None));
        assert_eq!(
            validate_client_id(Some("abc-1")).ok(),
            Some(Some("abc-1".to_owned()))
        );
        assert!(validate_client_id(Some(&"x".repeat(65))).is_err());
        assert!(validate_client_id(Some("a b")).is_err());
    }
}
