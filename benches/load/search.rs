//! (j) Search on the database of (d) (1,000,000 messages in the history
//! room in a full run): `GET /api/search/` for a word every message has, a
//! two-word phrase, `from:` and a word, and a word one message has,
//! closed-loop at concurrency 1 and 16 as the members; the time to build the
//! index of every message from scratch (`conversate search rebuild`, before
//! the server starts), and the disk the index takes (SQLite's `dbstat`).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};

use crate::closed_loop::MakeRequest;
use crate::http::{Auth, find, get_request};
use crate::server::open_db;
use crate::stats::{Sample, at, ms, thousands};
use crate::{Params, Results};

/// The queries measured: (what, query). Every seeded message reads
/// "Message N of the history: an ordinary line of chat, *seeded*.", and
/// `user03` wrote one in sixteen.
pub const QUERIES: [(&str, &str); 4] = [
    ("one word", "ordinary"),
    ("two-word phrase", "\"ordinary line\""),
    ("`from:` + word", "from:user03 ordinary"),
    ("a word one message has", "4321"),
];

/// What (j) measured.
#[derive(Debug, Default)]
pub struct SearchResult {
    /// Building the index of every message from scratch.
    pub build: Duration,
    /// Messages indexed.
    pub messages: i64,
    /// Bytes the index takes on disk, and the whole database.
    pub index_bytes: i64,
    pub database_bytes: i64,
    /// Per query (in the order of [`QUERIES`]): concurrency and sample.
    pub queries: Vec<(usize, usize, Sample)>,
}

/// Rebuilds the index of every message on the seeded database with
/// `conversate search rebuild` (the server not running) and measures it
/// and the disk it takes.
pub async fn build_index(dir: &Path, r: &mut SearchResult) -> Result<()> {
    let (took, said) =
        crate::cold_paths::conversate(dir, &["search".as_ref(), "rebuild".as_ref()]).await?;
    r.build = took;
    r.messages = said
        .strip_prefix("Rebuilt the search index of ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("conversate search rebuild said: {said}"))?;
    let pool = open_db(dir).await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await?;
    r.index_bytes = sqlx::query_scalar(
        "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name LIKE 'messages_search%'",
    )
    .fetch_one(&pool)
    .await?;
    r.database_bytes = sqlx::query_scalar(
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
    )
    .fetch_one(&pool)
    .await?;
    pool.close().await;
    Ok(())
}

/// `GET /api/search/?q=…`, spread over the members' sessions.
pub fn search_load(addr: SocketAddr, auths: &[Auth], query: &str) -> MakeRequest {
    let path = format!(
        "/api/search/?{}",
        serde_urlencoded::to_string([("q", query)]).unwrap_or_default()
    );
    let requests: Vec<Vec<u8>> = auths
        .iter()
        .map(|a| get_request(addr, &path, Some(a)))
        .collect();
    Arc::new(move |worker, _, out| out.extend_from_slice(&requests[worker % requests.len()]))
}

/// The answer is a success with at least one result.
pub fn is_results(body: &[u8]) -> bool {
    find(body, b"\"success\":true").is_some() && find(body, b"\"excerpt_html\"").is_some()
}

/// The report's section (j).
pub fn section(o: &mut String, p: &Params, r: &Results) {
    let s = &r.search;
    let _ = writeln!(o, "## (j) Search at {} messages\n", thousands(p.history));
    let _ = writeln!(
        o,
        "`GET /api/search/?q=…` as the members, newest first, 20 results a page, on SQLite's \
         FTS5 index (migration 0008), which triggers keep as messages are stored, so the \
         durable sends of (b) include indexing. The index of all {} messages was built from \
         scratch (`conversate search rebuild`) in {:.2} s and takes {:.1} MiB of the \
         database's {:.1} MiB.\n",
        thousands(s.messages),
        s.build.as_secs_f64(),
        mib_of(s.index_bytes),
        mib_of(s.database_bytes),
    );
    let _ = writeln!(
        o,
        "| query | concurrency | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|"
    );
    for (i, c, sample) in &s.queries {
        let (name, query) = QUERIES[*i];
        let _ = writeln!(
            o,
            "| {name}: `{query}` | {c} | {:.0} | {} | {} |",
            sample.rate(),
            ms(sample.pct_ms(50.0)),
            ms(sample.pct_ms(99.0)),
        );
    }
    let _ = writeln!(o);
}

/// The target rows of (j): p99 at concurrency 1 of the first three queries.
pub fn targets(o: &mut String, p: &Params, r: &Results, verdict: fn(bool) -> &'static str) {
    for (i, (name, _)) in QUERIES.iter().enumerate().take(3) {
        let samples: Vec<(usize, Sample)> = r
            .search
            .queries
            .iter()
            .filter(|(q, _, _)| *q == i)
            .map(|(_, c, s)| (*c, s.clone()))
            .collect();
        let s = at(&samples, 1);
        let _ = writeln!(
            o,
            "| (j) search, {name}, {} messages, p99 | < 20 ms | {} ms | | {} |",
            thousands(p.history),
            ms(s.pct_ms(99.0)),
            verdict(s.pct_ms(99.0) < 20.0)
        );
    }
}

fn mib_of(bytes: i64) -> f64 {
    bytes as f64 / 1024.0 / 1024.0
}
