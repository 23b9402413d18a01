//! Notification levels, and the decisions the notification page lists
//! (`docs/rules.md`, Notifications).

use super::UnixTime;
use super::entities::Member;

/// What a member wants to hear about in a room, on every channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Every message (the original's behaviour).
    #[default]
    All,
    /// Only messages that mention the member.
    Mentions,
    /// Nothing.
    None,
}

impl Level {
    /// The level a form or the store names; `None` for anything else.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "all" => Some(Self::All),
            "mentions" => Some(Self::Mentions),
            "none" => Some(Self::None),
            _ => None,
        }
    }

    /// The stored and submitted name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Mentions => "mentions",
            Self::None => "none",
        }
    }

    /// Whether a message is worth notifying about at this level.
    #[must_use]
    pub fn wants(self, mentioned: bool) -> bool {
        match self {
            Self::All => true,
            Self::Mentions => mentioned,
            Self::None => false,
        }
    }
}

/// Where a notification goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Browser,
}

impl Channel {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Browser => "browser",
        }
    }
}

/// What became of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Waiting until then (the e-mail delay), and may still be dropped.
    Held {
        until: UnixTime,
    },
    /// Not sent, for the decision's reason.
    Skipped,
}

impl Outcome {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Held { .. } => "held",
            Self::Skipped => "skipped",
        }
    }
}

/// One decision about notifying one member of one message on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub at: UnixTime,
    pub user_id: i64,
    pub room_id: i64,
    pub message_id: i64,
    pub channel: Channel,
    pub outcome: Outcome,
    /// Why, in words shown to the member.
    pub reason: &'static str,
}

/// The reasons, in English as the store keeps them; the notification page
/// words them in the reader's language by their [`reason::key`].
pub mod reason {
    pub const AWAY: &str = "you were away";
    pub const ACTIVE: &str = "you were active in the room";
    pub const MENTIONS_ONLY: &str = "level is mentions only and this did not mention you";
    pub const LEVEL_NONE: &str = "level is none";
    pub const MAIL_OFF: &str = "e-mail alerts off";
    pub const NO_ADDRESS: &str = "no e-mail address";
    pub const ALREADY_ALERTED: &str = "an e-mail about this absence was already queued";
    pub const DELIVERED: &str = "delivered to the mail server";
    pub const READ_ELSEWHERE: &str = "already read on another device";
    pub const CAME_BACK: &str = "you came back before it was sent";
    pub const LEFT_ROOM: &str = "no longer a member";
    pub const BAD_ADDRESS: &str = "the mail server refused the address";
    pub const BROWSER_OFF: &str = "browser alerts off";
    pub const NO_WINDOW: &str = "no open window";
    pub const OPEN_WINDOW: &str = "shown in your open window";

    /// Every reason, each with the key that words it for a reader: the
    /// English text is what the store keeps, so older decisions read the
    /// same; the page words it in the reader's language by this key.
    pub const ALL: [(&str, &str); 15] = [
        (AWAY, "away"),
        (ACTIVE, "active"),
        (MENTIONS_ONLY, "mentions-only"),
        (LEVEL_NONE, "level-none"),
        (MAIL_OFF, "mail-off"),
        (NO_ADDRESS, "no-address"),
        (ALREADY_ALERTED, "already-alerted"),
        (DELIVERED, "delivered"),
        (READ_ELSEWHERE, "read-elsewhere"),
        (CAME_BACK, "came-back"),
        (LEFT_ROOM, "left-room"),
        (BAD_ADDRESS, "bad-address"),
        (BROWSER_OFF, "browser-off"),
        (NO_WINDOW, "no-window"),
        (OPEN_WINDOW, "open-window"),
    ];

    /// The key of `reason`, if it is one of [`ALL`].
    #[must_use]
    pub fn key(reason: &str) -> Option<&'static str> {
        ALL.iter().find(|(r, _)| *r == reason).map(|(_, k)| *k)
    }
}

/// The browser-alert decision for a member a message mentions: the page
/// alerts while it is open but not looked at (`docs/rules.md`, Notifications).
#[must_use]
pub fn browser(member: &Member, message_id: i64, now: UnixTime) -> Decision {
    let (outcome, why) = if member.notify == Level::None {
        (Outcome::Skipped, reason::LEVEL_NONE)
    } else if !member.alert {
        (Outcome::Skipped, reason::BROWSER_OFF)
    } else if !member.presence.is_active(now) {
        (Outcome::Skipped, reason::NO_WINDOW)
    } else if member.presence.has_focus {
        (Outcome::Skipped, reason::ACTIVE)
    } else {
        (Outcome::Sent, reason::OPEN_WINDOW)
    };
    Decision {
        at: now,
        user_id: member.user_id,
        room_id: member.room_id,
        message_id,
        channel: Channel::Browser,
        outcome,
        reason: why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PresenceState;

    fn member(notify: Level, alert: bool, presence: PresenceState) -> Member {
        Member {
            room_id: 1,
            user_id: 2,
            username: "bob".to_owned(),
            email: None,
            colour: "000000".to_owned(),
            alert,
            mail_alert: false,
            notify,
            presence,
            display_name: None,
            avatar_key: None,
        }
    }

    #[test]
    fn levels_parse_and_choose() {
        for level in [Level::All, Level::Mentions, Level::None] {
            assert_eq!(Level::parse(level.as_str()), Some(level));
        }
        assert_eq!(Level::parse("ALL"), None);
        assert!(Level::All.wants(false));
        assert!(Level::Mentions.wants(true) && !Level::Mentions.wants(false));
        assert!(!Level::None.wants(true));
    }

    #[test]
    fn the_browser_alerts_an_open_window_that_is_not_looked_at() {
        let open_unfocused = PresenceState {
            inactive_from: Some(200),
            ..PresenceState::default()
        };
        let focused = PresenceState {
            has_focus: true,
            ..open_unfocused.clone()
        };
        let why = |m: Member| browser(&m, 9, 100).reason;
        assert_eq!(
            why(member(Level::All, true, open_unfocused.clone())),
            reason::OPEN_WINDOW
        );
        assert_eq!(why(member(Level::All, true, focused)), reason::ACTIVE);
        assert_eq!(
            why(member(Level::All, true, PresenceState::default())),
            reason::NO_WINDOW
        );
        assert_eq!(
            why(member(Level::All, false, open_unfocused.clone())),
            reason::BROWSER_OFF
        );
        assert_eq!(
            why(member(Level::None, true, open_unfocused)),
            reason::LEVEL_NONE
        );
    }
}
