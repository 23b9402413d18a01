//! The drivers: an open loop, which starts one operation every `1 / rate`
//! seconds whatever the answers do (a busy connection is never waited for:
//! the operation opens another), so a slow server meets the same arrivals
//! and its slowness shows in the latencies instead of thinning the load
//! (coordinated omission); and a short closed loop that finds an
//! operation's capacity.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::record::{Kind, Shared, lock};

/// One operation under way.
pub type OpFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

/// One operation: a request (or a login's few) and the check of its answer.
pub type Op = Arc<dyn Fn() -> OpFuture + Send + Sync>;

/// The longest an operation may take before it counts as failed.
pub const OP_TIMEOUT: Duration = Duration::from_secs(30);

/// Operations of one kind in flight at most (each holds a connection);
/// beyond, the server has fallen so far behind that opening more
/// connections would only measure the load generator.
pub const MAX_IN_FLIGHT: usize = 512;

/// Runs `op` `concurrency` times side by side, each starting again as soon
/// as it ends, for `warmup` and then `window`; answers the operations per
/// second that ended from the window's start to the last one's end (so an
/// operation slower than the window, a login in a debug build, still
/// counts). Any failure ends it with the error.
pub async fn capacity(
    op: &Op,
    concurrency: usize,
    warmup: Duration,
    window: Duration,
) -> Result<f64> {
    let measure_from = Instant::now() + warmup;
    let end = measure_from + window;
    let mut workers = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let op = op.clone();
        workers.push(tokio::spawn(async move {
            let mut done = 0u64;
            loop {
                let started = Instant::now();
                if started >= end {
                    break;
                }
                match tokio::time::timeout(OP_TIMEOUT, op()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => return Err(e),
                    Err(_) => bail!("no answer within {OP_TIMEOUT:?}"),
                }
                if Instant::now() >= measure_from {
                    done += 1;
                }
            }
            Ok::<_, anyhow::Error>((done, Instant::now()))
        }));
    }
    let mut done = 0;
    let mut finished = measure_from;
    for w in workers {
        let (n, at) = w.await??;
        done += n;
        finished = finished.max(at);
    }
    Ok(done as f64 / (finished - measure_from).as_secs_f64().max(1e-9))
}

/// Starts `op` at `rate` per second from `epoch` until `end`, each in its
/// own task, and records each one's latency or error in the period it was
/// due, and how late its task ran; returns once the last has ended. An
/// operation is timed from the moment its task runs (the generator's own
/// lateness is kept apart), unless [`MAX_IN_FLIGHT`] were already under
/// way: then it waits for one to end and is timed from when it was due, so
/// a stalled server's backlog shows in the latencies, nothing dropped.
pub async fn open_loop(
    op: Op,
    kind: Kind,
    rate: f64,
    epoch: Instant,
    end: Instant,
    recorder: Shared,
) {
    if rate.is_nan() || rate <= 0.0 {
        return;
    }
    let interval = Duration::from_secs_f64(1.0 / rate);
    let slots = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let mut tasks = JoinSet::new();
    let mut next = epoch;
    while next < end {
        tokio::time::sleep_until(next.into()).await;
        // The timer wakes at most once a millisecond: start every operation
        // due by now, each recorded against its own time.
        let now = Instant::now();
        while next <= now && next < end {
            let due = next;
            next += interval;
            let (op, recorder, slots) = (op.clone(), recorder.clone(), slots.clone());
            tasks.spawn(async move {
                let ran = Instant::now();
                let (_slot, started) = match slots.clone().try_acquire_owned() {
                    Ok(slot) => (slot, ran),
                    Err(_) => match slots.acquire_owned().await {
                        Ok(slot) => (slot, due),
                        Err(_) => return,
                    },
                };
                let result = tokio::time::timeout(OP_TIMEOUT, op()).await;
                let took = started.elapsed();
                let mut r = lock(&recorder);
                r.lag(ran.saturating_duration_since(due));
                match result {
                    Ok(Ok(())) => r.latency(kind, due, took),
                    Ok(Err(e)) => r.error(kind, due, &format!("{e:#}")),
                    Err(_) => r.error(kind, due, &format!("no answer within {OP_TIMEOUT:?}")),
                }
            });
        }
        // Finished tasks' handles are let go as the run goes.
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}
