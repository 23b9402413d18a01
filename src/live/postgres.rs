//! Cross-node fan-out over PostgreSQL LISTEN/NOTIFY: no extra broker.
//!
//! Each node sends small notices (ids, never bodies: payloads are capped at
//! 8000 bytes) on one channel and listens on it. Notices raised while the
//! previous `NOTIFY` is on its way go together in the next, one per line:
//! under load that is one statement for a burst instead of one a message.
//! A node fetches a noticed message from the database and publishes it to
//! its own listeners; streams deliver by room position (`pos`), so notices
//! arriving out of order, twice, or not at all while the link was down are
//! all repaired from the store. When the
//! listening connection drops, every room is told to resync on reconnect.

use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};

use super::{Relay, RoomEvent};
use crate::domain::PresenceUpdate;

/// The channel every node listens on.
pub const CHANNEL: &str = "conversate_events";

/// The most a joined payload holds: PostgreSQL refuses 8,000 bytes.
const PAYLOAD_LIMIT: usize = 7_900;

/// Sends this node's events to the others.
pub struct PgRelay {
    /// Notices waiting for `send_notices`, in the order they were raised.
    queue: tokio::sync::mpsc::UnboundedSender<Queued>,
    node: u64,
}

/// What waits for `send_notices`.
enum Queued {
    Notice(String),
    /// Answered once every notice queued before it has been sent.
    Flush(tokio::sync::oneshot::Sender<()>),
}

impl PgRelay {
    /// Connects for sending notices, and starts the task that sends them.
    ///
    /// # Errors
    /// When the database cannot be reached.
    pub async fn connect(url: &str, node: u64) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new().max_connections(1).connect(url).await?;
        let (queue, waiting) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(send_notices(pool, waiting));
        Ok(Self { queue, node })
    }

    /// The notice for an event, or `None` when other nodes need not hear it.
    #[must_use]
    pub fn encode(node: u64, room_id: i64, event: &RoomEvent) -> Option<String> {
        Some(match event {
            RoomEvent::Message(m) if m.changed() => {
                format!("e:{node}:{room_id}:{}:{}", m.id, m.rev)
            }
            RoomEvent::Message(m) => match &m.poster {
                Some(p) => format!(
                    "m:{node}:{room_id}:{}:{}:{}:{}:{}:{}",
                    m.id,
                    p.user_id,
                    p.last_seen,
                    u8::from(p.has_focus),
                    p.inactive_from,
                    p.last_spoke.map_or_else(String::new, |t| t.to_string()),
                ),
                None => format!("m:{node}:{room_id}:{}", m.id),
            },
            RoomEvent::Presence { .. } => format!("p:{node}:{room_id}"),
            RoomEvent::AccessRevoked { user_id } => format!("r:{node}:{room_id}:{user_id}"),
            RoomEvent::SessionsEnded { user_id } => format!("s:{node}:{room_id}:{user_id}"),
            RoomEvent::Closed => format!("c:{node}:{room_id}"),
            RoomEvent::Typing { user_id, .. } => format!("t:{node}:{room_id}:{user_id}"),
            RoomEvent::Resync => return None,
        })
    }
}

impl Relay for PgRelay {
    fn relay(&self, room_id: i64, event: &RoomEvent) {
        if let Some(notice) = Self::encode(self.node, room_id, event) {
            // Publishing never waits on the network. The queue ends only
            // when the runtime is shutting down.
            let _ = self.queue.send(Queued::Notice(notice));
        }
    }

    fn flush(&self) -> futures_util::future::BoxFuture<'_, ()> {
        let (done, sent) = tokio::sync::oneshot::channel();
        let queued = self.queue.send(Queued::Flush(done)).is_ok();
        Box::pin(async move {
            if queued {
                // An error means the sending task has ended: nothing waits.
                let _ = sent.await;
            }
        })
    }
}

/// Sends queued notices in order, joining those that wait together into one
/// payload. A lost notice is repaired by the next one's position gap or by
/// the resync after a reconnect, so a failed send is logged, not retried.
async fn send_notices(pool: PgPool, mut queue: tokio::sync::mpsc::UnboundedReceiver<Queued>) {
    let mut next = None;
    // A flush met while gathering, answered once the payload has been sent.
    let mut flushed = None;
    loop {
        let mut payload = match next.take() {
            Some(carried) => carried,
            None => match queue.recv().await {
                Some(Queued::Notice(notice)) => notice,
                Some(Queued::Flush(done)) => {
                    let _ = done.send(());
                    continue;
                }
                None => return,
            },
        };
        while let Ok(queued) = queue.try_recv() {
            match queued {
                Queued::Notice(notice) => {
                    if let Some(joined) = join(&mut payload, notice) {
                        next = Some(joined);
                        break;
                    }
                }
                // Notices queued after a flush may wait for the next payload.
                Queued::Flush(done) => {
                    flushed = Some(done);
                    break;
                }
            }
        }
        if let Err(e) = sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(&payload)
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, "cross-node notice failed");
        }
        if let Some(done) = flushed.take() {
            let _ = done.send(());
        }
    }
}

/// Appends `notice` to `payload` as a line of its own, or hands it back
/// when the payload would grow past what PostgreSQL takes.
fn join(payload: &mut String, notice: String) -> Option<String> {
    if payload.len() + 1 + notice.len() > PAYLOAD_LIMIT {
        return Some(notice);
    }
    payload.push('\n');
    payload.push_str(&notice);
    None
}

/// The notices of one payload, decoded; this node's own and garbage are
/// left out.
pub fn decode_all(node: u64, payload: &str) -> impl Iterator<Item = Notice> + '_ {
    payload.lines().filter_map(move |line| decode(node, line))
}

/// A decoded notice from another node.
#[derive(Debug, PartialEq, Eq)]
pub enum Notice {
    Message {
        room_id: i64,
        id: i64,
        /// The presence the post wrote for its poster, when that was all
        /// it changed beside the message (see `LiveMessage::poster`).
        poster: Option<PresenceUpdate>,
    },
    /// Message `id` changed (edited, deleted, reacted to), taking cursor
    /// position `rev`.
    Changed {
        room_id: i64,
        id: i64,
        rev: i64,
    },
    Presence {
        room_id: i64,
    },
    Revoked {
        room_id: i64,
        user_id: i64,
    },
    /// Some sessions of the user ended (in any room).
    SessionsEnded {
        user_id: i64,
    },
    Closed {
        room_id: i64,
    },
    /// A member is typing.
    Typing {
        room_id: i64,
        user_id: i64,
    },
    /// Notices may have been missed (the link was down): anything may have
    /// changed. Never sent between nodes; the listener says it itself.
    Resync,
}

/// Decodes a notice; `None` for this node's own notices and for garbage.
#[must_use]
pub fn decode(node: u64, payload: &str) -> Option<Notice> {
    let mut parts = payload.split(':');
    let kind = parts.next()?;
    let from: u64 = parts.next()?.parse().ok()?;
    if from == node {
        return None;
    }
    let room_id: i64 = parts.next()?.parse().ok()?;
    let arg = parts.next().and_then(|a| a.parse::<i64>().ok());
    if kind == "e" {
        let rev = parts.next()?.parse().ok()?;
        return Some(Notice::Changed {
            room_id,
            id: arg?,
            rev,
        });
    }
    match (kind, arg) {
        ("m", Some(id)) => Some(Notice::Message {
            room_id,
            id,
            // A poster part that does not read is left out: the receiver
            // then re-reads the room, as for any other change.
            poster: poster(room_id, parts),
        }),
        ("p", None) => Some(Notice::Presence { room_id }),
        ("r", Some(user_id)) => Some(Notice::Revoked { room_id, user_id }),
        ("s", Some(user_id)) => Some(Notice::SessionsEnded { user_id }),
        ("c", None) => Some(Notice::Closed { room_id }),
        ("t", Some(user_id)) => Some(Notice::Typing { room_id, user_id }),
        _ => None,
    }
}

/// The poster's presence carried by a message notice: user, last seen,
/// focus (0 or 1), inactive from, and last spoke (empty when none).
fn poster<'a>(room_id: i64, mut parts: impl Iterator<Item = &'a str>) -> Option<PresenceUpdate> {
    let user_id = parts.next()?.parse().ok()?;
    let last_seen = parts.next()?.parse().ok()?;
    let has_focus = match parts.next()? {
        "0" => false,
        "1" => true,
        _ => return None,
    };
    let inactive_from = parts.next()?.parse().ok()?;
    let last_spoke = match parts.next()? {
        "" => None,
        t => Some(t.parse().ok()?),
    };
    parts.next().is_none().then_some(PresenceUpdate {
        room_id,
        user_id,
        last_seen,
        has_focus,
        inactive_from,
        last_spoke,
    })
}

/// Listens for other nodes' notices until `stop` flips, and hands each one
/// on, decoded, to `notices` (see `service::sync` for what they mean).
pub async fn listen(
    url: String,
    node: u64,
    notices: tokio::sync::mpsc::Sender<Notice>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let mut listener = match connect(&url).await {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other nodes; retrying");
                tokio::select! {
                    _ = stop.changed() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        // Anything may have happened while we were not listening.
        if notices.send(Notice::Resync).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                _ = stop.changed() => return,
                received = listener.try_recv() => match received {
                    Ok(Some(n)) => {
                        for notice in decode_all(node, n.payload()) {
                            if notices.send(notice).await.is_err() {
                                return;
                            }
                        }
                    }
                    Ok(None) => {
                        tracing::warn!("lost the link to other nodes; resyncing");
                        if notices.send(Notice::Resync).await.is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "listening for other nodes failed; reconnecting");
                        break;
                    }
                },
            }
        }
    }
}

async fn connect(url: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn notices_waiting_together_share_a_payload_within_the_limit() {
        let mut payload = "m:1:2:3".to_owned();
        assert_eq!(join(&mut payload, "m:1:2:4".to_owned()), None);
        assert_eq!(join(&mut payload, "x".to_owned()), None);
        assert_eq!(payload, "m:1:2:3\nm:1:2:4\nx");
        let ids: Vec<Notice> = decode_all(8, &payload).collect();
        assert_eq!(
            ids,
            [3, 4].map(|id| Notice::Message {
                room_id: 2,
                id,
                poster: None
            }),
            "each line decodes alone; garbage lines are dropped"
        );
        assert_eq!(decode_all(1, &payload).count(), 0, "a node ignores itself");
        let long = "t:1:2:3".repeat(PAYLOAD_LIMIT / 7);
        let mut full = "m:1:2:3".to_owned();
        assert_eq!(
            join(&mut full, long.clone()),
            Some(long),
            "too long: handed back"
        );
        assert_eq!(full, "m:1:2:3");
    }

    #[test]
    fn notices_round_trip_and_own_notices_are_ignored() {
        let presence = RoomEvent::Presence {
            time: 0,
            members: Arc::new(Vec::new()),
            wire: Arc::default(),
        };
        let p = PgRelay::encode(7, 3, &presence).expect("encoded");
        assert_eq!(decode(8, &p), Some(Notice::Presence { room_id: 3 }));
        assert_eq!(decode(7, &p), None, "a node ignores itself");
        let r = PgRelay::encode(7, 3, &RoomEvent::AccessRevoked { user_id: 9 }).expect("encoded");
        assert_eq!(
            decode(8, &r),
            Some(Notice::Revoked {
                room_id: 3,
                user_id: 9
            })
        );
        assert_eq!(
            decode(8, "m:1:2:3"),
            Some(Notice::Message {
                room_id: 2,
                id: 3,
                poster: None
            })
        );
        let update = PresenceUpdate {
            room_id: 2,
            user_id: 5,
            last_seen: 100,
            has_focus: true,
            inactive_from: 400,
            last_spoke: Some(100),
        };
        let message = crate::domain::Message {
            id: 3,
            ..Default::default()
        };
        let posted = RoomEvent::Message(super::super::LiveMessage::posted(message, update.clone()));
        let m = PgRelay::encode(1, 2, &posted).expect("encoded");
        assert_eq!(
            decode(8, &m),
            Some(Notice::Message {
                room_id: 2,
                id: 3,
                poster: Some(update.clone())
            })
        );
        assert_eq!(
            decode(8, "m:1:2:3:5:100:0:400:"),
            Some(Notice::Message {
                room_id: 2,
                id: 3,
                poster: Some(PresenceUpdate {
                    has_focus: false,
                    last_spoke: None,
                    ..update
                })
            })
        );
        for bad in [
            "m:1:2:3:5:100:2:400:",
            "m:1:2:3:5:x:1:400:",
            "m:1:2:3:5:100:1",
            "m:1:2:3:5:100:1:400::9",
        ] {
            assert_eq!(
                decode(8, bad),
                Some(Notice::Message {
                    room_id: 2,
                    id: 3,
                    poster: None
                }),
                "{bad}: the message, without the unreadable presence"
            );
        }
        assert_eq!(decode(8, "m:1:2"), None);
        assert_eq!(
            decode(8, "e:1:2:3:9"),
            Some(Notice::Changed {
                room_id: 2,
                id: 3,
                rev: 9
            })
        );
        assert_eq!(decode(8, "e:1:2:3"), None);
        assert_eq!(decode(8, "x:1:2:3"), None);
        assert_eq!(decode(8, "garbage"), None);
        assert!(PgRelay::encode(1, 1, &RoomEvent::Resync).is_none());
    }
}
