//! Session records, cached by id.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::Maps;
use crate::store::{Result, SessionRecords};

/// Cached session records by id, behind a generation as the cache's other maps are.
type SessionMap = (u64, Maps<String, (String, i64)>);

/// Session records, cached by id. Only found sessions are kept, so random
/// cookies cannot fill memory.
pub(super) struct CachedSessions {
    pub(super) inner: Arc<dyn SessionRecords>,
    pub(super) ttl: Duration,
    pub(super) state: Mutex<SessionMap>,
    pub(super) hits: prometheus_client::metrics::counter::Counter,
    pub(super) misses: prometheus_client::metrics::counter::Counter,
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

    pub(super) fn drop_all(&self) {
        let mut state = self.lock();
        state.0 += 1;
        state.1.entries.clear();
    }
}

#[async_trait::async_trait]
impl SessionRecords for CachedSessions {
    async fn insert(&self, id: &str, data: &str, expires: i64) -> Result<bool> {
        let result = self.inner.insert(id, data, expires).await;
        self.drop_one(id);
        result
    }

    async fn upsert(&self, id: &str, data: &str, expires: i64) -> Result<()> {
        let result = self.inner.upsert(id, data, expires).await;
        self.drop_one(id);
        result
    }

    async fn load(&self, id: &str, now: i64) -> Result<Option<(String, i64)>> {
        let generation = {
            let state = self.lock();
            if let Some((data, expires)) = state.1.get(id, self.ttl) {
                self.hits.inc();
                return Ok((expires > now).then_some((data, expires)));
            }
            state.0
        };
        self.misses.inc();
        let found = self.inner.load(id, now).await?;
        if let Some(record) = &found {
            let mut state = self.lock();
            if state.0 == generation {
                state.1.put(id.to_owned(), record.clone());
            }
        }
        Ok(found)
    }

    async fn delete(&self, id: &str) -> Result<()> {
        let result = self.inner.delete(id).await;
        self.drop_one(id);
        result
    }

    async fn delete_expired(&self, now: i64) -> Result<u64> {
        let result = self.inner.delete_expired(now).await;
        self.drop_all();
        result
    }
}
