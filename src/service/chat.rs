//! The chat itself: opening rooms and posting here; reading in
//! `chat/reading.rs`, presence in `chat/presence.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::ServiceError;
use crate::config::ChatSettings;
use crate::domain::mentions::Roster;
use crate::domain::{self, PresenceStatus, render, text};
use crate::domain::{Attachment, Member, Message, PresenceUpdate, Room, User};
use crate::live::presence::PresenceTracker;
use crate::live::{Hub, RoomEvent};
use crate::store::{NewMessage, Posted, Store, StoreError};

mod catch_up;
mod lifecycle;
mod presence;
mod reading;

pub use catch_up::{NOTIFICATIONS_KEPT, Opening, SUMMARY_SCAN};
pub(crate) use lifecycle::remove_files;

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
    /// Messages, oldest first (shared: the newest page of a busy room is
    /// kept in memory and handed to every reader).
    pub messages: std::sync::Arc<[Message]>,
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
    /// The message of the same room this one answers.
    pub reply_to: Option<i64>,
}

/// The chat service: store, live hub and presence, shared by every handler.
pub struct Chat {
    pub store: Store,
    pub hub: Arc<Hub>,
    pub settings: ChatSettings,
    pub max_message_chars: usize,
    /// Seconds queued alert e-mails wait (`MAIL_ALERT_DELAY`).
    pub mail_delay: i64,
    /// Seconds after sending that a message may be edited (`EDIT_WINDOW`;
    /// 0: always).
    pub edit_window: i64,
    /// How long what this node learnt from the store may be trusted
    /// (`CACHE_MS`); zero reads the store every time.
    pub cache_ttl: Duration,
    /// Messages posted, open streams and long-polls, for the metrics.
    pub metrics: crate::metrics::ChatMetrics,
    /// Passwords, invitations and resets (`PASSWORD_MIN_CHARS`, …).
    pub accounts: crate::config::AccountSettings,
    /// Highlighting and preview limits.
    pub rich: crate::config::RichSettings,
    /// Where new messages' previews are asked for (none: no previews are
    /// made, as for the command line).
    pub previews: Option<super::previews::Queue>,
    presence: PresenceTracker,
    /// Per room, the statuses last announced, so only changes are published.
    announced: Mutex<HashMap<i64, Vec<(i64, PresenceStatus)>>>,
    /// When each (room, member) last said they were typing.
    typing: Mutex<HashMap<(i64, i64), std::time::Instant>>,
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
            edit_window: 0,
            cache_ttl: Duration::ZERO,
            metrics: crate::metrics::ChatMetrics::default(),
            accounts: crate::config::AccountSettings::default(),
            rich: crate::config::RichSettings::default(),
            previews: None,
            presence: PresenceTracker::default(),
            announced: Mutex::new(HashMap::new()),
            typing: Mutex::new(HashMap::new()),
        }
    }

    /// What every new password must be.
    #[must_use]
    pub fn password_policy(&self) -> super::password::Policy {
        self.accounts.password_policy()
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

    /// Tells every listener of the user's, on every node, that some of the
    /// user's sessions ended, so streams of an ended session close at once.
    pub fn sessions_ended(&self, user_id: i64) {
        self.hub
            .publish_everywhere(&RoomEvent::SessionsEnded { user_id });
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
        let result = match self.check_image(files, draft.file.as_ref()).await {
            Ok(()) => self.post(access, draft).await,
            Err(e) => Err(e),
        };
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

    /// Refuses an attached image whose header declares more pixels than
    /// `IMAGE_MAX_PIXELS` (a decompression bomb among them), reading only
    /// the start of the file: the sender hears why at once. An unreadable
    /// header is no refusal; the file is then a plain download.
    async fn check_image(
        &self,
        files: &crate::files::Files,
        file: Option<&Attachment>,
    ) -> Result<(), ServiceError> {
        /// Enough for any header, EXIF and embedded thumbnails included.
        const HEAD_BYTES: u64 = 1 << 20;
        let Some(file) = file.filter(|f| crate::files::is_inline_image(&f.content_type)) else {
            return Ok(());
        };
        let head = files
            .read_start(&file.key, HEAD_BYTES)
            .await
            .map_err(|e| ServiceError::Store(StoreError::unavailable(e.to_string())))?
            .unwrap_or_default();
        let limits = crate::files::preview::PreviewLimits {
            max_pixels: self.rich.image_max_pixels,
        };
        match crate::files::preview::inspect(&head, limits) {
            Err(e @ crate::files::preview::PreviewError::TooManyPixels { .. }) => {
                Err(ServiceError::TooLarge(e.to_string()))
            }
            Ok(_) | Err(crate::files::preview::PreviewError::Unreadable(_)) => Ok(()),
        }
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
        let reply = match draft.reply_to {
            Some(id) => Some(self.quote(access, id).await?),
            None => None,
        };
        let now = domain::now();
        let disconnect = self.settings.disconnect_at;
        let members = self.members(access.room.id).await?;
        let rendered = if content.trim().is_empty() {
            render::Rendered {
                html: String::new(),
                mentions: Vec::new(),
                first_link: None,
            }
        } else {
            render::render_with(
                &content,
                &Roster::new(members.iter().map(|m| m.username.as_str())),
                self.rich.highlight_max_bytes,
            )
        };
        let mentioned: Vec<i64> = members
            .iter()
            .filter(|m| rendered.mentions.contains(&m.username))
            .map(|m| m.user_id)
            .collect();
        let presence = PresenceUpdate {
            room_id: access.room.id,
            user_id: access.user.id,
            last_seen: now,
            has_focus: draft.has_focus,
            inactive_from: now + disconnect,
            last_spoke: Some(now),
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
                html: rendered.html,
                client_id,
                file: draft.file,
                mentions: rendered.mentions,
                mentioned: mentioned.clone(),
                presence: presence.clone(),
                mail_delay: self.mail_delay,
                reply,
            })
            .await?;
        if posted.created {
            self.record_decisions(
                posted.decisions.clone(),
                &posted.message,
                &mentioned,
                &members,
            );
            self.metrics.messages_posted.inc();
            self.presence.wrote(
                access.room.id,
                access.user.id,
                now,
                draft.has_focus,
                disconnect,
            );
            // Other nodes get a presence-only change with the message, apply
            // it to their caches and announce it themselves, without
            // reading the room's members.
            let plain = posted.only_presence_changed();
            let live = if plain {
                crate::live::LiveMessage::posted(posted.message.clone(), presence)
            } else {
                crate::live::LiveMessage::new(posted.message.clone())
            };
            self.hub.publish(access.room.id, RoomEvent::Message(live));
            if let Some(queue) = &self.previews {
                queue.ask(&posted.message, rendered.first_link.as_deref(), self.rich);
            }
            // last_spoke changed, which the users list shows.
            self.announce_presence_forced(access.room.id, !plain)
                .await?;
        }
        Ok(posted)
    }
}

/// Checks and normalises message text (docs/rules.md, Text): no NUL
/// characters; line ends made `\n` and other control characters dropped
/// (`domain::text::normalise`); trailing white space removed; not blank
/// (only white space and invisible characters) unless a file is attached,
/// when a blank text becomes empty; within the length limit.
///
/// # Errors
/// `Invalid` or `TooLarge` with a sentence.
pub fn validate_content(
    content: &str,
    has_file: bool,
    max_chars: usize,
) -> Result<String, ServiceError> {
    if content.contains('\0') {
        return Err(ServiceError::Invalid(
            "The message contains a NUL character.".to_owned(),
        ));
    }
    let content = text::normalise(content);
    let trimmed = content.trim_end();
    if text::is_blank(trimmed) {
        return if has_file {
            Ok(String::new())
        } else {
            Err(ServiceError::Invalid("The message is empty.".to_owned()))
        };
    }
    if trimmed.chars().count() > max_chars {
        return Err(ServiceError::TooLarge(format!(
            "The message is longer than {max_chars} characters."
        )));
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
    fn control_characters_are_dropped_and_invisible_text_is_empty() {
        assert_eq!(
            validate_content("a\x1b[31mb\r\nc\x07", false, 100)
                .ok()
                .as_deref(),
            Some("a[31mb\nc")
        );
        assert_eq!(
            validate_content("x\ry\x7f\u{9b}", false, 100)
                .ok()
                .as_deref(),
            Some("x\ny")
        );
        for blank in [
            "\u{200b}",
            "\u{200b}\u{feff} \n\u{2060}",
            "\u{202e}",
            "\x07\x1b\r\n",
        ] {
            match validate_content(blank, false, 100) {
                Err(ServiceError::Invalid(e)) => assert_eq!(e, "The message is empty."),
                other => panic!("{blank:?}: {other:?}"),
            }
            assert_eq!(validate_content(blank, true, 100).ok().as_deref(), Some(""));
        }
        let zwj = "👩\u{200d}💻 and \u{200b}zero-width";
        assert_eq!(validate_content(zwj, false, 100).ok().as_deref(), Some(zwj));
        // Dropped characters do not count towards the limit.
        assert!(validate_content(&format!("{}\x07", "x".repeat(10)), false, 10).is_ok());
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
