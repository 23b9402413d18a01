//! Presence in a room: signs of life, the members list and its
//! announcements to listeners, and members' own preferences.

use std::sync::Arc;

use super::{Access, Chat};
use crate::domain::{self, Member, PresenceStatus, PresenceUpdate};
use crate::live::RoomEvent;
use crate::service::ServiceError;

impl Chat {
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
        self.announce_presence_forced(access.room.id, true).await
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

    /// Tells this node's listeners (and, when `relay`, every node's) the
    /// room's presence, changed or not.
    pub(super) async fn announce_presence_forced(
        &self,
        room_id: i64,
        relay: bool,
    ) -> Result<(), ServiceError> {
        self.announce(room_id, true, relay).await
    }

    /// Publishes the room's member list to every listener on every node
    /// after a member's profile changed (their name or picture).
    ///
    /// # Errors
    /// When storage fails.
    pub async fn announce_member_change(&self, room_id: i64) -> Result<(), ServiceError> {
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
