//! A read cache in front of a backend, for the look-ups every request makes:
//! its session, its user, the room, the membership and the member list.
//! Without it a poll with nothing new costs six database round trips.
//!
//! Consistency: a write made through this process drops what it changes
//! before it returns, and a read that raced with a write is not cached, so
//! this node sees its own changes at once. A change made elsewhere (another
//! node, the CLI) is seen within the time to live (`CACHE_MS`), or sooner
//! when the cross-node relay reports it ([`Backend::forget`]).
//!
//! Why not a cache crate: the entries are few and small, invalidation is
//! tied to this trait's write methods, and the generation check below is
//! the part that matters; a map behind a mutex is all it takes.

use std::borrow::Borrow;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use super::sessions::SessionRecords;
use super::{
    AuditEntry, Backend, Member, Message, NewMessage, NewUser, OutboxItem, Posted, PresenceUpdate,
    Room, StoreError, User,
};

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

/// A [`Backend`] that answers repeated look-ups from memory.
pub struct CachedBackend {
    inner: Arc<dyn Backend>,
    ttl: Duration,
    state: Mutex<State>,
    sessions: CachedSessions,
}

impl CachedBackend {
    /// Caches `inner`'s look-ups for at most `ttl`.
    #[must_use]
    pub fn new(inner: Arc<dyn Backend>, ttl: Duration) -> Self {
        Self {
            sessions: CachedSessions {
                inner: inner.clone(),
                ttl,
                state: Mutex::new((0, Maps::new())),
            },
            inner,
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
    fn apply_presence(&self, p: &PresenceUpdate) {
        let apply = |member: &mut Member| {
            if member.user_id == p.user_id {
                member.presence.last_seen = Some(p.last_seen);
                member.presence.has_focus = p.has_focus;
                member.presence.inactive_from = Some(p.inactive_from);
                if p.last_spoke.is_some() {
                    member.presence.last_spoke = p.last_spoke;
                }
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
    async fn written<T>(
        &self,
        write: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
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
        fetch: impl Future<Output = Result<V, StoreError>>,
    ) -> Result<V, StoreError>
    where
        K: Eq + Hash,
        V: Clone,
    {
        let generation = {
            let mut state = self.lock();
            if let Some(value) = pick(&mut state).get(&key, self.ttl) {
                return Ok(value);
            }
            state.generation
        };
        let value = fetch.await?;
        let mut state = self.lock();
        if state.generation == generation {
            pick(&mut state).put(key, value.clone());
        }
        Ok(value)
    }
}

#[async_trait::async_trait]
impl Backend for CachedBackend {
    async fn create_user(&self, user: NewUser) -> Result<User, StoreError> {
        self.written(self.inner.create_user(user)).await
    }

    async fn user_by_id(&self, id: i64) -> Result<User, StoreError> {
        self.cached(|s| &mut s.users, id, self.inner.user_by_id(id))
            .await
    }

    async fn user_by_name(&self, username_key: &str) -> Result<User, StoreError> {
        self.inner.user_by_name(username_key).await
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        self.inner.list_users().await
    }

    async fn has_admin(&self) -> Result<bool, StoreError> {
        self.inner.has_admin().await
    }

    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<(), StoreError> {
        self.written(self.inner.set_password(user_id, password_hash))
            .await
    }

    async fn set_alert_email(&self, user_id: i64, address: Option<&str>) -> Result<(), StoreError> {
        self.written(self.inner.set_alert_email(user_id, address))
            .await
    }

    async fn update_user(
        &self,
        user_id: i64,
        email: Option<&str>,
        is_admin: bool,
        is_active: bool,
    ) -> Result<(), StoreError> {
        self.written(self.inner.update_user(user_id, email, is_admin, is_active))
            .await
    }

    async fn create_room(&self, slug: &str, title: &str) -> Result<Room, StoreError> {
        self.written(self.inner.create_room(slug, title)).await
    }

    async fn room_by_slug(&self, slug: &str) -> Result<Room, StoreError> {
        self.cached(
            |s| &mut s.rooms,
            slug.to_owned(),
            self.inner.room_by_slug(slug),
        )
        .await
    }

    async fn list_rooms(&self) -> Result<Vec<Room>, StoreError> {
        self.inner.list_rooms().await
    }

    async fn rooms_of(&self, user_id: i64) -> Result<Vec<Room>, StoreError> {
        self.inner.rooms_of(user_id).await
    }

    async fn add_member(&self, room_id: i64, user_id: i64, colour: &str) -> Result<(), StoreError> {
        self.written(self.inner.add_member(room_id, user_id, colour))
            .await
    }

    async fn member(&self, room_id: i64, user_id: i64) -> Result<Member, StoreError> {
        let fetch = async {
            match self.inner.member(room_id, user_id).await {
                Ok(member) => Ok(Some(member)),
                Err(StoreError::NotFound) => Ok(None),
                Err(e) => Err(e),
            }
        };
        self.cached(|s| &mut s.members, (room_id, user_id), fetch)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn members(&self, room_id: i64) -> Result<Vec<Member>, StoreError> {
        Ok(self.members_shared(room_id).await?.as_ref().clone())
    }

    async fn members_shared(&self, room_id: i64) -> Result<Arc<Vec<Member>>, StoreError> {
        let fetch = async { Ok(Arc::new(self.inner.members(room_id).await?)) };
        self.cached(|s| &mut s.lists, room_id, fetch).await
    }

    async fn room_by_id(&self, id: i64) -> Result<Room, StoreError> {
        self.inner.room_by_id(id).await
    }

    async fn update_room(&self, room_id: i64, slug: &str, title: &str) -> Result<(), StoreError> {
        self.written(self.inner.update_room(room_id, slug, title))
            .await
    }

    async fn delete_room(&self, room_id: i64) -> Result<Vec<String>, StoreError> {
        self.written(self.inner.delete_room(room_id)).await
    }

    async fn clear_room(&self, room_id: i64) -> Result<Vec<String>, StoreError> {
        self.written(self.inner.clear_room(room_id)).await
    }

    async fn remove_member(&self, room_id: i64, user_id: i64) -> Result<(), StoreError> {
        self.written(self.inner.remove_member(room_id, user_id))
            .await
    }

    async fn set_colour(&self, room_id: i64, user_id: i64, colour: &str) -> Result<(), StoreError> {
        let result = self.inner.set_colour(room_id, user_id, colour).await;
        self.drop_room(room_id);
        result
    }

    async fn set_alerts(
        &self,
        room_id: i64,
        user_id: i64,
        alert: bool,
        mail_alert: bool,
    ) -> Result<(), StoreError> {
        let result = self
            .inner
            .set_alerts(room_id, user_id, alert, mail_alert)
            .await;
        self.drop_room(room_id);
        result
    }

    async fn save_presence(&self, update: PresenceUpdate) -> Result<(), StoreError> {
        let result = self.inner.save_presence(update.clone()).await;
        match result {
            Ok(()) => self.apply_presence(&update),
            Err(_) => self.drop_room(update.room_id),
        }
        result
    }

    async fn post_message(&self, message: NewMessage) -> Result<Posted, StoreError> {
        let presence = message.presence.clone();
        let result = self.inner.post_message(message).await;
        match &result {
            // Only the poster's presence changed with it.
            Ok(posted) if posted.created && posted.alerts_queued == 0 => {
                self.apply_presence(&presence);
            }
            Ok(posted) if !posted.created => {}
            // Alert bookkeeping of others changed, or the outcome is unknown.
            _ => self.drop_room(presence.room_id),
        }
        result
    }

    async fn messages_after(
        &self,
        room_id: i64,
        after: i64,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        self.inner.messages_after(room_id, after, limit).await
    }

    async fn messages_before(
        &self,
        room_id: i64,
        before: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        self.inner.messages_before(room_id, before, limit).await
    }

    async fn count_before(&self, room_id: i64, id: i64) -> Result<i64, StoreError> {
        self.inner.count_before(room_id, id).await
    }

    async fn seq_at(&self, room_id: i64, id: i64) -> Result<i64, StoreError> {
        self.inner.seq_at(room_id, id).await
    }

    async fn last_message_id(&self, room_id: i64) -> Result<i64, StoreError> {
        self.inner.last_message_id(room_id).await
    }

    async fn message(&self, room_id: i64, id: i64) -> Result<Message, StoreError> {
        self.inner.message(room_id, id).await
    }

    async fn due_alerts(&self, now: i64, limit: u32) -> Result<Vec<OutboxItem>, StoreError> {
        self.inner.due_alerts(now, limit).await
    }

    async fn claim_alert(&self, id: i64, now: i64, until: i64) -> Result<bool, StoreError> {
        self.inner.claim_alert(id, now, until).await
    }

    async fn alert_sent(&self, id: i64, now: i64) -> Result<(), StoreError> {
        self.inner.alert_sent(id, now).await
    }

    async fn alert_failed(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> Result<(), StoreError> {
        self.inner.alert_failed(id, next_attempt_at, error).await
    }

    async fn alert_cancelled(&self, id: i64, reason: &str) -> Result<(), StoreError> {
        self.inner.alert_cancelled(id, reason).await
    }

    async fn outbox_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        self.inner.outbox_counts().await
    }

    async fn record_audit(&self, entry: AuditEntry) -> Result<(), StoreError> {
        self.inner.record_audit(entry).await
    }

    async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit_log(limit).await
    }

    async fn secret(&self, name: &str, fresh: &str) -> Result<String, StoreError> {
        self.inner.secret(name, fresh).await
    }

    async fn set_setup_token(&self, token_hash: Option<&str>) -> Result<(), StoreError> {
        self.inner.set_setup_token(token_hash).await
    }

    async fn take_setup_token(&self, token_hash: &str) -> Result<bool, StoreError> {
        self.inner.take_setup_token(token_hash).await
    }

    fn sessions(&self) -> &dyn SessionRecords {
        &self.sessions
    }

    fn forget(&self, room_id: Option<i64>) {
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

    async fn close(&self) {
        self.inner.close().await;
    }
}

/// Cached session records by id, behind a generation like [`State`]'s.
type SessionMap = (u64, Maps<String, (String, i64)>);

/// Session records, cached by id. Only found sessions are kept, so random
/// cookies cannot fill memory.
struct CachedSessions {
    inner: Arc<dyn Backend>,
    ttl: Duration,
    state: Mutex<SessionMap>,
}

impl CachedSessions {
    fn lock(&self) -> MutexGuard<'_, SessionMap> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn drop_one(&self, id: &str) {
        let mut state = self.lock();
        state.0 += 1;
        state.1.entries.remove(id);
    }

    fn drop_all(&self) {
        let mut state = self.lock();
        state.0 += 1;
        state.1.entries.clear();
    }
}

#[async_trait::async_trait]
impl SessionRecords for CachedSessions {
    async fn insert(&self, id: &str, data: &str, expires: i64) -> Result<bool, StoreError> {
        let result = self.inner.sessions().insert(id, data, expires).await;
        self.drop_one(id);
        result
    }

    async fn upsert(&self, id: &str, data: &str, expires: i64) -> Result<(), StoreError> {
        let result = self.inner.sessions().upsert(id, data, expires).await;
        self.drop_one(id);
        result
    }

    async fn load(&self, id: &str, now: i64) -> Result<Option<(String, i64)>, StoreError> {
        let generation = {
            let state = self.lock();
            if let Some((data, expires)) = state.1.get(id, self.ttl) {
                return Ok((expires > now).then_some((data, expires)));
            }
            state.0
        };
        let found = self.inner.sessions().load(id, now).await?;
        if let Some(record) = &found {
            let mut state = self.lock();
            if state.0 == generation {
                state.1.put(id.to_owned(), record.clone());
            }
        }
        Ok(found)
    }

    async fn delete(&self, id: &str) -> Result<(), StoreError> {
        let result = self.inner.sessions().delete(id).await;
        self.drop_one(id);
        result
    }

    async fn delete_expired(&self, now: i64) -> Result<u64, StoreError> {
        let result = self.inner.sessions().delete_expired(now).await;
        self.drop_all();
        result
    }
}
