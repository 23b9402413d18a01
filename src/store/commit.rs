//! Group commit, for both backends: one task takes every message waiting
//! and hands them to the backend as one batch, stored in one transaction, so
//! concurrent senders share one disk flush (and, on PostgreSQL, one turn at
//! the room's row lock). The batch's statements are the backend's
//! (`sqlite/bulk.rs`, `postgres/bulk.rs`).

use std::future::Future;
use std::time::Duration;

use crate::store::{NewMessage, Posted, StoreError};

/// Most messages committed together.
const MAX_BATCH: usize = 128;

type Reply = tokio::sync::oneshot::Sender<Result<Posted, StoreError>>;

/// Group commit for messages. Every durable commit waits for the disk; one
/// task takes every message waiting at that moment and commits them
/// together, so concurrent senders share one disk flush. A sender is
/// answered only after the commit: acknowledged means durable.
#[derive(Clone)]
pub(super) struct Committer {
    queue: tokio::sync::mpsc::Sender<(NewMessage, Reply)>,
}

impl Committer {
    /// Starts the committing task. `commit` stores a batch and answers each
    /// message, in the batch's order; one message's failure must not fail
    /// the others.
    pub(super) fn start<F, Fut>(commit: F, metrics: crate::metrics::StoreMetrics) -> Self
    where
        F: Fn(Vec<NewMessage>) -> Fut + Send + 'static,
        Fut: Future<Output = Vec<Result<Posted, StoreError>>> + Send,
    {
        let (queue, mut rx) = tokio::sync::mpsc::channel::<(NewMessage, Reply)>(4 * MAX_BATCH);
        tokio::spawn(async move {
            let mut gather = Gather::default();
            let mut batch = Vec::new();
            loop {
                if batch.is_empty() {
                    match rx.recv().await {
                        Some(first) => batch.push(first),
                        None => break,
                    }
                }
                take_waiting(&mut rx, &mut batch);
                if let Some(deadline) = gather.deadline(batch.len()) {
                    while batch.len() < gather.expected {
                        match tokio::time::timeout_at(deadline, rx.recv()).await {
                            Ok(Some(next)) => {
                                batch.push(next);
                                take_waiting(&mut rx, &mut batch);
                            }
                            Ok(None) | Err(_) => break,
                        }
                    }
                }
                let started = tokio::time::Instant::now();
                let size = batch.len();
                let (messages, replies): (Vec<NewMessage>, Vec<Reply>) =
                    std::mem::take(&mut batch).into_iter().unzip();
                let results = commit(messages).await;
                debug_assert_eq!(results.len(), replies.len());
                for (reply, result) in replies.into_iter().zip(results) {
                    let _ = reply.send(result);
                }
                let took = started.elapsed();
                metrics.commit_messages.observe(size as f64);
                metrics.commit_seconds.observe(took.as_secs_f64());
                // Those who queued during the commit start the next batch.
                take_waiting(&mut rx, &mut batch);
                tracing::debug!(
                    size,
                    queued = batch.len(),
                    took_us = took.as_micros(),
                    "committed messages"
                );
                gather.committed(size, batch.len(), took);
            }
        });
        Self { queue }
    }

    pub(super) async fn post(&self, m: NewMessage) -> Result<Posted, StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.queue
            .send((m, reply))
            .await
            .map_err(|_| StoreError::unavailable("the database is closed"))?;
        answer
            .await
            .map_err(|_| StoreError::unavailable("the database writer stopped"))?
    }
}

fn take_waiting(
    rx: &mut tokio::sync::mpsc::Receiver<(NewMessage, Reply)>,
    batch: &mut Vec<(NewMessage, Reply)>,
) {
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(next) => batch.push(next),
            Err(_) => break,
        }
    }
}

/// Commits shorter than this are not worth waiting for company.
const WORTH_WAITING: Duration = Duration::from_millis(1);
/// The longest a message waits for others to join its commit.
const MAX_GATHER: Duration = Duration::from_millis(4);

/// When to wait for more messages before committing (adaptive group
/// commit, in the spirit of PostgreSQL's `commit_delay`).
///
/// With a commit that waits for the disk, concurrent senders otherwise
/// settle into two groups that take turns: one commits while the other
/// queues. Every flush then carries half of them. Counting the senders seen
/// around the last commit (its batch, plus those who queued while it ran)
/// and waiting, for at most one commit's time, until that many are in the
/// batch joins the groups, and one flush carries them all. A lone sender
/// never waits, and with a fast disk (or `synchronous=NORMAL`) nobody does.
#[derive(Debug, Default)]
struct Gather {
    /// Senders seen around the last commit.
    expected: usize,
    /// How long the last commit took.
    last_commit: Duration,
}

impl Gather {
    /// Until when a batch of `have` messages waits for more; `None`: commit
    /// now.
    fn deadline(&self, have: usize) -> Option<tokio::time::Instant> {
        (have < self.expected && self.last_commit >= WORTH_WAITING)
            .then(|| tokio::time::Instant::now() + self.last_commit.min(MAX_GATHER))
    }

    /// A commit of `size` messages took `took`; `queued` more arrived meanwhile.
    fn committed(&mut self, size: usize, queued: usize, took: Duration) {
        self.expected = (size + queued).min(MAX_BATCH);
        self.last_commit = took;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_waits_for_the_senders_of_the_last_commit_only_when_it_pays() {
        let mut gather = Gather::default();
        assert!(
            gather.deadline(1).is_none(),
            "the first message goes at once"
        );

        // A slow commit of 8 while 8 more queued: 16 senders are about.
        gather.committed(8, 8, Duration::from_millis(2));
        assert_eq!(gather.expected, 16);
        let deadline = gather.deadline(8).expect("waits for the other 8");
        let wait = deadline - tokio::time::Instant::now();
        assert!(
            wait <= Duration::from_millis(2),
            "never longer than a commit"
        );
        assert!(gather.deadline(16).is_none(), "all there: commit now");

        // A lone sender never waits, however slow the disk.
        gather.committed(1, 0, Duration::from_millis(3));
        assert!(gather.deadline(1).is_none());

        // A fast commit is not worth waiting for.
        gather.committed(16, 0, Duration::from_micros(300));
        assert!(gather.deadline(2).is_none());

        // The wait is capped, and so is the count.
        gather.committed(MAX_BATCH, MAX_BATCH, Duration::from_secs(1));
        assert_eq!(gather.expected, MAX_BATCH);
        let wait = gather.deadline(1).expect("waits") - tokio::time::Instant::now();
        assert!(wait <= MAX_GATHER);
    }
}
