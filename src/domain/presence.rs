//! Presence: who is around, and who should get an e-mail alert (the rules
//! are in `docs/rules.md`, Presence and Mail alerts).

use super::UnixTime;
use super::entities::PresenceUpdate;

/// A member's presence bookkeeping in one room.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PresenceState {
    /// Last page view, poll, heartbeat or send.
    pub last_seen: Option<UnixTime>,
    /// Whether the member's window had focus at `last_seen`.
    pub has_focus: bool,
    /// Last send.
    pub last_spoke: Option<UnixTime>,
    /// The member counts as gone from this moment on.
    pub inactive_from: Option<UnixTime>,
    /// When the last e-mail alert went out.
    pub last_mail_alert: Option<UnixTime>,
}

/// How the users list shows a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PresenceStatus {
    /// Active and focused.
    Active,
    /// Active, window not focused.
    Afk,
    /// Gone.
    Inactive,
}

impl PresenceStatus {
    /// The CSS class and word for the status.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Afk => "afk",
            Self::Inactive => "inactive",
        }
    }

    /// The word the users list shows beside the dot, so that the status
    /// does not rest on colour alone.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Active => "here",
            Self::Afk => "away",
            Self::Inactive => "offline",
        }
    }
}

impl PresenceState {
    /// Records a sign of life: a page view, poll, heartbeat or send.
    pub fn seen(&mut self, now: UnixTime, has_focus: bool, disconnect_at: i64) {
        self.last_seen = Some(now);
        self.has_focus = has_focus;
        self.inactive_from = Some(now + disconnect_at);
    }

    /// Records a send (which is also a sign of life).
    pub fn spoke(&mut self, now: UnixTime, has_focus: bool, disconnect_at: i64) {
        self.seen(now, has_focus, disconnect_at);
        self.last_spoke = Some(now);
    }

    /// A member is active while `inactive_from >= now`.
    #[must_use]
    pub fn is_active(&self, now: UnixTime) -> bool {
        self.inactive_from.is_some_and(|t| t >= now)
    }

    /// The users-list status at `now`.
    #[must_use]
    pub fn status(&self, now: UnixTime) -> PresenceStatus {
        match (self.is_active(now), self.has_focus) {
            (true, true) => PresenceStatus::Active,
            (true, false) => PresenceStatus::Afk,
            (false, _) => PresenceStatus::Inactive,
        }
    }

    /// Takes in a saved sign of life (see [`PresenceUpdate`]).
    pub fn apply(&mut self, p: &PresenceUpdate) {
        self.last_seen = Some(p.last_seen);
        self.has_focus = p.has_focus;
        self.inactive_from = Some(p.inactive_from);
        if p.last_spoke.is_some() {
            self.last_spoke = p.last_spoke;
        }
    }

    /// Whether this member is due an e-mail alert for activity at `now`:
    /// not active, and not alerted since they were last seen. Opt-in and
    /// having an address are checked by the caller, who knows the member.
    #[must_use]
    pub fn due_mail_alert(&self, now: UnixTime) -> bool {
        if self.is_active(now) {
            return false;
        }
        match (self.last_mail_alert, self.last_seen) {
            (None, _) => true,
            (Some(alerted), Some(seen)) => alerted < seen,
            (Some(_), None) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_has_its_own_word() {
        let words: Vec<_> = [
            PresenceStatus::Active,
            PresenceStatus::Afk,
            PresenceStatus::Inactive,
        ]
        .map(PresenceStatus::word)
        .into();
        assert_eq!(words, ["here", "away", "offline"]);
    }

    const DISCONNECT: i64 = 90;

    #[test]
    fn seen_makes_active_until_disconnect() {
        let mut p = PresenceState::default();
        assert_eq!(p.status(1_000), PresenceStatus::Inactive);
        p.seen(1_000, true, DISCONNECT);
        assert_eq!(p.status(1_000), PresenceStatus::Active);
        assert_eq!(p.status(1_090), PresenceStatus::Active);
        assert_eq!(p.status(1_091), PresenceStatus::Inactive);
    }

    #[test]
    fn unfocused_is_afk() {
        let mut p = PresenceState::default();
        p.seen(1_000, false, DISCONNECT);
        assert_eq!(p.status(1_010), PresenceStatus::Afk);
    }

    #[test]
    fn speaking_updates_last_spoke() {
        let mut p = PresenceState::default();
        p.spoke(1_000, true, DISCONNECT);
        assert_eq!(p.last_spoke, Some(1_000));
        assert_eq!(p.last_seen, Some(1_000));
    }

    #[test]
    fn one_mail_alert_per_absence() {
        let mut p = PresenceState::default();
        p.seen(1_000, true, DISCONNECT);
        assert!(!p.due_mail_alert(1_050), "active members get no alert");
        assert!(p.due_mail_alert(2_000), "away and never alerted");
        p.last_mail_alert = Some(2_000);
        assert!(!p.due_mail_alert(2_100), "already alerted in this absence");
        p.seen(3_000, true, DISCONNECT);
        assert!(p.due_mail_alert(4_000), "came back and left again");
    }

    #[test]
    fn never_seen_member_is_alerted_once() {
        let mut p = PresenceState::default();
        assert!(p.due_mail_alert(10));
        p.last_mail_alert = Some(10);
        assert!(!p.due_mail_alert(20));
    }
}
