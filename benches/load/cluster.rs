//! (k) The cluster path: two nodes on one PostgreSQL database, the members'
//! clients spread over both. Durable sends through both nodes at once; a
//! poll on each node beside the ceiling; one message to event streams split
//! over the two nodes, so half of them hear it through the PostgreSQL relay;
//! and PostgreSQL's own cost per message (commits, WAL bytes, and statements
//! when `pg_stat_statements` is loaded).
//!
//! The database server is `CONVERSATE_BENCH_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the step makes and drops
//! its own database, `conversate_bench`, there. Both nodes share the
//! server core, as the single node does; PostgreSQL runs where the system
//! puts it.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use sqlx::{Connection, PgConnection, Row};

use crate::ceiling::start_ceiling;
use crate::closed_loop::{MakeRequest, closed_loop, is_success};
use crate::fanout::{FanoutResult, fanout};
use crate::http::{Auth, post_request};
use crate::polls::poll_load;
use crate::process::ServerProc;
use crate::server::{PASSWORD, login, start_server};
use crate::stats::{Sample, ms, thousands};
use crate::{LIVE_ROOM, Params, Results, progress};

/// The step's own database on the PostgreSQL server (also written out in
/// the statements that make and drop it).
const DATABASE: &str = "conversate_bench";
/// Poll concurrency per node, as in the single-node target.
const POLL_CONCURRENCY: usize = 64;

/// What the cluster step measured.
#[derive(Debug, Clone, Default)]
pub struct ClusterResult {
    /// Send latencies through both nodes together.
    pub sends: Sample,
    /// Acknowledged sends per second, both nodes together.
    pub send_rate: f64,
    /// Messages the database held after the sends, beyond those before.
    pub stored: i64,
    /// Sends acknowledged in the measured window (all were stored).
    pub acknowledged: usize,
    /// Poll at concurrency 64 on each node, and the ceiling's.
    pub polls: Vec<Sample>,
    pub ceiling_poll: Sample,
    /// Streams split over both nodes.
    pub fanout: FanoutResult,
    /// PostgreSQL's cost per stored message.
    pub commits_per_message: f64,
    pub wal_bytes_per_message: f64,
    pub statements_per_message: Option<f64>,
}

/// The PostgreSQL server's URL for administration, and the step's database's.
fn urls() -> Result<(String, String)> {
    let admin = std::env::var("CONVERSATE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let mut node: url::Url = admin
        .parse()
        .context("CONVERSATE_BENCH_DATABASE_URL is not a URL")?;
    node.set_path(&format!("/{DATABASE}"));
    Ok((admin, node.to_string()))
}

/// Makes the step's database afresh, with the accounts and the live room.
async fn seed(admin: &str, node_url: &str, dir: &Path, users: &[String]) -> Result<()> {
    let mut conn = PgConnection::connect(admin).await.with_context(|| {
        format!("the cluster step needs PostgreSQL at {admin} (set CONVERSATE_BENCH_DATABASE_URL)")
    })?;
    sqlx::query("DROP DATABASE IF EXISTS conversate_bench WITH (FORCE)")
        .execute(&mut conn)
        .await?;
    sqlx::query("CREATE DATABASE conversate_bench")
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    // Statements are counted where the server preloads the extension
    // (`shared_preload_libraries`); elsewhere the report says they were not.
    let mut bench = PgConnection::connect(node_url).await?;
    if let Err(e) = sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        .execute(&mut bench)
        .await
    {
        eprintln!("           pg_stat_statements is not available: {e}");
    }
    bench.close().await?;
    use conversate::service::accounts;
    let mut config = conversate::Config::with_data_dir(dir);
    config.database_url = conversate::config::DatabaseUrl::Postgres(node_url.to_owned());
    let app = conversate::App::open(config).await?;
    let store = app.store();
    accounts::create_room(store, LIVE_ROOM, "Live").await?;
    for name in users {
        let policy = conversate::service::password::Policy::default();
        accounts::create_user(store, &policy, name, None, PASSWORD, false).await?;
        accounts::add_member(store, LIVE_ROOM, name, None).await?;
    }
    store.close().await;
    Ok(())
}

async fn drop_database(admin: &str) -> Result<()> {
    let mut conn = PgConnection::connect(admin).await?;
    sqlx::query("DROP DATABASE IF EXISTS conversate_bench WITH (FORCE)")
        .execute(&mut conn)
        .await?;
    Ok(())
}

/// Counters read before and after the sends.
struct PgCounters {
    messages: i64,
    commits: i64,
    wal_lsn: String,
    statements: Option<i64>,
}

async fn counters(conn: &mut PgConnection) -> Result<PgCounters> {
    // Backends report their counters at most once a second (PostgreSQL 15).
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    sqlx::query("SELECT pg_stat_clear_snapshot()")
        .execute(&mut *conn)
        .await?;
    let row = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM messages), \
         (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()), \
         pg_current_wal_lsn()::text",
    )
    .fetch_one(&mut *conn)
    .await?;
    let has_statements =
        sqlx::query("SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'")
            .fetch_optional(&mut *conn)
            .await?
            .is_some();
    let statements = if has_statements {
        sqlx::query("SELECT COALESCE(SUM(calls), 0)::bigint FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database()")
            .fetch_one(&mut *conn)
            .await
            .ok()
            .and_then(|r| r.try_get::<i64, _>(0).ok())
    } else {
        None
    };
    Ok(PgCounters {
        messages: row.try_get(0)?,
        commits: row.try_get(1)?,
        wal_lsn: row.try_get(2)?,
        statements,
    })
}

/// Each connection sends the next message as soon as the last is answered.
fn send_load(addr: SocketAddr, auths: &[Auth], node: usize) -> MakeRequest {
    let path = format!("/{LIVE_ROOM}/api/send/");
    let auths: Vec<Auth> = auths.to_vec();
    Arc::new(move |worker, seq, out| {
        let body = format!("content=Cluster+message+{node}-{worker}-{seq}&hasFocus=true");
        out.extend_from_slice(&post_request(
            addr,
            &path,
            &auths[worker % auths.len()],
            &body,
        ));
    })
}

/// Runs step (k).
pub async fn cluster(
    p: &Params,
    work: &Path,
    users: &[String],
    t: Instant,
) -> Result<ClusterResult> {
    let (admin, node_url) = urls()?;
    progress(t, &format!("(k) cluster: seeding {DATABASE} on PostgreSQL"));
    seed(&admin, &node_url, &work.join("cluster-seed"), users).await?;
    let env = [("CONVERSATE_DATABASE_URL", node_url.as_str())];
    let mut nodes: Vec<ServerProc> = Vec::new();
    for i in 0..2 {
        let dir = work.join(format!("cluster-node{i}"));
        std::fs::create_dir_all(&dir)?;
        nodes.push(
            start_server(&dir, &env, &format!("server-cluster-{i}.log"))
                .await?
                .0,
        );
    }
    let result = measure(p, work, users, &mut nodes, &node_url, t).await;
    for node in &mut nodes {
        node.terminate().await?;
    }
    drop_database(&admin).await?;
    result
}

async fn measure(
    p: &Params,
    work: &Path,
    users: &[String],
    nodes: &mut [ServerProc],
    node_url: &str,
    t: Instant,
) -> Result<ClusterResult> {
    let mut r = ClusterResult::default();
    // Sessions live in the database: a login on one node holds on both.
    let mut auths = Vec::new();
    for user in users {
        auths.push(login(nodes[0].addr, user).await?);
    }

    progress(
        t,
        &format!("(k) ceiling: POST at concurrency {POLL_CONCURRENCY}"),
    );
    let (mut ceiling, _) = start_ceiling(work.join("ceiling-cluster.log")).await?;
    let anyone = Auth {
        cookie: "conversate_session=none".to_owned(),
        csrf: "none".to_owned(),
    };
    let make = poll_load(ceiling.addr, std::slice::from_ref(&anyone), 0);
    r.ceiling_poll = closed_loop(
        ceiling.addr,
        POLL_CONCURRENCY,
        p.warmup,
        p.duration,
        make,
        is_success,
    )
    .await?;
    ceiling.terminate().await?;
    for (i, node) in nodes.iter_mut().enumerate() {
        progress(
            t,
            &format!("(k) poll on node {i}, concurrency {POLL_CONCURRENCY}"),
        );
        let make = poll_load(node.addr, &auths, 0);
        r.polls.push(
            closed_loop(
                node.addr,
                POLL_CONCURRENCY,
                p.warmup,
                p.duration,
                make,
                is_success,
            )
            .await?,
        );
        node.check_alive()?;
    }

    progress(
        t,
        &format!("(k) durable sends, {} senders over both nodes", p.senders),
    );
    let mut db = PgConnection::connect(node_url).await?;
    let before = counters(&mut db).await?;
    let per_node = p.senders.div_ceil(nodes.len());
    let runs = nodes.iter().enumerate().map(|(i, node)| {
        closed_loop(
            node.addr,
            per_node,
            p.warmup,
            p.duration,
            send_load(node.addr, &auths, i),
            is_success,
        )
    });
    let samples = futures_util::future::try_join_all(runs).await?;
    let after = counters(&mut db).await?;
    let mut latencies = Vec::new();
    for s in &samples {
        r.send_rate += s.rate();
        r.acknowledged += s.count();
        latencies.extend_from_slice(s.raw());
    }
    r.sends = Sample::new(latencies, Duration::ZERO);
    r.stored = after.messages - before.messages;
    ensure!(
        r.stored >= i64::try_from(r.acknowledged)?,
        "durability: {} sends were acknowledged in the window but only {} messages were stored",
        r.acknowledged,
        r.stored
    );
    let wal: i64 = sqlx::query("SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint")
        .bind(&after.wal_lsn)
        .bind(&before.wal_lsn)
        .fetch_one(&mut db)
        .await?
        .try_get(0)?;
    let stored = r.stored.max(1) as f64;
    r.commits_per_message = (after.commits - before.commits) as f64 / stored;
    r.wal_bytes_per_message = wal as f64 / stored;
    r.statements_per_message = after
        .statements
        .zip(before.statements)
        .map(|(a, b)| (a - b) as f64 / stored);
    db.close().await?;

    // The cluster's target is a crowd of 10,000 (the biggest of a quick run).
    let n = p
        .fanout
        .iter()
        .copied()
        .filter(|&n| n <= 10_000)
        .max()
        .unwrap_or(0);
    progress(
        t,
        &format!("(k) fan-out to {n} SSE clients over both nodes"),
    );
    r.fanout = fanout(
        nodes,
        &auths,
        &auths[0],
        n,
        p.rounds,
        std::time::Duration::ZERO,
    )
    .await?;
    Ok(r)
}

/// The targets of (k), for the report's table.
pub fn targets(o: &mut String, r: &Results, verdict: fn(bool) -> &'static str) {
    let Some(c) = &r.cluster else { return };
    let ceiling = c.ceiling_poll.rate();
    let worst = c
        .polls
        .iter()
        .map(Sample::rate)
        .fold(f64::INFINITY, f64::min);
    let _ = writeln!(
        o,
        "| (k) cluster of 2 nodes: durable sends | ≥ 5,000 msg/s | {:.0} msg/s | | {} |",
        c.send_rate,
        verdict(c.send_rate >= 5_000.0)
    );
    let _ = writeln!(
        o,
        "| (k) cluster: one message to {} SSE clients over 2 nodes, p99 | < 250 ms | {} ms | | {} |",
        thousands(i64::try_from(c.fanout.clients).unwrap_or(0)),
        ms(c.fanout.delivery.pct_ms(99.0)),
        verdict(c.fanout.delivery.pct_ms(99.0) < 250.0)
    );
    let _ = writeln!(
        o,
        "| (k) cluster: poll on either node, concurrency 64 | ≥ 50% of ceiling | {worst:.0} req/s ({:.0}%) | {ceiling:.0} req/s | {} |",
        100.0 * worst / ceiling,
        verdict(worst >= 0.5 * ceiling)
    );
}

/// The report's section (k).
pub fn section(o: &mut String, p: &Params, r: &Results) {
    let Some(c) = &r.cluster else { return };
    let _ = writeln!(
        o,
        "## (k) Two nodes on one PostgreSQL database\n\n\
         Both nodes on the server core; sessions made on node 0 and used on both. \
         {} senders ({} per node) for {} s; polls with nothing new at concurrency \
         {POLL_CONCURRENCY} on each node; {} event streams split evenly, the message sent \
         through node 0 (node 1's streams hear it through the relay), {} rounds.\n",
        p.senders,
        p.senders.div_ceil(2),
        p.duration.as_secs_f64(),
        thousands(i64::try_from(c.fanout.clients).unwrap_or(0)),
        p.rounds
    );
    let _ = writeln!(o, "| measure | value |\n|---|---|");
    let _ = writeln!(
        o,
        "| durable sends, both nodes | {:.0} msg/s (p50 {} ms, p99 {} ms); {} acknowledged in the window, {} stored |",
        c.send_rate,
        ms(c.sends.pct_ms(50.0)),
        ms(c.sends.pct_ms(99.0)),
        c.acknowledged,
        c.stored
    );
    for (i, s) in c.polls.iter().enumerate() {
        let _ = writeln!(
            o,
            "| poll on node {i} | {:.0} req/s ({:.0}% of the ceiling's {:.0}), p99 {} ms |",
            s.rate(),
            100.0 * s.rate() / c.ceiling_poll.rate(),
            c.ceiling_poll.rate(),
            ms(s.pct_ms(99.0))
        );
    }
    let _ = writeln!(
        o,
        "| fan-out over 2 nodes | p50 {} ms, p99 {} ms, max {} ms from send to the last stream; streams opened in {:.1} s |",
        ms(c.fanout.delivery.pct_ms(50.0)),
        ms(c.fanout.delivery.pct_ms(99.0)),
        ms(c.fanout.delivery.max_ms()),
        c.fanout.connect.as_secs_f64()
    );
    let _ = writeln!(
        o,
        "| PostgreSQL per message | {:.2} commits, {:.0} WAL bytes, {} |\n",
        c.commits_per_message,
        c.wal_bytes_per_message,
        c.statements_per_message.map_or_else(
            || "statements not counted (`pg_stat_statements` is not loaded)".to_owned(),
            |s| format!("{s:.1} statements")
        )
    );
}
