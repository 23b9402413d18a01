//! (b) Durable sends: the senders (16 members) post messages as fast as
//! their answers come back; at the end of the window the server is killed
//! with SIGKILL while sends are in flight, and every acknowledged message is
//! looked up in the database file. Run with the default `synchronous=FULL`
//! and again with `NORMAL`.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};

use crate::closed_loop::is_success;
use crate::http::{Auth, Conn, json_number, post_request};
use crate::process::ServerProc;
use crate::server::open_db;
use crate::stats::{Sample, ms, rate_at};
use crate::{LIVE_ROOM, Params, Results};

/// Result of a durable-send run.
#[derive(Debug, Clone, Default)]
pub struct SendResult {
    /// Latencies of the sends started in the measured window.
    pub latency: Sample,
    /// Acknowledgements per second in the measured window.
    pub rate: f64,
    /// Every acknowledged send, warm-up included.
    pub acknowledged: usize,
    /// Acknowledged messages found after `kill -9` (must equal `acknowledged`).
    pub survived: usize,
    /// Messages stored whose answer was cut by the kill.
    pub unacknowledged_stored: usize,
}

/// `senders` members send as fast as their answers come back; at the end of
/// the window the server is killed with SIGKILL while sends are in flight,
/// and every acknowledged message is looked up in the database.
pub async fn durable_sends(
    server: &mut ServerProc,
    dir: &Path,
    auths: &[Auth],
    p: &Params,
    start_last: i64,
    tag: &str,
) -> Result<SendResult> {
    let addr = server.addr;
    let path = format!("/{LIVE_ROOM}/api/send/");
    let measure_from = Instant::now() + p.warmup;
    let end = measure_from + p.duration;
    let mut workers = Vec::new();
    for worker in 0..p.senders {
        let auth = auths[worker % auths.len()].clone();
        let path = path.clone();
        let tag = tag.to_owned();
        // Each sender sends until the kill cuts its connection.
        workers.push(tokio::spawn(async move {
            let mut conn = Conn::connect(addr).await?;
            let mut acked = Vec::new();
            let mut latencies = Vec::new();
            let mut last = start_last;
            for i in 0u64.. {
                let client_id = format!("{tag}-{worker}-{i}");
                let content = format!(
                    "Message {i} from sender {worker} :wave: *hello* everyone, see https://example.org/{i}"
                );
                let body = serde_urlencoded::to_string([
                    ("content", content.as_str()),
                    ("last", &last.to_string()),
                    ("hasFocus", "true"),
                    ("client_id", client_id.as_str()),
                ])?;
                let request = post_request(addr, &path, &auth, &body);
                let sent = Instant::now();
                let status = match conn.exchange(&request).await {
                    Ok(status) => status,
                    Err(e) => return Ok((acked, latencies, Some((Instant::now(), e)))),
                };
                let answered = Instant::now();
                if status != 200 || !is_success(&conn.body) {
                    bail!("send answered {status}: {}", conn.body_text());
                }
                if let Some(n) = json_number(&conn.body, "last") {
                    last = n;
                }
                acked.push((client_id, answered));
                if sent >= measure_from && sent < end {
                    latencies.push(u64::try_from((answered - sent).as_nanos()).unwrap_or(u64::MAX));
                }
            }
            Ok::<_, anyhow::Error>((acked, latencies, None))
        }));
    }
    tokio::time::sleep_until(end.into()).await;
    server.check_alive()?;
    let killed_at = Instant::now();
    server.kill9()?;
    let mut acked = Vec::new();
    let mut latencies = Vec::new();
    for w in workers {
        let (ids, lat, error) = w.await??;
        if let Some((at, e)) = error
            && at < killed_at
        {
            bail!("a send failed before the kill: {e:#}");
        }
        latencies.extend(lat);
        acked.extend(ids);
    }
    let window = killed_at - measure_from;
    let in_window = acked
        .iter()
        .filter(|(_, at)| *at >= measure_from && *at <= killed_at)
        .count();
    let stored = stored_client_ids(dir, tag).await?;
    let survived = acked.iter().filter(|(id, _)| stored.contains(id)).count();
    Ok(SendResult {
        latency: Sample::new(latencies, window),
        rate: in_window as f64 / window.as_secs_f64(),
        acknowledged: acked.len(),
        survived,
        unacknowledged_stored: stored.len().saturating_sub(survived),
    })
}

/// The id of the newest message in the live room: where senders start, so
/// that each answer carries only what others sent meanwhile (starting from
/// an older id, every sender would first catch up 200 messages a send).
pub async fn newest_in_live(dir: &Path) -> Result<i64> {
    let pool = open_db(dir).await?;
    let newest: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(m.id), 0) FROM messages m JOIN rooms r ON r.id = m.room_id \
         WHERE r.slug = $1",
    )
    .bind(LIVE_ROOM)
    .fetch_one(&pool)
    .await?;
    pool.close().await;
    Ok(newest)
}

/// The `client_id`s stored with the prefix `tag`.
async fn stored_client_ids(dir: &Path, tag: &str) -> Result<HashSet<String>> {
    use sqlx::Row;
    let pool = open_db(dir).await?;
    let rows = sqlx::query("SELECT client_id FROM messages WHERE client_id LIKE $1")
        .bind(format!("{tag}-%"))
        .fetch_all(&pool)
        .await?;
    pool.close().await;
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).map_err(Into::into))
        .collect()
}

/// The report's section (b).
pub fn section(o: &mut String, p: &Params, r: &Results) {
    let _ = writeln!(
        o,
        "## (b) `POST /{LIVE_ROOM}/api/send/`, {} concurrent senders\n",
        p.senders
    );
    let _ = writeln!(
        o,
        "Each sender is a different member; each send carries `content` (Markdown, an emoji \
         shortcode and a link), `last` (the id of the newest message the sender has: at the \
         start, the room's newest; then the `last` of its previous answer, so each answer carries \
         what others sent meanwhile), `hasFocus` and a unique `client_id`. A message counts \
         once its `200` answer is read. At the end of the window the server is killed with \
         SIGKILL while sends are in flight, and every acknowledged `client_id` is looked up \
         in the database file.\n"
    );
    let _ = writeln!(
        o,
        "| SQLite setting | acknowledged msg/s | p50 ms | p99 ms | acknowledged | found after kill -9 | stored but unacknowledged | ceiling req/s (16 conns) |\n|---|---|---|---|---|---|---|---|"
    );
    for (name, s) in [
        (
            "`synchronous=FULL` (default: survives power loss)",
            &r.send_full,
        ),
        (
            "`CONVERSATE_SQLITE_SYNCHRONOUS=NORMAL` (survives a process crash only)",
            &r.send_normal,
        ),
    ] {
        let _ = writeln!(
            o,
            "| {name} | {:.0} | {} | {} | {} | {} | {} | {:.0} |",
            s.rate,
            ms(s.latency.pct_ms(50.0)),
            ms(s.latency.pct_ms(99.0)),
            s.acknowledged,
            s.survived,
            s.unacknowledged_stored,
            rate_at(&r.ceiling_poll, 16)
        );
    }
    let _ = writeln!(o);
}
