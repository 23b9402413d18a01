//! A message's life after it is sent: edits, deletions, reactions, and the
//! edit history moderators see. Each change is stored with the room's next
//! position and published like a new message, so every transport delivers
//! it (docs/api.md, Changed messages).

use super::{Access, Chat, Opening, Page, validate_content};
use crate::domain::mentions::Roster;
use crate::domain::{self, AuditEntry, Message, MessageEdit, Quote, reactions, render};
use crate::files::Files;
use crate::live::{LiveMessage, RoomEvent};
use crate::service::ServiceError;
use crate::store::{Change, Changed, StoreError};

impl Chat {
    /// Message `id` of the room as it stands (a tombstone when deleted).
    ///
    /// # Errors
    /// `NotFound` when the room has no such message; storage errors.
    pub async fn message(&self, access: &Access, id: i64) -> Result<Message, ServiceError> {
        match self.store.messages().message(access.room.id, id).await {
            Ok(m) => Ok(m),
            Err(StoreError::NotFound) => Err(no_such_message()),
            Err(e) => Err(e.into()),
        }
    }

    /// The page around message `id` (a permalink): about half a page
    /// before it, the message, and the rest after it.
    ///
    /// # Errors
    /// `NoSuchRoom` when the room has no such message: exactly what a
    /// missing room answers, so a permalink reveals nothing about ids of
    /// other rooms; storage errors.
    pub async fn page_around(&self, access: &Access, id: i64) -> Result<Opening, ServiceError> {
        let messages = self.store.messages();
        if let Err(e) = messages.message(access.room.id, id).await {
            return Err(match e {
                StoreError::NotFound => ServiceError::NoSuchRoom,
                other => other.into(),
            });
        }
        let size = self.settings.page_size.max(2);
        let window = messages
            .messages_before(access.room.id, Some(id + 1), size / 2)
            .await?;
        let after = messages
            .messages_after(access.room.id, id, size - size / 2 + 1)
            .await?;
        let newer = after.len() > (size - size / 2) as usize;
        // The page starts with the window (it holds `id`, found above), so
        // what is older than the window is older than the page.
        let remaining = window.older;
        let mut page = window.messages;
        page.extend(after.into_iter().take((size - size / 2) as usize));
        Ok(Opening {
            page: Page {
                messages: page.into(),
                remaining,
            },
            cursor: 0,
            missed: None,
            newer,
        })
    }

    /// What a reply to message `id` shows of it.
    ///
    /// # Errors
    /// `Invalid` when the room has no such message (one of another room
    /// included); storage errors.
    pub(super) async fn quote(&self, access: &Access, id: i64) -> Result<Quote, ServiceError> {
        let m = match self.message(access, id).await {
            Ok(m) => m,
            Err(ServiceError::NotFound(_)) => {
                return Err(ServiceError::Invalid(
                    "The message you are replying to is not in this room.".to_owned(),
                ));
            }
            Err(e) => return Err(e),
        };
        Ok(Quote {
            id,
            username: m.username,
            excerpt: m.content.chars().take(200).collect(),
            deleted: m.deleted.is_some(),
        })
    }

    /// Whether the viewer may edit message `m` now (the author, within the
    /// edit window, while it is not deleted).
    #[must_use]
    pub fn may_edit(&self, access: &Access, m: &Message) -> bool {
        access.member.is_some()
            && m.user_id == access.user.id
            && m.deleted.is_none()
            && self.within_edit_window(m)
    }

    /// Whether the viewer may delete message `m` (its author, or an admin).
    #[must_use]
    pub fn may_delete(access: &Access, m: &Message) -> bool {
        m.deleted.is_none() && (m.user_id == access.user.id || access.user.is_admin)
    }

    fn within_edit_window(&self, m: &Message) -> bool {
        self.edit_window <= 0 || domain::now() - m.time <= self.edit_window
    }

    /// Replaces the text of one's own message: rendered by the same
    /// pipeline as a new message (mentions scanned afresh), marked edited,
    /// the previous text kept for moderators. The same text changes nothing.
    ///
    /// # Errors
    /// `NotFound` for no such message; `Forbidden` for someone else's
    /// message or after the edit window; `Conflict` for a deleted message;
    /// `Invalid`/`TooLarge` for bad text; storage errors.
    #[tracing::instrument(skip_all, fields(room = %access.room.slug, user = %access.user.username, id))]
    pub async fn edit(
        &self,
        access: &Access,
        id: i64,
        content: &str,
    ) -> Result<Message, ServiceError> {
        let m = self.message(access, id).await?;
        if m.user_id != access.user.id || access.member.is_none() {
            return Err(ServiceError::Forbidden(
                "Only its author can edit a message.".to_owned(),
            ));
        }
        if m.deleted.is_some() {
            return Err(deleted());
        }
        if !self.within_edit_window(&m) {
            return Err(ServiceError::Forbidden(format!(
                "Messages can be edited for {} after sending; this one no longer can.",
                domain::duration_words::words(self.edit_window)
            )));
        }
        let content = validate_content(content, m.file.is_some(), self.max_message_chars)?;
        if content == m.content {
            return Ok(m);
        }
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
        let mentioned = members
            .iter()
            .filter(|m| rendered.mentions.contains(&m.username))
            .map(|m| m.user_id)
            .collect();
        let change = Change::Edit {
            content,
            html: rendered.html,
            mentions: rendered.mentions,
            mentioned,
            at: domain::now(),
        };
        let edited = self.apply(access, id, change).await?.message;
        // A new first link gets its preview, which replaces the old one.
        let previewed = m.previews.link.as_ref().map(|l| l.url.as_str());
        if let Some(queue) = &self.previews
            && rendered.first_link.is_some()
            && rendered.first_link.as_deref() != previewed
        {
            queue.ask_link(&edited, rendered.first_link.as_deref(), self.rich);
        }
        Ok(edited)
    }

    /// Deletes a message: one's own, or any as an administrator (recorded
    /// in the audit log). It stays as a tombstone; its text, rendering,
    /// previous versions, reactions and file (the stored bytes too) are
    /// removed. Deleting a deleted message changes nothing.
    ///
    /// # Errors
    /// `NotFound` for no such message; `Forbidden` for someone else's
    /// message without being an admin; storage errors.
    #[tracing::instrument(skip_all, fields(room = %access.room.slug, user = %access.user.username, id))]
    pub async fn delete(
        &self,
        files: &Files,
        access: &Access,
        id: i64,
    ) -> Result<Message, ServiceError> {
        let m = self.message(access, id).await?;
        if m.user_id != access.user.id && !access.user.is_admin {
            return Err(ServiceError::Forbidden(
                "Only its author or an administrator can delete a message.".to_owned(),
            ));
        }
        if m.deleted.is_some() {
            return Ok(m);
        }
        let changed = match self
            .apply(access, id, Change::Delete { at: domain::now() })
            .await
        {
            // Deleted meanwhile (a double submit): the tombstone stands.
            Err(ServiceError::Conflict(_)) => return self.message(access, id).await,
            other => other?,
        };
        remove_files(files, &changed.removed_files).await;
        if m.user_id != access.user.id {
            self.record_moderation(
                access,
                "message.delete",
                id,
                format!("a message by {}", m.username),
            )
            .await?;
        }
        Ok(changed.message)
    }

    /// Puts the member's `emoji` on a message, or takes it off when it is
    /// there. One (message, member, emoji) is one row, so concurrent clicks
    /// never count twice.
    ///
    /// # Errors
    /// `NotFound` for no such message; `Invalid` for anything but a single
    /// emoji or a known shortcode, for non-members, or beyond
    /// [`reactions::MAX_PER_MESSAGE`] emoji; `Conflict` for a deleted
    /// message; storage errors.
    #[tracing::instrument(skip_all, fields(room = %access.room.slug, user = %access.user.username, id))]
    pub async fn react(
        &self,
        access: &Access,
        id: i64,
        emoji: &str,
    ) -> Result<Message, ServiceError> {
        if access.member.is_none() {
            return Err(ServiceError::Invalid(
                "Only members of this room can react to messages.".to_owned(),
            ));
        }
        let emoji = reactions::parse_emoji(emoji).ok_or_else(|| {
            ServiceError::Invalid(
                "A reaction is one emoji, or a shortcode such as :thumbsup:.".to_owned(),
            )
        })?;
        let m = self.message(access, id).await?;
        if m.deleted.is_some() {
            return Err(deleted());
        }
        if m.reactions.len() >= reactions::MAX_PER_MESSAGE
            && !m.reactions.iter().any(|r| r.emoji == emoji)
        {
            return Err(ServiceError::Invalid(format!(
                "A message can carry at most {} different reactions.",
                reactions::MAX_PER_MESSAGE
            )));
        }
        let change = Change::React {
            user_id: access.user.id,
            emoji: emoji.to_owned(),
            at: domain::now(),
        };
        Ok(self.apply(access, id, change).await?.message)
    }

    /// The previous versions of a message, oldest first: for
    /// administrators only (members see that it was edited, not what it
    /// said before).
    ///
    /// # Errors
    /// `NotFound` for no such message, and for everyone but administrators
    /// (as if there were none); storage errors.
    pub async fn edit_history(
        &self,
        access: &Access,
        id: i64,
    ) -> Result<(Message, Vec<MessageEdit>), ServiceError> {
        if !access.user.is_admin {
            return Err(no_such_message());
        }
        let m = self.message(access, id).await?;
        let edits = self
            .store
            .lifecycle()
            .edit_history(access.room.id, id)
            .await?;
        Ok((m, edits))
    }

    /// Deletes every message of user `user_id` not yet deleted, in every
    /// room, one change each (so every room's listeners hear of each), and
    /// removes their files; answers how many were deleted. The caller (an
    /// administrator's action) records it in the audit log.
    ///
    /// # Errors
    /// Storage failures; what was deleted before stays deleted.
    pub async fn remove_all_by(&self, files: &Files, user_id: i64) -> Result<usize, ServiceError> {
        let mut removed = 0;
        for (room_id, id) in self.store.lifecycle().live_messages_of(user_id).await? {
            let change = Change::Delete { at: domain::now() };
            match self.apply_in(room_id, id, change).await {
                Ok(changed) => {
                    removed += 1;
                    remove_files(files, &changed.removed_files).await;
                }
                // Deleted or gone meanwhile.
                Err(ServiceError::Conflict(_) | ServiceError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }

    /// Stores previews made after sending with message `id` of room
    /// `room_id` and tells the room, on every node, as for an edit;
    /// answers the keys of the images they replaced, for removal.
    ///
    /// # Errors
    /// `NotFound` when the message or its room is gone, `Conflict` when
    /// it was deleted; storage errors.
    pub async fn add_previews(
        &self,
        room_id: i64,
        id: i64,
        previews: crate::domain::previews::Previews,
    ) -> Result<Vec<String>, ServiceError> {
        let changed = self
            .apply_in(room_id, id, Change::Previews(previews))
            .await?;
        Ok(changed.removed_files)
    }

    /// Stores a change and tells the room, on every node.
    async fn apply(
        &self,
        access: &Access,
        id: i64,
        change: Change,
    ) -> Result<Changed, ServiceError> {
        self.apply_in(access.room.id, id, change).await
    }

    async fn apply_in(
        &self,
        room_id: i64,
        id: i64,
        change: Change,
    ) -> Result<Changed, ServiceError> {
        let changed = match self
            .store
            .lifecycle()
            .change_message(room_id, id, change)
            .await
        {
            Ok(changed) => changed,
            Err(StoreError::NotFound) => return Err(no_such_message()),
            Err(StoreError::Conflict) => return Err(deleted()),
            Err(e) => return Err(e.into()),
        };
        self.hub.publish(
            room_id,
            RoomEvent::Message(LiveMessage::new(changed.message.clone())),
        );
        Ok(changed)
    }

    /// Writes a moderator's action on a message to the audit log.
    async fn record_moderation(
        &self,
        access: &Access,
        action: &str,
        id: i64,
        detail: String,
    ) -> Result<(), ServiceError> {
        tracing::info!(actor = %access.user.username, action, id, detail, "moderation");
        self.store
            .audit()
            .record_audit(AuditEntry {
                at: domain::now(),
                actor_id: Some(access.user.id),
                actor_name: access.user.username.clone(),
                action: action.to_owned(),
                target: format!("{}/{id}", access.room.slug),
                detail,
            })
            .await?;
        Ok(())
    }
}

/// Removes the files a committed change took off a message (its file and
/// its previews' images); a failure is logged, the change stands.
pub(crate) async fn remove_files(files: &Files, keys: &[String]) {
    for key in keys {
        if let Err(e) = files.delete(key).await {
            tracing::error!(key, error = %e, "could not remove a file taken off a message");
        }
    }
}

fn no_such_message() -> ServiceError {
    ServiceError::NotFound("No such message.".to_owned())
}

fn deleted() -> ServiceError {
    ServiceError::Conflict("That message was deleted.".to_owned())
}
