//! The shared throttles on PostgreSQL, taken in batches: one task takes
//! every `take` waiting and moves all their keys in one statement.
//!
//! Every send takes its sender's key, so under load the throttle was a
//! statement (a round trip and a commit) per message, the most of any kind.
//! Batched, concurrent senders share one. The rule is the GCRA of
//! `sql/throttles.rs`, applied per key in one statement: a batch holds each
//! key once (a repeat waits for the next batch, so each take sees the one
//! before it), and its rows are upserted in key order, so two nodes'
//! batches take their row locks in one order and never wait in a circle.

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::store::{Result, StoreError};

/// Most takes moved by one statement.
const MAX_BATCH: usize = 128;

/// One `take`: the key, the time, the interval and the burst's tolerance.
struct Take {
    key: String,
    now: i64,
    interval: i64,
    tolerance: i64,
    reply: oneshot::Sender<Result<Option<i64>>>,
}

/// The handle the backend takes throttles through.
pub(super) struct Batcher {
    queue: mpsc::UnboundedSender<Take>,
}

impl Batcher {
    /// Starts the task that moves the batches, on `pool`.
    pub(super) fn start(pool: PgPool) -> Self {
        let (queue, waiting) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, waiting));
        Self { queue }
    }

    /// Counts one request against `key` (see `Throttles::take`): `None`
    /// when it passes, else the microseconds until one would.
    pub(super) async fn take(
        &self,
        key: &str,
        now: i64,
        interval: i64,
        tolerance: i64,
    ) -> Result<Option<i64>> {
        let (reply, answer) = oneshot::channel();
        let take = Take {
            key: key.to_owned(),
            now,
            interval,
            tolerance,
            reply,
        };
        self.queue
            .send(take)
            .map_err(|_| StoreError::unavailable("the database is closed"))?;
        answer
            .await
            .map_err(|_| StoreError::unavailable("the throttle's task stopped"))?
    }
}

async fn run(pool: PgPool, mut waiting: mpsc::UnboundedReceiver<Take>) {
    // Takes of a key already in the batch, for the next one.
    let mut held: Vec<Take> = Vec::new();
    loop {
        if held.is_empty() {
            match waiting.recv().await {
                Some(take) => held.push(take),
                None => return,
            }
        }
        while held.len() < MAX_BATCH
            && let Ok(take) = waiting.try_recv()
        {
            held.push(take);
        }
        let (batch, later) = split_repeats(std::mem::take(&mut held));
        held = later;
        let answers = move_keys(&pool, &batch).await;
        for (take, answer) in batch.into_iter().zip(answers) {
            let _ = take.reply.send(answer);
        }
    }
}

/// The takes whose key comes first in `takes`, and the repeats, in order.
fn split_repeats(takes: Vec<Take>) -> (Vec<Take>, Vec<Take>) {
    let mut seen = std::collections::HashSet::new();
    takes
        .into_iter()
        .partition(|take| seen.insert(take.key.clone()))
}

/// Moves every key of `batch` (each once) and answers each take in order;
/// a lone take goes by the plain statement both backends share.
async fn move_keys(pool: &PgPool, batch: &[Take]) -> Vec<Result<Option<i64>>> {
    if let [t] = batch {
        return vec![
            super::sql::throttles::take_alone(pool, &t.key, t.now, t.interval, t.tolerance).await,
        ];
    }
    match try_move_keys(pool, batch).await {
        Ok(answers) => answers.into_iter().map(Ok).collect(),
        Err(e) => {
            let e = e.to_string();
            batch.iter().map(|_| Err(StoreError::other(&e))).collect()
        }
    }
}

async fn try_move_keys(pool: &PgPool, batch: &[Take]) -> Result<Vec<Option<i64>>> {
    let keys: Vec<&str> = batch.iter().map(|t| t.key.as_str()).collect();
    let nows: Vec<i64> = batch.iter().map(|t| t.now).collect();
    let intervals: Vec<i64> = batch.iter().map(|t| t.interval).collect();
    let tolerances: Vec<i64> = batch.iter().map(|t| t.tolerance).collect();
    let passed: std::collections::HashSet<String> = sqlx::query_scalar(
        "WITH t (key, now, step, tolerance) AS \
             (SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[], $4::bigint[])) \
         INSERT INTO throttle AS th (key, tat) \
         SELECT key, now + step FROM t ORDER BY key \
         ON CONFLICT (key) DO UPDATE \
         SET tat = (SELECT GREATEST(th.tat, t.now) + t.step FROM t WHERE t.key = excluded.key) \
         WHERE th.tat - (SELECT t.now FROM t WHERE t.key = excluded.key) \
             <= (SELECT t.tolerance FROM t WHERE t.key = excluded.key) \
         RETURNING key",
    )
    .bind(&keys)
    .bind(&nows)
    .bind(&intervals)
    .bind(&tolerances)
    .fetch_all(pool)
    .await?
    .into_iter()
    .collect();
    let refused: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| !passed.contains(*k))
        .collect();
    let tats: std::collections::HashMap<String, i64> = if refused.is_empty() {
        std::collections::HashMap::new()
    } else {
        sqlx::query_as("SELECT key, tat FROM throttle WHERE key = ANY($1)")
            .bind(&refused)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect()
    };
    Ok(batch
        .iter()
        .map(|t| {
            if passed.contains(&t.key) {
                return None;
            }
            let tat = tats.get(&t.key).copied();
            Some(super::sql::throttles::throttle_wait(
                tat,
                t.now,
                t.interval,
                t.tolerance,
            ))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(key: &str) -> Take {
        Take {
            key: key.to_owned(),
            now: 0,
            interval: 1,
            tolerance: 0,
            reply: oneshot::channel().0,
        }
    }

    #[test]
    fn a_batch_holds_each_key_once_and_keeps_the_order_of_the_rest() {
        let (batch, later) = split_repeats(["a", "b", "a", "c", "a", "b"].map(take).into());
        let keys = |v: &[Take]| v.iter().map(|t| t.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&batch), ["a", "b", "c"]);
        assert_eq!(keys(&later), ["a", "a", "b"]);
    }
}
