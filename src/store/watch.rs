//! Commits made by another process, as far as a backend can tell.
//!
//! On SQLite the CLI writes to the same file as the running server; the
//! server learns of it here (see `sqlite::Backend::watch`), and the service
//! layer then drops its caches and has open streams check their access
//! again. PostgreSQL sites hear other processes through the event relay
//! instead (`live::postgres`), so nothing is counted there.

use std::sync::Arc;

use tokio::sync::watch;

/// A counter of commits noticed from elsewhere, with listeners.
#[derive(Clone, Debug)]
pub struct Changes(Arc<watch::Sender<u64>>);

impl Default for Changes {
    fn default() -> Self {
        Self(Arc::new(watch::Sender::new(0)))
    }
}

impl Changes {
    /// Counts one more (or several) commits made elsewhere.
    pub fn note(&self) {
        self.0.send_modify(|n| *n += 1);
    }

    /// Wakes on each change noted after this call.
    #[must_use]
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}
