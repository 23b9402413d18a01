//! Throttles against abuse: login attempts per account and per address,
//! messages per member, open event streams per user.
//!
//! A refusal carries how long the client should wait, which the web layer
//! sends as `Retry-After`.
//!
//! One node counts in memory. Several nodes on PostgreSQL count login
//! attempts and sends in the database ([`Throttle::shared`], the store's
//! `Throttles`), with the same rule (GCRA, as `governor` uses), so spreading
//! attempts over the nodes gains nothing. Should the database fail to
//! answer, the node's own memory counts instead: a throttle never stops a
//! request for a reason of its own.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Limits;
use crate::store::Store;

/// The limiters of one node.
pub struct Throttle {
    login_account: DefaultKeyedRateLimiter<String>,
    login_ip: DefaultKeyedRateLimiter<IpAddr>,
    sends: DefaultKeyedRateLimiter<i64>,
    resets: DefaultKeyedRateLimiter<String>,
    streams_per_user: usize,
    streams: Arc<Mutex<HashMap<i64, usize>>>,
    /// Where login attempts and sends are counted for every node, if anywhere.
    shared: Option<Store>,
    limits: Limits,
}

fn per_hour(n: u32) -> Quota {
    Quota::per_hour(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

/// Counts one request against `key`; when refused, the time until the
/// limiter would let it through, measured on the limiter's own clock.
fn check<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), Duration> {
    limiter
        .check_key(key)
        .map_err(|refused| refused.wait_time_from(limiter.clock().now()))
}

/// A wait as the whole seconds of `Retry-After`: rounded up, so a client
/// that waits that long is let through, and at least 1, since `0` would
/// invite an immediate retry.
#[must_use]
pub fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

impl Throttle {
    /// Limiters for the configured limits.
    #[must_use]
    pub fn new(limits: &Limits) -> Self {
        Self {
            login_account: RateLimiter::keyed(per_minute(limits.login_per_account)),
            login_ip: RateLimiter::keyed(per_minute(limits.login_per_ip)),
            // A member may send a quick burst, then about sends_per_minute.
            sends: RateLimiter::keyed(per_minute(limits.sends_per_minute)),
            resets: RateLimiter::keyed(per_hour(limits.resets_per_hour)),
            streams_per_user: limits.streams_per_user as usize,
            streams: Arc::new(Mutex::new(HashMap::new())),
            shared: None,
            limits: limits.clone(),
        }
    }

    /// Counts login attempts and sends in `store`, for every node sharing it.
    #[must_use]
    pub fn shared(mut self, store: Store) -> Self {
        self.shared = Some(store);
        self
    }

    /// Counts one request against `key` in the shared store, `per_minute`
    /// a minute after a burst of as many; `local` decides when the store
    /// does not answer.
    async fn take_shared(
        &self,
        store: &Store,
        key: &str,
        per_minute: u32,
        local: impl FnOnce() -> Result<(), Duration>,
    ) -> Result<(), Duration> {
        let per_minute = per_minute.max(1);
        let interval = 60_000_000 / i64::from(per_minute);
        match store
            .throttles()
            .take(key, now_micros(), interval.max(1), per_minute)
            .await
        {
            Ok(None) => Ok(()),
            Ok(Some(wait)) => Err(Duration::from_micros(wait.unsigned_abs())),
            Err(e) => {
                tracing::warn!(error = %crate::error_chain(&e), "shared throttle unavailable; counting on this node");
                local()
            }
        }
    }

    /// Counts a login attempt against both the account name and the address.
    /// The name counts whether or not such an account exists, so the answer
    /// reveals nothing about accounts.
    ///
    /// # Errors
    /// When either has had too many: the wait until both allow an attempt.
    pub async fn login_attempt(&self, username: &str, ip: Option<IpAddr>) -> Result<(), Duration> {
        let name = username.trim().to_ascii_lowercase();
        let (by_ip, by_name) = match &self.shared {
            None => (
                ip.map_or(Ok(()), |ip| check(&self.login_ip, &ip)),
                check(&self.login_account, &name),
            ),
            Some(store) => {
                let by_ip = match ip {
                    Some(ip) => {
                        self.take_shared(
                            store,
                            &format!("login-ip:{ip}"),
                            self.limits.login_per_ip,
                            || check(&self.login_ip, &ip),
                        )
                        .await
                    }
                    None => Ok(()),
                };
                let by_name = self
                    .take_shared(
                        store,
                        &format!("login:{name}"),
                        self.limits.login_per_account,
                        || check(&self.login_account, &name),
                    )
                    .await;
                (by_ip, by_name)
            }
        };
        match (by_ip, by_name) {
            (Ok(()), Ok(())) => Ok(()),
            (Err(a), Err(b)) => Err(a.max(b)),
            (Err(wait), Ok(())) | (Ok(()), Err(wait)) => Err(wait),
        }
    }

    /// Counts a password reset request against the name or address entered
    /// (in any case), whether or not it names an account. The e-mails each
    /// account gets are counted again when they are sent
    /// (`service::reset`), whatever was entered.
    ///
    /// # Errors
    /// When that name or address has asked too often: the wait.
    pub async fn reset_request(&self, entered: &str) -> Result<(), Duration> {
        let key = entered.trim().to_lowercase();
        match &self.shared {
            None => check(&self.resets, &key),
            Some(store) => {
                let per_hour = self.limits.resets_per_hour.max(1);
                let interval = 3_600_000_000 / i64::from(per_hour);
                match store
                    .throttles()
                    .take(&format!("reset:{key}"), now_micros(), interval, per_hour)
                    .await
                {
                    Ok(None) => Ok(()),
                    Ok(Some(wait)) => Err(Duration::from_micros(wait.unsigned_abs())),
                    Err(e) => {
                        tracing::warn!(error = %crate::error_chain(&e), "shared throttle unavailable; counting on this node");
                        check(&self.resets, &key)
                    }
                }
            }
        }
    }

    /// Counts a send.
    ///
    /// # Errors
    /// When the member sends too fast: the wait until the next send is let through.
    pub async fn send(&self, user_id: i64) -> Result<(), Duration> {
        match &self.shared {
            None => check(&self.sends, &user_id),
            Some(store) => {
                self.take_shared(
                    store,
                    &format!("send:{user_id}"),
                    self.limits.sends_per_minute,
                    || check(&self.sends, &user_id),
                )
                .await
            }
        }
    }

    /// Opens a stream slot for a user; `None` when they have too many open.
    /// The slot frees itself when dropped. No wait is known here: a slot
    /// frees when one of the user's streams ends, whenever that is.
    pub fn open_stream(&self, user_id: i64) -> Option<StreamSlot> {
        let mut streams = self
            .streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let open = streams.entry(user_id).or_insert(0);
        if *open >= self.streams_per_user {
            return None;
        }
        *open += 1;
        Some(StreamSlot {
            user_id,
            streams: self.streams.clone(),
        })
    }

    /// Forgets idle keys, keeping memory (and the shared table) bounded.
    pub async fn sweep(&self) {
        self.login_account.retain_recent();
        self.login_ip.retain_recent();
        self.sends.retain_recent();
        if let Some(store) = &self.shared
            && let Err(e) = store.throttles().sweep_throttles(now_micros()).await
        {
            tracing::debug!(error = %crate::error_chain(&e), "sweeping shared throttles failed");
        }
    }
}

/// Now, in microseconds since the Unix epoch.
fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// One open event stream of a user.
pub struct StreamSlot {
    user_id: i64,
    streams: Arc<Mutex<HashMap<i64, usize>>>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut streams = self
            .streams
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(open) = streams.get_mut(&self.user_id) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                streams.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            login_per_account: 3,
            login_per_ip: 5,
            sends_per_minute: 2,
            streams_per_user: 2,
            tokens_per_user: 20,
            resets_per_hour: 2,
        }
    }

    #[tokio::test]
    async fn login_attempts_are_limited_per_name_and_per_address() {
        let t = Throttle::new(&limits());
        let ip: IpAddr = [127, 0, 0, 1].into();
        for _ in 0..3 {
            assert!(t.login_attempt("Alice", Some(ip)).await.is_ok());
        }
        let wait = t
            .login_attempt("alice", Some(ip))
            .await
            .expect_err("the name is limited, whatever its case");
        // 3 a minute: one more attempt every 20 s.
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(t.login_attempt("bob", Some(ip)).await.is_ok());
        let wait = t
            .login_attempt("carol", Some(ip))
            .await
            .expect_err("the address is limited too");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(12),
            "{wait:?}"
        );
    }

    #[test]
    fn streams_free_their_slot_when_dropped() {
        let t = Throttle::new(&limits());
        let a = t.open_stream(1).expect("first");
        let _b = t.open_stream(1).expect("second");
        assert!(t.open_stream(1).is_none());
        assert!(t.open_stream(2).is_some(), "per user");
        drop(a);
        assert!(t.open_stream(1).is_some());
    }

    #[tokio::test]
    async fn sends_are_limited_per_member() {
        let t = Throttle::new(&limits());
        assert!(t.send(1).await.is_ok() && t.send(1).await.is_ok());
        let wait = t.send(1).await.expect_err("too fast");
        // 2 a minute: one more send every 30 s.
        assert!(
            wait > Duration::from_secs(29) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(t.send(2).await.is_ok());
    }

    #[test]
    fn waits_become_whole_seconds_rounded_up_and_never_zero() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_secs(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1_001)), 2);
        assert_eq!(whole_seconds(Duration::from_secs(20)), 20);
        assert_eq!(whole_seconds(Duration::from_nanos(19_999_999_999)), 20);
    }
}
