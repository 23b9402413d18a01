//! Throttles against abuse: login attempts per account and per address,
//! messages per member, open event streams per user.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Limits;

/// The limiters of one node.
pub struct Throttle {
    login_account: DefaultKeyedRateLimiter<String>,
    login_ip: DefaultKeyedRateLimiter<IpAddr>,
    sends: DefaultKeyedRateLimiter<i64>,
    streams_per_user: usize,
    streams: Arc<Mutex<HashMap<i64, usize>>>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
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
            streams_per_user: limits.streams_per_user as usize,
            streams: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Counts a login attempt; false when the account name or the address
    /// has had too many. The name counts whether or not such an account
    /// exists, so the answer reveals nothing about accounts.
    pub fn login_attempt(&self, username: &str, ip: Option<IpAddr>) -> bool {
        let by_ip = ip.is_none_or(|ip| self.login_ip.check_key(&ip).is_ok());
        let by_name = self
            .login_account
            .check_key(&username.trim().to_ascii_lowercase())
            .is_ok();
        by_ip && by_name
    }

    /// Counts a send; false when the member sends too fast.
    pub fn send(&self, user_id: i64) -> bool {
        self.sends.check_key(&user_id).is_ok()
    }

    /// Opens a stream slot for a user; `None` when they have too many open.
    /// The slot frees itself when dropped.
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

    /// Forgets idle keys, keeping memory bounded.
    pub fn sweep(&self) {
        self.login_account.retain_recent();
        self.login_ip.retain_recent();
        self.sends.retain_recent();
    }
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
        }
    }

    #[test]
    fn login_attempts_are_limited_per_name_and_per_address() {
        let t = Throttle::new(&limits());
        let ip: IpAddr = [127, 0, 0, 1].into();
        assert!((0..3).all(|_| t.login_attempt("Alice", Some(ip))));
        assert!(
            !t.login_attempt("alice", Some(ip)),
            "the name is limited, whatever its case"
        );
        assert!(t.login_attempt("bob", Some(ip)));
        assert!(
            !t.login_attempt("carol", Some(ip)),
            "the address is limited too"
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

    #[test]
    fn sends_are_limited_per_member() {
        let t = Throttle::new(&limits());
        assert!(t.send(1) && t.send(1));
        assert!(!t.send(1));
        assert!(t.send(2));
    }
}
