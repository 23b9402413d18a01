//! Catch-up: read cursors, what is new in each room, where a room opens,
//! notification levels and decisions, and who is typing.

use super::{Access, Chat, Page};
use crate::domain::notify::{self, Decision, Level};
use crate::domain::{self, Missed, NotificationRecord, RoomNews, User};
use crate::live::RoomEvent;
use crate::service::ServiceError;
use crate::store::StoreError;

/// Most messages the catch-up summary looks at for authors and files.
pub const SUMMARY_SCAN: u32 = 5_000;
/// A member's typing signals closer together than this are dropped.
pub const TYPING_EVERY: std::time::Duration = std::time::Duration::from_secs(2);
/// Decisions kept per member for the notification page.
pub const NOTIFICATIONS_KEPT: u32 = 200;

/// Where a room page opens, and what the member missed.
#[derive(Debug, Clone)]
pub struct Opening {
    pub page: Page,
    /// The member's read cursor before this view (0 for visitors).
    pub cursor: i64,
    /// The summary, when anything was new.
    pub missed: Option<Missed>,
    /// Whether newer messages follow the page (it starts at the first
    /// unread message because there is more than a page of them).
    pub newer: bool,
}

impl Opening {
    /// The first message on the page the member has not read, if any.
    #[must_use]
    pub fn first_unread(&self) -> Option<i64> {
        self.missed.as_ref()?;
        self.page
            .messages
            .iter()
            .find(|m| m.id > self.cursor)
            .map(|m| m.id)
    }
}

impl Chat {
    /// Opens the room's newest page, or, when more than a page is unread,
    /// the page starting at the first unread message; then marks what the
    /// page shows as read (viewing is reading, without JavaScript too).
    ///
    /// # Errors
    /// When storage fails.
    pub async fn open_page(&self, access: &Access) -> Result<Opening, ServiceError> {
        let Some(member) = &access.member else {
            return Ok(Opening {
                page: self.page(access, None).await?,
                cursor: 0,
                missed: None,
                newer: false,
            });
        };
        let room_id = access.room.id;
        // A member who has read through the newest page, as kept in memory,
        // missed nothing: no summary to read, nothing to mark; and once that
        // is known, not even their cursor is read (it is on the page's last
        // message, and cursors never move back).
        let kept = self
            .hub
            .newest_page(room_id, self.cache_ttl, Some(member.user_id));
        let through = |kept: &crate::live::KeptPage, cursor: i64| Opening {
            page: Page {
                messages: kept.page.messages.clone(),
                remaining: kept.page.remaining,
            },
            cursor,
            missed: None,
            newer: false,
        };
        if let Some(kept) = &kept
            && kept.read_through
        {
            let last = kept.page.messages.last().map_or(0, |m| m.id);
            return Ok(through(kept, last));
        }
        let reading = self.store.reading();
        let cursor = reading.read_cursor(room_id, member.user_id).await?;
        if let Some(kept) = &kept
            && kept.page.messages.last().is_none_or(|m| m.id <= cursor)
        {
            self.hub
                .note_read_through(room_id, kept.generation, member.user_id);
            return Ok(through(kept, cursor));
        }
        let missed = reading
            .missed(room_id, member.user_id, cursor, SUMMARY_SCAN)
            .await?;
        let (page, newer) = if missed.count > i64::from(self.settings.page_size) {
            self.page_from(access, cursor).await?
        } else {
            (self.page(access, None).await?, false)
        };
        if page.last() > cursor {
            reading
                .mark_read(access.room.id, member.user_id, page.last())
                .await?;
        }
        Ok(Opening {
            page,
            cursor,
            missed: (missed.count > 0).then_some(missed),
            newer,
        })
    }

    /// The page of messages after `after` (the no-JavaScript reader's
    /// "newer messages"), marked read; `newer` when more follow.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn page_after(&self, access: &Access, after: i64) -> Result<Opening, ServiceError> {
        let (page, newer) = self.page_from(access, after).await?;
        if page.last() > 0 {
            self.mark_read(access, page.last()).await?;
        }
        Ok(Opening {
            page,
            cursor: 0,
            missed: None,
            newer,
        })
    }

    /// Up to a page of messages after `after`, how many precede them, and
    /// whether newer ones follow.
    async fn page_from(&self, access: &Access, after: i64) -> Result<(Page, bool), ServiceError> {
        let size = self.settings.page_size;
        let messages = self.store.messages();
        let mut page = messages
            .messages_after(access.room.id, after, size + 1)
            .await?;
        let newer = page.len() > size as usize;
        page.truncate(size as usize);
        let remaining = match page.first() {
            Some(m) => messages.count_before(access.room.id, m.id).await?,
            None => 0,
        };
        Ok((
            Page {
                messages: page.into(),
                remaining,
            },
            newer,
        ))
    }

    /// Moves the member's read cursor forward to `last` (never back);
    /// answers the cursor. An admin visiting has none (0).
    ///
    /// # Errors
    /// When storage fails.
    pub async fn mark_read(&self, access: &Access, last: i64) -> Result<i64, ServiceError> {
        if access.member.is_none() {
            return Ok(0);
        }
        match self
            .store
            .reading()
            .mark_read(access.room.id, access.user.id, last)
            .await
        {
            Ok(cursor) => Ok(cursor),
            Err(StoreError::NotFound) => Err(ServiceError::NoSuchRoom),
            Err(e) => Err(e.into()),
        }
    }

    /// The user's rooms with what is new in each: rooms with news first
    /// (newest activity first), then the rest by title.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn room_news(&self, user: &User) -> Result<Vec<RoomNews>, ServiceError> {
        let mut rooms = self.store.reading().room_news(user.id).await?;
        rooms.sort_by_key(|r| (r.unread == 0, if r.unread > 0 { -r.last_id } else { 0 }));
        Ok(rooms)
    }

    /// Sets the member's notification level.
    ///
    /// # Errors
    /// `Invalid` for a visitor; storage errors.
    pub async fn set_notify(&self, access: &Access, level: Level) -> Result<(), ServiceError> {
        if access.member.is_none() {
            return Err(ServiceError::Invalid(
                "Only members of this room have notification settings.".to_owned(),
            ));
        }
        self.store
            .rooms()
            .set_notify(access.room.id, access.user.id, level)
            .await?;
        Ok(())
    }

    /// The user's newest notification decisions.
    ///
    /// # Errors
    /// When storage fails.
    pub async fn notifications(
        &self,
        user: &User,
    ) -> Result<Vec<NotificationRecord>, ServiceError> {
        Ok(self
            .store
            .reading()
            .notifications(user.id, NOTIFICATIONS_KEPT)
            .await?)
    }

    /// Tells the room's open pages (on every node) that the member is typing.
    /// Never stored.
    ///
    /// # Errors
    /// `Invalid` for a visitor.
    pub fn typing(&self, access: &Access) -> Result<(), ServiceError> {
        if access.member.is_none() {
            return Err(ServiceError::Invalid(
                "Only members of this room can write in it.".to_owned(),
            ));
        }
        let now = std::time::Instant::now();
        {
            let mut last = self
                .typing
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let key = (access.room.id, access.user.id);
            if last
                .get(&key)
                .is_some_and(|t| now.duration_since(*t) < TYPING_EVERY)
            {
                return Ok(());
            }
            // Old entries go as new ones come: the map stays as small as
            // the set of members who typed lately.
            last.retain(|_, t| now.duration_since(*t) < TYPING_EVERY);
            last.insert(key, now);
        }
        self.hub.publish(
            access.room.id,
            RoomEvent::Typing {
                user_id: access.user.id,
                username: access.user.username.as_str().into(),
            },
        );
        Ok(())
    }

    /// Keeps the decisions about a new message, off the request's path: the
    /// alert rule's, and the browser's for each member it mentions.
    pub(super) fn record_decisions(
        &self,
        mut decisions: Vec<Decision>,
        message: &domain::Message,
        mentioned: &[i64],
        members: &[domain::Member],
    ) {
        let now = domain::now();
        decisions.extend(
            members
                .iter()
                .filter(|m| m.user_id != message.user_id && mentioned.contains(&m.user_id))
                .map(|m| notify::browser(m, message.id, now)),
        );
        if decisions.is_empty() {
            return;
        }
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(e) = store.reading().record_notifications(&decisions).await {
                tracing::warn!(error = %crate::error_chain(&e), "recording notification decisions failed");
            }
        });
    }
}
