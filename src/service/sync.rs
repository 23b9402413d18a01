//! Keeping this node in step with changes made elsewhere: by another node
//! (notices from the PostgreSQL relay) or by another process on the same
//! SQLite file (commits the store noticed, such as the CLI's).
//!
//! The transport (`live::postgres`) only decodes notices; what they mean
//! for caches, streams and long-polls is decided here.

use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::chat::Chat;
use crate::live::postgres::Notice;
use crate::live::{LiveMessage, RoomEvent};

/// Applies notices and noticed commits until `stop` changes.
pub async fn follow(
    chat: Arc<Chat>,
    mut notices: mpsc::Receiver<Notice>,
    mut stop: watch::Receiver<bool>,
) {
    let mut changes = chat.store.changes().subscribe();
    let mut relay_open = true;
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            Ok(()) = changes.changed() => {
                tracing::debug!("the database changed elsewhere; checking open streams again");
                resync(&chat);
            }
            notice = notices.recv(), if relay_open => match notice {
                Some(notice) => apply(&chat, notice).await,
                None => relay_open = false,
            },
        }
    }
}

/// Anything cached may have changed: drop it, and have every listener on
/// this node re-read the store and check its access again.
pub fn resync(chat: &Chat) {
    chat.store.forget(None);
    chat.hub.forget_newest(None);
    for room_id in chat.hub.rooms_with_listeners() {
        chat.hub.publish_local(room_id, RoomEvent::Resync);
    }
}

/// What another node's notice means here.
async fn apply(chat: &Chat, notice: Notice) {
    // Another node changed this room: what this node cached about it
    // (members, presence; on a revocation also accounts) is re-read.
    match &notice {
        // A plain post changed its poster's presence and nothing else
        // cached: applied in place, so the next request here reads nothing.
        Notice::Message {
            poster: Some(p), ..
        } => chat.store.apply_presence(p),
        Notice::Message { room_id, .. }
        | Notice::Changed { room_id, .. }
        | Notice::Presence { room_id } => {
            chat.store.forget(Some(*room_id));
        }
        Notice::Revoked { .. } | Notice::Closed { .. } | Notice::SessionsEnded { .. } => {
            chat.store.forget(None);
        }
        // Nothing stored changed.
        Notice::Typing { .. } => {}
        Notice::Resync => return resync(chat),
    }
    match notice {
        Notice::Message { room_id, id, .. } | Notice::Changed { room_id, id, .. } => {
            if !chat.hub.has_listeners(room_id) {
                // Nobody to deliver to, but polls must know it exists.
                let rev = match notice {
                    Notice::Changed { rev, .. } => rev,
                    _ => id,
                };
                chat.hub.note_message(room_id, rev);
                return;
            }
            // The message as it stands now: a later change may already be
            // in it (its position then shows the gap, and streams refill).
            match chat.store.messages().message(room_id, id).await {
                Ok(m) => chat
                    .hub
                    .publish_local(room_id, RoomEvent::Message(LiveMessage::new(m))),
                Err(e) => {
                    tracing::warn!(error = %crate::error_chain(&e), "fetching a noticed message failed; resyncing the room");
                    chat.hub.publish_local(room_id, RoomEvent::Resync);
                }
            }
            // The posting node announced the poster's presence to its own
            // listeners only (see `Chat::post`); these hear it from here.
            if let Notice::Message {
                poster: Some(_), ..
            } = notice
                && let Err(e) = chat.announce_presence_local(room_id).await
            {
                tracing::warn!(error = %crate::error_chain(&e), "presence refresh failed");
            }
        }
        Notice::Presence { room_id } => {
            if chat.hub.has_listeners(room_id)
                && let Err(e) = chat.announce_presence_local(room_id).await
            {
                tracing::warn!(error = %crate::error_chain(&e), "presence refresh failed");
            }
        }
        Notice::Revoked { room_id, user_id } => chat
            .hub
            .publish_local(room_id, RoomEvent::AccessRevoked { user_id }),
        Notice::Closed { room_id } => chat.hub.publish_local(room_id, RoomEvent::Closed),
        Notice::Typing { room_id, user_id } => {
            if !chat.hub.has_listeners(room_id) {
                return;
            }
            let Ok(members) = chat.members(room_id).await else {
                return;
            };
            if let Some(m) = members.iter().find(|m| m.user_id == user_id) {
                let username = m.username.as_str().into();
                chat.hub
                    .publish_local(room_id, RoomEvent::Typing { user_id, username });
            }
        }
        Notice::SessionsEnded { user_id } => chat
            .hub
            .publish_local_everywhere(&RoomEvent::SessionsEnded { user_id }),
        Notice::Resync => {}
    }
}
