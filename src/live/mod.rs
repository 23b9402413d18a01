//! Live fan-out: every node keeps one broadcast channel per room with listeners.
//!
//! Publishers hand events to [`Hub::publish`]; streams and long-polls
//! [`Hub::subscribe`]. Receivers never block a publisher: a receiver that falls
//! more than [`CHANNEL_CAPACITY`] events behind sees `Lagged` and resyncs from
//! the store by its cursor, so a slow client costs itself, not others. A cross-node
//! transport feeds the same `publish` from outside, so handlers never change.

pub mod postgres;
pub mod presence;
pub mod recent;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use crate::domain::{Message, PresenceUpdate};

/// Events buffered per room before a slow receiver is told it lagged.
pub const CHANNEL_CAPACITY: usize = 256;

/// A new message on its way to listeners, with room for its wire form: the
/// first stream to send it frames it once, every other stream sends the same
/// shared bytes (fan-out to thousands of streams costs one serialisation and
/// no copy).
#[derive(Debug)]
pub struct LiveMessage {
    pub message: Message,
    pub wire: std::sync::OnceLock<bytes::Bytes>,
    /// When the post changed nothing beside the message but its poster's
    /// presence, that change: other nodes apply it to what they cached
    /// instead of reading the room's members again.
    pub poster: Option<PresenceUpdate>,
}

impl LiveMessage {
    /// Wraps a committed message.
    #[must_use]
    pub fn new(message: Message) -> Arc<Self> {
        Arc::new(Self {
            message,
            wire: std::sync::OnceLock::new(),
            poster: None,
        })
    }

    /// Wraps a message just posted, with the presence the post wrote for
    /// its poster (see [`Self::poster`]).
    #[must_use]
    pub fn posted(message: Message, poster: PresenceUpdate) -> Arc<Self> {
        Arc::new(Self {
            message,
            wire: std::sync::OnceLock::new(),
            poster: Some(poster),
        })
    }
}

impl std::ops::Deref for LiveMessage {
    type Target = Message;
    fn deref(&self) -> &Message {
        &self.message
    }
}

/// Something that happened in a room.
#[derive(Debug, Clone)]
pub enum RoomEvent {
    /// A message was committed: a new one, or a change to one (an edit, a
    /// deletion, a reaction; then its `rev` is past its id).
    Message(Arc<LiveMessage>),
    /// Someone's presence changed: the members as of `time`.
    Presence {
        time: i64,
        members: Arc<Vec<crate::domain::Member>>,
        /// The wire form, framed once by the first stream that sends it.
        wire: Arc<std::sync::OnceLock<bytes::Bytes>>,
    },
    /// A member lost access; their streams must end.
    AccessRevoked { user_id: i64 },
    /// Some sessions of this user ended (a logout, a password change or
    /// reset, a deactivation): each of their streams checks its own
    /// session again, and their long-polls answer at once.
    SessionsEnded { user_id: i64 },
    /// The room was deleted or cleared; every stream ends and clients reload.
    Closed,
    /// Events may have been missed (a cross-node link dropped): listeners
    /// re-read the store from their cursor.
    Resync,
    /// A member is typing (never stored; pages show it for a few seconds).
    Typing {
        user_id: i64,
        username: std::sync::Arc<str>,
    },
}

/// Carries events to the other nodes of a multi-node site.
pub trait Relay: Send + Sync {
    /// Passes on an event published on this node.
    fn relay(&self, room_id: i64, event: &RoomEvent);

    /// Resolves once every event passed on so far has been sent (or its
    /// sending failed): a process about to end (the command line) waits
    /// for it, or the servers would never hear of what it changed.
    fn flush(&self) -> futures_util::future::BoxFuture<'_, ()>;
}

/// What this node knows about a room's newest messages, so that a poll with
/// nothing new, and the answer to a send, need no database read.
#[derive(Debug, Default)]
struct Newest {
    /// Bumped by every message, clear and resync the hub sees in the room.
    generation: u64,
    /// Every message of the room had a cursor position (`rev`) at most this,
    /// when learnt; later events raise it as they pass through the hub.
    bound: Option<(i64, Instant)>,
    /// The latest messages that passed through the hub.
    recent: recent::Recent,
    /// The room's newest page as last read from the store: the room
    /// page's messages without a database read while nothing in the room
    /// changed.
    page: Option<Kept>,
}

/// A newest page as the hub keeps it.
#[derive(Debug)]
struct Kept {
    /// The room's generation it was read under.
    generation: u64,
    at: Instant,
    page: NewestPage,
    /// Members known to have read through it (their read cursor is on its
    /// last message): they open the room without asking for their cursor.
    read_through: crate::FastSet<i64>,
}

/// A newest page handed out by [`Hub::newest_page`].
#[derive(Debug, Clone)]
pub struct KeptPage {
    pub page: NewestPage,
    /// What to pass to [`Hub::note_read_through`].
    pub generation: u64,
    /// Whether the reader asked about has read through it.
    pub read_through: bool,
}

/// A room's newest page of messages, oldest first, and how many messages
/// precede it.
#[derive(Debug, Clone)]
pub struct NewestPage {
    pub messages: Arc<[Message]>,
    pub remaining: i64,
}

impl Newest {
    /// An event with cursor position `rev` (a new message's id, or a
    /// change's later number) was committed.
    fn note(&mut self, rev: i64) {
        self.generation += 1;
        if let Some((bound, at)) = self.bound {
            self.bound = Some((bound.max(rev), at));
        }
    }
}

/// Per-room broadcast channels.
#[derive(Default)]
pub struct Hub {
    rooms: Mutex<crate::FastMap<i64, broadcast::Sender<RoomEvent>>>,
    relay: std::sync::OnceLock<Arc<dyn Relay>>,
    newest: Mutex<crate::FastMap<i64, Newest>>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub")
            .field("relayed", &self.relay.get().is_some())
            .finish_non_exhaustive()
    }
}

impl Hub {
    /// A new, empty hub.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Starts listening to a room.
    pub fn subscribe(&self, room_id: i64) -> broadcast::Receiver<RoomEvent> {
        let mut rooms = self
            .rooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        rooms
            .entry(room_id)
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe()
    }

    /// Sends every later event to other nodes too.
    pub fn set_relay(&self, relay: Arc<dyn Relay>) {
        let _ = self.relay.set(relay);
    }

    /// Waits until the events published so far have reached the other
    /// nodes (see [`Relay::flush`]); at once on a single node.
    pub async fn flush_relay(&self) {
        if let Some(relay) = self.relay.get() {
            relay.flush().await;
        }
    }

    /// Delivers an event to this node's listeners and, in a multi-node site,
    /// to the other nodes.
    pub fn publish(&self, room_id: i64, event: RoomEvent) {
        if let Some(relay) = self.relay.get() {
            relay.relay(room_id, &event);
        }
        self.publish_local(room_id, event);
    }

    /// Delivers an event to the listeners of every room, on this node and
    /// (relayed once, not per room) on the others.
    pub fn publish_everywhere(&self, event: &RoomEvent) {
        if let Some(relay) = self.relay.get() {
            relay.relay(0, event);
        }
        self.publish_local_everywhere(event);
    }

    /// Delivers an event to the listeners of every room on this node.
    pub fn publish_local_everywhere(&self, event: &RoomEvent) {
        for room_id in self.rooms_with_listeners() {
            self.publish_local(room_id, event.clone());
        }
    }

    /// Delivers an event to this node's listeners only.
    pub fn publish_local(&self, room_id: i64, event: RoomEvent) {
        match &event {
            RoomEvent::Message(m) => self.with_newest(room_id, |n| {
                n.note(m.rev);
                n.recent.insert(m.clone());
            }),
            RoomEvent::Closed | RoomEvent::Resync => self.forget_newest(Some(room_id)),
            // Should they come back, their new membership has its own cursor.
            RoomEvent::AccessRevoked { user_id } => self.with_newest(room_id, |n| {
                if let Some(kept) = &mut n.page {
                    kept.read_through.remove(user_id);
                }
            }),
            RoomEvent::Presence { .. }
            | RoomEvent::SessionsEnded { .. }
            | RoomEvent::Typing { .. } => {}
        }
        let mut rooms = self
            .rooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A failed send means nobody listens any more: forget the channel.
        if let Some(tx) = rooms.get(&room_id)
            && tx.send(event).is_err()
        {
            rooms.remove(&room_id);
        }
    }

    fn newest(&self) -> MutexGuard<'_, crate::FastMap<i64, Newest>> {
        self.newest.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn with_newest<R>(&self, room_id: i64, f: impl FnOnce(&mut Newest) -> R) -> R {
        f(self.newest().entry(room_id).or_default())
    }

    /// Up to `limit` messages of the room after the one with id `last`,
    /// when the latest messages this node saw can tell them for certain
    /// (see [`recent::Recent::after`]); `None`: read the store.
    #[must_use]
    pub fn recent_after(
        &self,
        room_id: i64,
        last: i64,
        max_age: Duration,
        limit: usize,
    ) -> Option<Vec<Message>> {
        self.newest()
            .get(&room_id)?
            .recent
            .after(last, max_age, limit)
    }

    /// Drops the latest messages and newest pages kept longer than
    /// `max_age` in every room.
    pub fn prune_recent(&self, max_age: Duration) {
        for newest in self.newest().values_mut() {
            newest.recent.prune(max_age);
            if newest
                .page
                .as_ref()
                .is_some_and(|k| k.at.elapsed() >= max_age)
            {
                newest.page = None;
            }
        }
    }

    /// The room's newest page, when it was read from the store within
    /// `max_age` and no message, change, clear or resync has passed
    /// through this node since (another node's events arrive through the
    /// relay; anything else changed elsewhere is seen within `max_age`,
    /// as with the rest of the cache); with whether `reader` has read
    /// through it.
    #[must_use]
    pub fn newest_page(
        &self,
        room_id: i64,
        max_age: Duration,
        reader: Option<i64>,
    ) -> Option<KeptPage> {
        let newest = self.newest();
        let n = newest.get(&room_id)?;
        let kept = n.page.as_ref()?;
        (kept.generation == n.generation && kept.at.elapsed() < max_age).then(|| KeptPage {
            page: kept.page.clone(),
            generation: kept.generation,
            read_through: reader.is_some_and(|r| kept.read_through.contains(&r)),
        })
    }

    /// Keeps the room's newest page, read from the store under
    /// `generation` (see [`Hub::generation`]); ignored when an event has
    /// passed since, because the read may be older than it.
    pub fn keep_newest_page(&self, room_id: i64, generation: u64, page: NewestPage) {
        let mut newest = self.newest();
        let entry = newest.entry(room_id).or_default();
        if entry.generation == generation {
            entry.page = Some(Kept {
                generation,
                at: Instant::now(),
                page,
                read_through: crate::FastSet::default(),
            });
        }
    }

    /// Records that `user_id`'s read cursor is on the last message of the
    /// newest page kept under `generation` (cursors never move back, so
    /// it stays true for as long as that page is the newest).
    pub fn note_read_through(&self, room_id: i64, generation: u64, user_id: i64) {
        let mut newest = self.newest();
        if let Some(kept) = newest
            .get_mut(&room_id)
            .and_then(|n| n.page.as_mut())
            .filter(|k| k.generation == generation)
        {
            kept.read_through.insert(user_id);
        }
    }

    /// Records that an event with cursor position `rev` was committed in
    /// the room (also for rooms nobody on this node listens to).
    pub fn note_message(&self, room_id: i64, rev: i64) {
        self.with_newest(room_id, |n| n.note(rev));
    }

    /// Forgets what is known about one room's (or every room's) newest
    /// message: after a clear, or when events may have been missed.
    pub fn forget_newest(&self, room_id: Option<i64>) {
        let mut newest = self.newest();
        let rooms: Vec<i64> = match room_id {
            Some(room_id) => vec![room_id],
            None => newest.keys().copied().collect(),
        };
        for room_id in rooms {
            let entry = newest.entry(room_id).or_default();
            entry.generation += 1;
            entry.bound = None;
            entry.recent.clear();
            entry.page = None;
        }
    }

    /// The current generation of a room, to pass to [`Hub::learn_newest`]
    /// after reading the store.
    #[must_use]
    pub fn generation(&self, room_id: i64) -> u64 {
        self.newest().get(&room_id).map_or(0, |n| n.generation)
    }

    /// Records that the store, read under `generation`, held no message of
    /// the room with an id above `bound`; ignored when a message, clear or
    /// resync has passed since, because the read may be older than it.
    pub fn learn_newest(&self, room_id: i64, generation: u64, bound: i64) {
        let mut newest = self.newest();
        let entry = newest.entry(room_id).or_default();
        if entry.generation == generation {
            entry.bound = Some((bound, Instant::now()));
        }
    }

    /// An id no message of the room exceeds, if learnt within `max_age`.
    #[must_use]
    pub fn newest_known(&self, room_id: i64, max_age: Duration) -> Option<i64> {
        self.newest()
            .get(&room_id)
            .and_then(|n| n.bound)
            .filter(|(_, at)| at.elapsed() < max_age)
            .map(|(bound, _)| bound)
    }

    /// Whether anyone on this node listens to the room.
    #[must_use]
    pub fn has_listeners(&self, room_id: i64) -> bool {
        let rooms = self
            .rooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        rooms
            .get(&room_id)
            .is_some_and(|tx| tx.receiver_count() > 0)
    }

    /// Rooms that currently have listeners on this node.
    #[must_use]
    pub fn rooms_with_listeners(&self) -> Vec<i64> {
        let mut rooms = self
            .rooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        rooms.retain(|_, tx| tx.receiver_count() > 0);
        rooms.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presence() -> RoomEvent {
        RoomEvent::Presence {
            time: 0,
            members: Arc::new(Vec::new()),
            wire: Arc::default(),
        }
    }

    #[test]
    fn events_reach_subscribers_of_that_room_only() {
        let hub = Hub::new();
        let mut a = hub.subscribe(1);
        let mut b = hub.subscribe(2);
        hub.publish(1, presence());
        assert!(matches!(a.try_recv(), Ok(RoomEvent::Presence { .. })));
        assert!(b.try_recv().is_err());
    }

    #[test]
    fn the_newest_bound_follows_messages_and_ignores_stale_reads() {
        let hub = Hub::new();
        let ttl = Duration::from_secs(60);
        assert_eq!(hub.newest_known(1, ttl), None);
        let before = hub.generation(1);
        hub.learn_newest(1, before, 10);
        assert_eq!(hub.newest_known(1, ttl), Some(10));
        hub.note_message(1, 12);
        assert_eq!(hub.newest_known(1, ttl), Some(12));
        // A read that started before message 12 must not lower the bound.
        hub.learn_newest(1, before, 10);
        assert_eq!(hub.newest_known(1, ttl), Some(12));
        // A clear forgets it; old knowledge expires.
        hub.forget_newest(Some(1));
        assert_eq!(hub.newest_known(1, ttl), None);
        hub.learn_newest(1, hub.generation(1), 3);
        assert_eq!(hub.newest_known(1, Duration::ZERO), None);
        assert_eq!(hub.newest_known(2, ttl), None);
    }

    fn page(ids: &[i64]) -> NewestPage {
        NewestPage {
            messages: ids
                .iter()
                .map(|&id| Message {
                    id,
                    room_id: 1,
                    ..Message::default()
                })
                .collect(),
            remaining: 7,
        }
    }

    fn kept_ids(hub: &Hub, ttl: Duration) -> Option<Vec<i64>> {
        hub.newest_page(1, ttl, None)
            .map(|k| k.page.messages.iter().map(|m| m.id).collect())
    }

    #[test]
    fn the_newest_page_is_kept_until_the_room_changes() {
        let hub = Hub::new();
        let ttl = Duration::from_secs(60);
        assert_eq!(kept_ids(&hub, ttl), None);
        hub.keep_newest_page(1, hub.generation(1), page(&[1, 2]));
        assert_eq!(kept_ids(&hub, ttl), Some(vec![1, 2]));
        assert_eq!(
            hub.newest_page(1, ttl, None).map(|k| k.page.remaining),
            Some(7)
        );
        assert!(
            hub.newest_page(2, ttl, None).is_none(),
            "another room's page"
        );
        // A message (or a change, relayed or not) makes it stale.
        hub.publish_local(1, RoomEvent::Message(LiveMessage::new(Message::default())));
        assert_eq!(kept_ids(&hub, ttl), None);
        hub.keep_newest_page(1, hub.generation(1), page(&[1, 2, 3]));
        hub.note_message(1, 4);
        assert_eq!(kept_ids(&hub, ttl), None);
        // A clear or resync forgets it.
        hub.keep_newest_page(1, hub.generation(1), page(&[4]));
        hub.forget_newest(Some(1));
        assert_eq!(kept_ids(&hub, ttl), None);
    }

    #[test]
    fn readers_through_the_newest_page_are_known_until_it_changes() {
        let hub = Hub::new();
        let ttl = Duration::from_secs(60);
        let read = |user| {
            hub.newest_page(1, ttl, Some(user))
                .is_some_and(|k| k.read_through)
        };
        hub.keep_newest_page(1, hub.generation(1), page(&[1, 2]));
        let kept = hub.newest_page(1, ttl, Some(5)).expect("kept");
        assert!(!kept.read_through);
        hub.note_read_through(1, kept.generation, 5);
        assert!(read(5));
        assert!(!read(6), "another member");
        // Revoked: a later membership has a cursor of its own.
        hub.publish_local(1, RoomEvent::AccessRevoked { user_id: 5 });
        assert!(!read(5));
        hub.note_read_through(1, kept.generation, 5);
        assert!(read(5));
        // A new message: nobody has read through the next page yet, and a
        // note made under the old page is ignored.
        hub.note_message(1, 3);
        hub.keep_newest_page(1, hub.generation(1), page(&[1, 2, 3]));
        hub.note_read_through(1, kept.generation, 5);
        assert!(!read(5));
    }

    #[test]
    fn a_page_read_before_a_change_is_not_kept() {
        let hub = Hub::new();
        let ttl = Duration::from_secs(60);
        let read_under = hub.generation(1);
        hub.note_message(1, 3);
        hub.keep_newest_page(1, read_under, page(&[1, 2]));
        assert_eq!(kept_ids(&hub, ttl), None);
    }

    #[test]
    fn the_newest_page_expires_and_is_pruned() {
        let hub = Hub::new();
        hub.keep_newest_page(1, hub.generation(1), page(&[1]));
        assert_eq!(kept_ids(&hub, Duration::ZERO), None);
        assert!(kept_ids(&hub, Duration::from_secs(60)).is_some());
        hub.prune_recent(Duration::ZERO);
        assert_eq!(kept_ids(&hub, Duration::from_secs(60)), None);
    }

    #[test]
    fn channels_without_listeners_are_dropped() {
        let hub = Hub::new();
        drop(hub.subscribe(1));
        hub.publish(1, presence());
        assert!(hub.rooms_with_listeners().is_empty());
    }
}
