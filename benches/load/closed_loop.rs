//! Closed-loop load, the driver of the poll, room-page and history figures:
//! a fixed number of keep-alive connections, each sending its next request
//! as soon as the previous answer is read, for a fixed time; every latency
//! after the warm-up is kept.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::http::{Conn, find};
use crate::stats::Sample;

/// Builds request `seq` of worker `worker` into the buffer.
pub type MakeRequest = Arc<dyn Fn(usize, u64, &mut Vec<u8>) + Send + Sync>;
/// Checks a 200 response's body.
pub type CheckBody = fn(&[u8]) -> bool;

/// Runs `concurrency` connections, each sending its next request as soon as
/// the previous one is answered, for warm-up plus `duration`; keeps the
/// latencies of requests started after the warm-up.
pub async fn closed_loop(
    addr: SocketAddr,
    concurrency: usize,
    warmup: Duration,
    duration: Duration,
    make: MakeRequest,
    check: CheckBody,
) -> Result<Sample> {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut workers = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let make = make.clone();
        workers.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await?;
            let mut request = Vec::with_capacity(1024);
            let mut latencies = Vec::with_capacity(64 * 1024);
            let mut seq = 0u64;
            loop {
                let sent = Instant::now();
                if sent >= end {
                    break;
                }
                request.clear();
                make(worker, seq, &mut request);
                seq += 1;
                let status = conn.exchange(&request).await?;
                let took = sent.elapsed();
                if status != 200 || !check(&conn.body) {
                    bail!("answer {status}: {}", conn.body_text());
                }
                if sent >= measure_from {
                    latencies.push(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
                }
            }
            Ok::<_, anyhow::Error>((latencies, Instant::now()))
        }));
    }
    let mut all = Vec::new();
    let mut finished = measure_from;
    for w in workers {
        let (latencies, at) = w.await??;
        all.extend(latencies);
        finished = finished.max(at);
    }
    Ok(Sample::new(all, finished - measure_from))
}

/// A JSON answer reporting success.
pub fn is_success(body: &[u8]) -> bool {
    find(body, b"\"success\":true").is_some()
}

/// A rendered page (it carries the form token).
pub fn is_page(body: &[u8]) -> bool {
    find(body, b"csrfmiddlewaretoken").is_some()
}
