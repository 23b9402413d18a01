//! Coalescing presence writes.
//!
//! Every poll, heartbeat and page view is a sign of life, but writing each one
//! to the database would turn polling into a write storm. This tracker
//! remembers what this node last wrote per member and asks for a write only
//! when something visible changed or the stored value is getting stale.

use std::sync::Mutex;

use crate::domain::UnixTime;

/// Seconds after which an unchanged presence is written again, so other
/// nodes and the mail-alert rule see a fresh `last_seen`.
pub const REFRESH_AFTER: i64 = 15;

#[derive(Debug, Clone, Copy)]
struct Written {
    at: UnixTime,
    has_focus: bool,
    inactive_from: UnixTime,
}

/// What a sign of life requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Save the presence to the store.
    pub write: bool,
    /// The member's visible status changed: tell the room.
    pub changed: bool,
}

/// Remembers the last presence written per (room, user) on this node.
#[derive(Debug, Default)]
pub struct PresenceTracker {
    written: Mutex<crate::FastMap<(i64, i64), Written>>,
}

impl PresenceTracker {
    /// Records a sign of life at `now` and says whether to write and publish.
    pub fn seen(
        &self,
        room_id: i64,
        user_id: i64,
        now: UnixTime,
        has_focus: bool,
        disconnect_at: i64,
    ) -> Decision {
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = written.get(&(room_id, user_id)).copied();
        let changed = entry.is_none_or(|w| w.has_focus != has_focus || w.inactive_from < now);
        let write = changed || entry.is_none_or(|w| now - w.at >= REFRESH_AFTER);
        if write {
            written.insert(
                (room_id, user_id),
                Written {
                    at: now,
                    has_focus,
                    inactive_from: now + disconnect_at,
                },
            );
        }
        Decision { write, changed }
    }

    /// The focus this node last recorded for a member, if any.
    pub fn focus(&self, room_id: i64, user_id: i64) -> Option<bool> {
        let written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        written.get(&(room_id, user_id)).map(|w| w.has_focus)
    }

    /// Records a write made elsewhere (a send saves presence in its own transaction).
    pub fn wrote(
        &self,
        room_id: i64,
        user_id: i64,
        now: UnixTime,
        has_focus: bool,
        disconnect_at: i64,
    ) {
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        written.insert(
            (room_id, user_id),
            Written {
                at: now,
                has_focus,
                inactive_from: now + disconnect_at,
            },
        );
    }

    /// Drops entries of members long gone, keeping memory bounded.
    pub fn sweep(&self, now: UnixTime) {
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        written.retain(|_, w| w.inactive_from + 3_600 > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_are_coalesced_until_stale() {
        let t = PresenceTracker::default();
        assert_eq!(
            t.seen(1, 1, 100, true, 90),
            Decision {
                write: true,
                changed: true
            }
        );
        assert_eq!(
            t.seen(1, 1, 105, true, 90),
            Decision {
                write: false,
                changed: false
            }
        );
        assert_eq!(
            t.seen(1, 1, 114, true, 90),
            Decision {
                write: false,
                changed: false
            }
        );
        assert_eq!(
            t.seen(1, 1, 115, true, 90),
            Decision {
                write: true,
                changed: false
            }
        );
    }

    #[test]
    fn focus_change_and_return_after_absence_are_changes() {
        let t = PresenceTracker::default();
        t.seen(1, 1, 100, true, 90);
        assert_eq!(
            t.seen(1, 1, 101, false, 90),
            Decision {
                write: true,
                changed: true
            }
        );
        assert_eq!(
            t.seen(1, 1, 500, false, 90),
            Decision {
                write: true,
                changed: true
            }
        );
    }
}
