//! A read cache in front of a backend, for the look-ups every request makes:
//! its session, its user, the room, the membership and the member list.
//! Without it a poll with nothing new costs six database round trips.
//!
//! Consistency: a write made through this process drops what it changes
//! before it returns, and a read that raced with a write is not cached, so
//! this node sees its own changes at once. A change made elsewhere (another
//! node, the CLI) is seen within the time to live (`CACHE_MS`), or sooner
//! when the cross-node relay or the SQLite commit watch reports it
//! ([`super::Store::forget`]).
//!
//! It wraps only the concerns it caches or must observe: accounts, rooms
//! (with members and presence), posting (a send changes the poster's
//! presence) and sessions.
//!
//! Why not a cache crate: the entries are few and small, invalidation is
//! tied to the write methods of the traits it wraps, and the generation check below is
//! the part that matters; a map behind a mutex is all it takes.

use std::borrow::Borrow;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

mod sessions;

use sessions::CachedSessions;

use super::{
    Accounts, NewMessage, NewUser, Posted, Posting, Result, Rooms, SessionRecords, StoreError,
};
use crate::domain::notify::Level;
use crate::domain::{Member, PresenceUpdate, Room, User};

/// Entries kept per map before it is emptied (a bound on memory, not a
/// tuning knob: a site has far fewer live sessions, users and rooms).
const MAX_ENTRIES: usize = 50_000;

struct Entry<T> {
    value: T,
    at: Instant,
}

/// Entries with a time to live.
struct Maps<K, V> {
    entries: crate::FastMap<K, Entry<V>>,
}

impl<K: Eq + Hash, V: Clone> Maps<K, V> {
    fn new() -> Self {
        Self {
            entries: crate::FastMap::default(),
        }
    }

    fn get<Q>(&self, key: &Q, ttl: Duration) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        self.entries
            .get(key)
            .filter(|e| e.at.elapsed() < ttl)
            .map(|e| e.value.clone())
    }

    fn put(&mut self, key: K, value: V) {
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.clear();
        }
        self.entries.insert(
            key,
            Entry {
                value,
                at: Instant::now(),
            },
        );
    }
}

struct State {
    /// Bumped by every invalidation; a read fetched under an older
    /// generation may be stale and is not stored.
    generation: u64,
    users: Maps<i64, User>,
    rooms: Maps<String, Room>,
    /// `None`: known not to be a member.
    members: Maps<(i64, i64), Option<Member>>,
    lists: Maps<i64, Arc<Vec<Member>>>,
}

/// Accounts, rooms and posting that answer repeated look-ups from memory.
pub struct Cache {
    accounts: Arc<dyn Accounts>,
    rooms: Arc<dyn Rooms>,
    posting: Arc<dyn Posting>,
    ttl: Duration,
    state: Mutex<State>,
    sessions: Arc<CachedSessions>,
    hits: prometheus_client::metrics::counter::Counter,
    misses: prometheus_client::metrics::counter::Counter,
}

impl Cache {
    /// Caches the look-ups of `accounts`, `rooms` and `sessions` for at most `ttl`.
    #[must_use]
    pub fn new(
        accounts: Arc<dyn Accounts>,
        rooms: Arc<dyn Rooms>,
        posting: Arc<dyn Posting>,
        sessions: Arc<dyn SessionRecords>,
        ttl: Duration,
        metrics: &crate::metrics::StoreMetrics,
    ) -> Self {
        Self {
            sessions: Arc::new(CachedSessions {
                inner: sessions,
                ttl,
                state: Mutex::new((0, Maps::new())),
                hits: metrics.cache_hits.clone(),
                misses: metrics.cache_misses.clone(),
            }),
            hits: metrics.cache_hits.clone(),
            misses: metrics.cache_misses.clone(),
            accounts,
            rooms,
            posting,
            ttl,
            state: Mutex::new(State {
                generation: 0,
                users: Maps::new(),
                rooms: Maps::new(),
                members: Maps::new(),
                lists: Maps::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached session records.
    pub fn sessions(&self) -> Arc<dyn SessionRecords> {
        self.sessions.clone()
    }

    /// Drops cached reads after another node or process reported a change
    /// (to one room, or to anything when `None`).
    pub fn forget(&self, room_id: Option<i64>) {
        match room_id {
            Some(room_id) => {
                self.drop_room(room_id);
                // A room renamed or deleted elsewhere: its slug may point elsewhere now.
                self.lock().rooms.entries.clear();
            }
            None => {
                self.drop_all();
                self.sessions.drop_all();
            }
        }
    }

    /// Drops everything: after writes that can touch any cached entry.
    fn drop_all(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.users.entries.clear();
        state.rooms.entries.clear();
        state.members.entries.clear();
        state.lists.entries.clear();
    }

    /// Drops one room's memberships and member list.
    fn drop_room(&self, room_id: i64) {
        let mut state = self.lock();
        state.generation += 1;
        state
            .members
            .entries
            .retain(|(room, _), _| *room != room_id);
        state.lists.entries.remove(&room_id);
    }

    /// Applies a presence write to the cached membership and member list in
    /// place (what the `UPDATE` did), so a sign of life costs no re-read.
    pub fn apply_presence(&self, p: &PresenceUpdate) {
        let apply = |member: &mut Member| {
            if member.user_id == p.user_id {
                member.presence.apply(p);
            }
        };
        let mut state = self.lock();
        state.generation += 1;
        if let Some(entry) = state.lists.entries.get_mut(&p.room_id) {
            // A copy still handed out keeps the old list; this one is new.
            Arc::make_mut(&mut entry.value).iter_mut().for_each(apply);
        }
        if let Some(Entry {
            value: Some(member),
            ..
        }) = state.members.entries.get_mut(&(p.room_id, p.user_id))
        {
            apply(member);
        }
    }

    /// Runs a write, then drops everything, also when the write failed (it
    /// may have committed before the error reached us).
    async fn written<T>(&self, write: impl Future<Output = Result<T>>) -> Result<T> {
        let result = write.await;
        self.drop_all();
        result
    }

    /// Answers from the map `pick` chooses, or awaits `fetch` and keeps its
    /// answer unless an invalidation happened meanwhile.
    async fn cached<K, V>(
        &self,
        pick: fn(&mut State) -> &mut Maps<K, V>,
        key: K,
        fetch: impl Future<Output = Result<V>>,
    ) -> Result<V>
    where
        K: Eq + Hash,
        V: Clone,
    {
        let generation = {
            let mut state = self.lock();
            if let Some(value) = pick(&mut state).get(&key, self.ttl) {
                self.hits.inc();
                return Ok(value);
            }
            state.generation
        };
        self.misses.inc();
        let value = fetch.await?;
        let mut state = self.lock();
        if state.generation == generation {
            pick(&mut state).put(key, value.clone());
        }
        Ok(value)
    }
}

#[async_trait::async_trait]
impl Accounts for Cache {
    async fn create_user(&self, user: NewUser) -> Result<User> {
        self.written(self.accounts.create_user(user)).await
    }

    async fn user_by_id(&self, id: i64) -> Result<User> {
        self.cached(|s| &mut s.users, id, self.accounts.user_by_id(id))
            .await
    }

    async fn user_by_name(&self, username_key: &str) -> Result<User> {
        self.accounts.user_by_name(username_key).await
    }

    async fn list_users(&self) -> Result<Vec<User>> {
        self.accounts.list_users().await
    }

    async fn has_admin(&self) -> Result<bool> {
        self.accounts.has_admin().await
    }

    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()> {
        self.written(self.accounts.set_password(user_id, password_hash))
            .await
    }

    async fn set_alert_email(&self, user_id: i64, address: Option<&str>) -> Result<()> {
        self.written(self.accounts.set_alert_email(user_id, address))
            .await
    }

    async fn set_locale(
        &self,
        user_id: i64,
        language: Option<&str>,
        time_zone: Option<&str>,
    ) -> Result<()> {
        self.written(self.accounts.set_locale(user_id, language, time_zone))
            .await
    }

    async fn set_display_name(&self, user_id: i64, name: Option<&str>) -> Result<()> {
        self.written(self.accounts.set_display_name(user_id, name))
            .await
    }

    async fn set_avatar(&self, user_id: i64, key: Option<&str>) -> Result<Option<String>> {
        self.written(self.accounts.set_avatar(user_id, key)).await
    }

    async fn update_user(
        &self,
        user_id: i64,
        email: Option<&str>,
        is_admin: bool,
        is_active: bool,
    ) -> Result<()> {
        self.written(
            self.accounts
                .update_user(user_id, email, is_admin, is_active),
        )
        .await
    }
}

#[async_trait::async_trait]
impl Rooms for Cache {
    async fn create_room(&self, slug: &str, title: &str) -> Result<Room> {
        self.written(self.rooms.create_room(slug, title)).await
    }

    async fn room_by_slug(&self, slug: &str) -> Result<Room> {
        self.cached(
            |s| &mut s.rooms,
            slug.to_owned(),
            self.rooms.room_by_slug(slug),
        )
        .await
    }

    async fn room_by_id(&self, id: i64) -> Result<Room> {
        self.rooms.room_by_id(id).await
    }

    async fn list_rooms(&self) -> Result<Vec<Room>> {
        self.rooms.list_rooms().await
    }

    async fn rooms_of(&self, user_id: i64) -> Result<Vec<Room>> {
        self.rooms.rooms_of(user_id).await
    }

    async fn update_room(&self, room_id: i64, slug: &str, title: &str) -> Result<()> {
        self.written(self.rooms.update_room(room_id, slug, title))
            .await
    }

    async fn delete_room(&self, room_id: i64) -> Result<Vec<String>> {
        self.written(self.rooms.delete_room(room_id)).await
    }

    async fn clear_room(&self, room_id: i64) -> Result<Vec<String>> {
        self.written(self.rooms.clear_room(room_id)).await
    }

    async fn add_member(&self, room_id: i64, user_id: i64, colour: &str) -> Result<()> {
        self.written(self.rooms.add_member(room_id, user_id, colour))
            .await
    }

    async fn member(&self, room_id: i64, user_id: i64) -> Result<Member> {
        let fetch = async {
            match self.rooms.member(room_id, user_id).await {
                Ok(member) => Ok(Some(member)),
                Err(StoreError::NotFound) => Ok(None),
                Err(e) => Err(e),
            }
        };
        self.cached(|s| &mut s.members, (room_id, user_id), fetch)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn members(&self, room_id: i64) -> Result<Arc<Vec<Member>>> {
        self.cached(|s| &mut s.lists, room_id, self.rooms.members(room_id))
            .await
    }

    async fn remove_member(&self, room_id: i64, user_id: i64) -> Result<()> {
        self.written(self.rooms.remove_member(room_id, user_id))
            .await
    }

    async fn set_colour(&self, room_id: i64, user_id: i64, colour: &str) -> Result<()> {
        let result = self.rooms.set_colour(room_id, user_id, colour).await;
        self.drop_room(room_id);
        result
    }

    async fn set_alerts(
        &self,
        room_id: i64,
        user_id: i64,
        alert: bool,
        mail_alert: bool,
    ) -> Result<()> {
        let result = self
            .rooms
            .set_alerts(room_id, user_id, alert, mail_alert)
            .await;
        self.drop_room(room_id);
        result
    }

    async fn set_notify(&self, room_id: i64, user_id: i64, level: Level) -> Result<()> {
        let result = self.rooms.set_notify(room_id, user_id, level).await;
        self.drop_room(room_id);
        result
    }

    async fn save_presence(&self, update: PresenceUpdate) -> Result<()> {
        let result = self.rooms.save_presence(update.clone()).await;
        match result {
            Ok(()) => self.apply_presence(&update),
            Err(_) => self.drop_room(update.room_id),
        }
        result
    }
}

#[async_trait::async_trait]
impl Posting for Cache {
    async fn post_message(&self, message: NewMessage) -> Result<Posted> {
        let presence = message.presence.clone();
        let result = self.posting.post_message(message).await;
        match &result {
            Ok(posted) if posted.only_presence_changed() => {
                self.apply_presence(&presence);
            }
            Ok(posted) if !posted.created => {}
            // Alert bookkeeping of others changed, or the outcome is unknown.
            _ => self.drop_room(presence.room_id),
        }
        result
    }
}
