//! Load benchmark of the real server against a practical ceiling.
//!
//! `cargo bench --bench load` starts the `conversate` binary (built with the
//! release settings) on a seeded database, pinned to core 0, and a minimal
//! axum server (this executable re-invoked, answering a fixed small JSON body)
//! pinned to the same core. The load generator (this process) runs pinned to
//! core 1: keep-alive HTTP/1.1 connections at a fixed concurrency for a fixed
//! time, every latency recorded. It measures polls, durable sends, SSE fan-out,
//! history in a room of 1,000,000 messages, memory, cold start and the cold
//! paths after a restart (the first page, a backup), and ends with a
//! 30-minute soak of every kind of request at once, open loop (l); it writes
//! BENCHMARKS.md and the soak's picture, `docs/soak.svg`. `-- --quick` runs
//! the same steps with small sizes in under a minute (CI) and leaves both
//! alone; `-- --only overview`, `--only sends`, `--only polls`,
//! `--only reads`, `--only search`, `--only cold`, `--only streams` or
//! `--only soak` seeds and runs step (i), (b) with `synchronous=FULL`, (a)
//! beside the ceiling, (d) beside the ceiling, (j), the cold paths of (f),
//! (c) with (e) (`--fanout N,N` for other crowds) or (l) alone, and
//! prints it without writing BENCHMARKS.md (`--minutes N` sets the soak's
//! length); `--only cluster` runs (k), two
//! nodes on PostgreSQL (`CONVERSATE_BENCH_DATABASE_URL`), alone.
//! `CONVERSATE_BENCH_SERVER=/path/to/conversate` measures another server
//! binary (an earlier build) with the same steps.
//!
//! All traffic stays on 127.0.0.1.
//!
//! This file holds the command line and the order of the steps; each step
//! lives in a module named for what it measures (`polls`, `sends`, `fanout`,
//! `sse_memory`, `history`, `catch_up`, `overview`, `search`, `stalled`,
//! `startup`, `cold_paths`, `cluster`, `soak`), next to the report section it
//! writes.

mod catch_up;
mod ceiling;
mod closed_loop;
mod cluster;
mod cold_paths;
mod fanout;
mod history;
mod http;
mod overview;
mod polls;
mod process;
mod report;
mod search;
mod sends;
mod server;
mod soak;
mod sse_memory;
mod stalled;
mod startup;
mod stats;

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use crate::ceiling::{CEILING_ARG, start_ceiling};
use crate::closed_loop::{closed_loop, is_page, is_success};
use crate::fanout::{FanoutResult, fanout};
use crate::history::{history_load, page_load};
use crate::http::Auth;
use crate::overview::{is_overview, overview_load};
use crate::polls::poll_load;
use crate::process::{ensure_fd_limit, pin_self};
use crate::report::Machine;
use crate::sends::{SendResult, durable_sends, newest_in_live};
use crate::server::{login, seed, start_server};
use crate::stats::Sample;

/// Core of the load generator (this process).
const LOAD_CORE: usize = 1;
/// Room the live tests use, and room holding the long history.
const LIVE_ROOM: &str = "live";
const HISTORY_ROOM: &str = "history";
/// Messages per page (the server's default `PAGE_SIZE`).
const PAGE_SIZE: i64 = 100;
/// Rooms besides `live` and `history` that every member belongs to, for (h).
const EXTRA_ROOMS: usize = 48;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(CEILING_ARG) {
        return match ceiling::main(&args[1..]) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ceiling server: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let quick = args.iter().any(|a| a == "--quick");
    let result = (|| -> Result<()> {
        let mut params = Params::new(quick);
        // `--seconds N`: a longer measured window per figure, e.g. to attach
        // a profiler to the server (whose pid is printed); never written to
        // BENCHMARKS.md.
        if let Some(i) = args.iter().position(|a| a == "--seconds") {
            let secs: f64 = args
                .get(i + 1)
                .and_then(|v| v.parse().ok())
                .context("--seconds needs a number")?;
            params.duration = Duration::from_secs_f64(secs);
            params.custom = true;
        }
        // `--fanout N,N`: other numbers of SSE clients.
        if let Some(i) = args.iter().position(|a| a == "--fanout") {
            params.fanout = args
                .get(i + 1)
                .map(|v| {
                    v.split(',')
                        .map(str::parse)
                        .collect::<Result<Vec<usize>, _>>()
                })
                .context("--fanout needs numbers")??;
            params.custom = true;
        }
        // `--minutes N`: the soak's length (l).
        if let Some(i) = args.iter().position(|a| a == "--minutes") {
            let minutes: f64 = args
                .get(i + 1)
                .and_then(|v| v.parse().ok())
                .filter(|m: &f64| *m > 0.0)
                .context("--minutes needs a number above 0")?;
            params.soak.duration = Duration::from_secs_f64(minutes * 60.0);
            params.custom = true;
        }
        // `--soak-rates poll=R,send=R,…`: the soak at these rates, without
        // measuring capacities (to compare two builds at one offered load).
        if let Some(i) = args.iter().position(|a| a == "--soak-rates") {
            let text = args.get(i + 1).context("--soak-rates needs kind=rate,…")?;
            params.soak.rates = Some(soak::SoakPlan::parse_rates(text)?);
            params.custom = true;
        }
        // `--only overview|sends|polls|reads|search|cold|soak`: seed, then
        // step (i), (b), (a), (d), (j), the cold paths of (f) or (l) alone;
        // `--only cluster`: step (k) alone, on its own database.
        if let Some(i) = args.iter().position(|a| a == "--only") {
            params.only = match args.get(i + 1).map(String::as_str) {
                Some("overview") => Some(Only::Overview),
                Some("sends") => Some(Only::Sends),
                Some("polls") => Some(Only::Polls),
                Some("reads") => Some(Only::Reads),
                Some("search") => Some(Only::Search),
                Some("cold") => Some(Only::Cold),
                Some("streams") => Some(Only::Streams),
                Some("soak") => Some(Only::Soak),
                Some("cluster") => Some(Only::Cluster),
                _ => anyhow::bail!(
                    "--only takes overview, sends, polls, reads, search, cold, streams, soak or cluster"
                ),
            };
            params.custom = true;
        }
        let pinned = pin_self(LOAD_CORE)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(run(params, pinned))
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("benchmark failed: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Sizes and durations of one run.
#[derive(Debug, Clone)]
struct Params {
    quick: bool,
    /// Sizes or durations changed on the command line: not for BENCHMARKS.md.
    custom: bool,
    warmup: Duration,
    duration: Duration,
    /// Messages seeded in the history room.
    history: i64,
    /// Members of the live room (the 16 senders, and the pollers' accounts).
    users: usize,
    /// Numbers of SSE clients.
    fanout: Vec<usize>,
    /// Messages sent to each set of SSE clients.
    rounds: usize,
    /// Cold starts measured (median reported).
    cold_runs: usize,
    concurrency: Vec<usize>,
    senders: usize,
    /// Downloads that stop reading, for (g).
    stalled: usize,
    /// The soak (l).
    soak: soak::SoakPlan,
    /// Run one step alone.
    only: Option<Only>,
}

/// The steps that can run alone (`--only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    /// (i) the administrator's overview.
    Overview,
    /// (b) durable sends with `synchronous=FULL`.
    Sends,
    /// (a) polls with nothing new, beside the ceiling.
    Polls,
    /// (d) the room page and `api/history/`, beside the ceiling at
    /// concurrency 1 and 16.
    Reads,
    /// (j) search.
    Search,
    /// The cold paths of (f): the first page after a restart, backups.
    Cold,
    /// (c) and (e): the crowds of event streams (`--fanout N,N` to choose).
    Streams,
    /// (l) the soak.
    Soak,
    /// (k) two nodes on PostgreSQL.
    Cluster,
}

impl Params {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                quick,
                custom: false,
                warmup: Duration::from_millis(100),
                duration: Duration::from_millis(400),
                history: 20_000,
                users: 16,
                fanout: vec![200],
                rounds: 2,
                cold_runs: 3,
                concurrency: vec![1, 16, 64],
                senders: 16,
                stalled: 10,
                soak: soak::SoakPlan::new(true),
                only: None,
            }
        } else {
            Self {
                quick,
                custom: false,
                warmup: Duration::from_secs(2),
                duration: Duration::from_secs(10),
                history: 1_000_000,
                users: 16,
                fanout: vec![1_000, 10_000, 100_000],
                rounds: 5,
                cold_runs: 9,
                concurrency: vec![1, 16, 64],
                senders: 16,
                stalled: 50,
                soak: soak::SoakPlan::new(false),
                only: None,
            }
        }
    }
}

/// Everything one run measured.
#[derive(Debug, Default)]
struct Results {
    seed_time: Duration,
    ceiling_idle_rss_kib: u64,
    ceiling_poll: Vec<(usize, Sample)>,
    ceiling_fanout: Vec<FanoutResult>,
    ceiling_cold: Vec<Duration>,
    first_start: Duration,
    started_rss_kib: u64,
    idle_rss_kib: u64,
    /// The server's idle RSS as (anonymous, file-backed).
    idle_rss_split_kib: (u64, u64),
    ceiling_idle_rss_split_kib: (u64, u64),
    poll: Vec<(usize, Sample)>,
    page: Vec<(usize, Sample)>,
    /// The room page's size, and the ceiling sending as many fixed bytes.
    page_bytes: usize,
    ceiling_page: Vec<(usize, Sample)>,
    history: Vec<(usize, Sample)>,
    index: Vec<(usize, Sample)>,
    rooms_api: Vec<(usize, Sample)>,
    overview: Vec<(usize, Sample)>,
    overview_spread: Vec<(usize, Sample)>,
    search: search::SearchResult,
    fanout: Vec<FanoutResult>,
    rss_after_load_kib: u64,
    send_full: SendResult,
    send_normal: SendResult,
    stalled: stalled::StalledResult,
    cold: Vec<Duration>,
    cold_paths: cold_paths::ColdPaths,
    cluster: Option<cluster::ClusterResult>,
    /// A crowd of streams bigger than the machine's open-files limit
    /// allows: (wanted, the hard limit); the most it allows was measured.
    fanout_wanted: Option<(usize, usize)>,
    soak: Option<soak::SoakResult>,
}

/// (i) The administrator's overview at concurrency 1 and 16: on the
/// database of (d), then on one of its own with as many messages spread over
/// 50 rooms and 90 days (see `overview::seed_spread`).
async fn overview_step(
    p: &Params,
    r: &mut Results,
    server: &mut process::ServerProc,
    admin: &Auth,
    work: &std::path::Path,
    t: Instant,
) -> Result<()> {
    for c in [1, 16] {
        progress(
            t,
            &format!(
                "(i) administrator's overview, {} messages in one room, concurrency {c}",
                p.history
            ),
        );
        let make = overview_load(server.addr, admin);
        r.overview.push((
            c,
            closed_loop(server.addr, c, p.warmup, p.duration, make, is_overview).await?,
        ));
        server.check_alive()?;
    }
    let dir = work.join("spread");
    progress(
        t,
        &format!(
            "(i) seeding {} messages over {} rooms and 90 days in {}",
            p.history,
            overview::SPREAD_ROOMS,
            dir.display()
        ),
    );
    overview::seed_spread(&dir, p.history).await?;
    let (mut spread, _) = start_server(&dir, &[], "server-spread.log").await?;
    let spread_admin = login(spread.addr, "admin").await?;
    for c in [1, 16] {
        progress(
            t,
            &format!(
                "(i) administrator's overview, {} messages spread out, concurrency {c}",
                p.history
            ),
        );
        let make = overview_load(spread.addr, &spread_admin);
        r.overview_spread.push((
            c,
            closed_loop(spread.addr, c, p.warmup, p.duration, make, is_overview).await?,
        ));
        spread.check_alive()?;
    }
    spread.terminate().await?;
    Ok(())
}

/// (j) Search: each query at concurrency 1 and 16.
async fn search_step(
    p: &Params,
    r: &mut Results,
    server: &mut process::ServerProc,
    auths: &[Auth],
    t: Instant,
) -> Result<()> {
    for (i, (name, query)) in search::QUERIES.iter().enumerate() {
        for c in [1, 16] {
            progress(
                t,
                &format!(
                    "(j) search, {name} ({query}), {} messages, concurrency {c}",
                    p.history
                ),
            );
            let make = search::search_load(server.addr, auths, query);
            let sample = closed_loop(
                server.addr,
                c,
                p.warmup,
                p.duration,
                make,
                search::is_results,
            )
            .await?;
            r.search.queries.push((i, c, sample));
            server.check_alive()?;
        }
    }
    Ok(())
}

/// (c) and (e): each crowd of streams on the ceiling, then on a freshly
/// started server (the sessions live in the database), so that memory
/// freed by earlier steps and reused here does not hide the growth.
/// Answers the last server started.
#[allow(clippy::too_many_arguments)]
async fn fanout_step(
    p: &Params,
    r: &mut Results,
    ceiling: &mut process::ServerProc,
    mut server: process::ServerProc,
    dir: &std::path::Path,
    auths: &[Auth],
    work: &std::path::Path,
    t: Instant,
) -> Result<process::ServerProc> {
    let anyone = Auth {
        cookie: "conversate_session=none".to_owned(),
        csrf: "none".to_owned(),
    };
    for &n in &p.fanout {
        ceiling.terminate().await?;
        *ceiling = start_ceiling(work.join(format!("ceiling-fanout-{n}.log")))
            .await?
            .0;
        progress(t, &format!("ceiling: fan-out to {n} SSE clients"));
        let f = fanout(
            std::slice::from_mut(ceiling),
            std::slice::from_ref(&anyone),
            &anyone,
            n,
            p.rounds,
            Duration::ZERO,
        )
        .await?;
        r.ceiling_fanout.push(f);
        server.terminate().await?;
        server = start_server(dir, &[], &format!("server-fanout-{n}.log"))
            .await?
            .0;
        eprintln!("           server pid {}", server.pid());
        progress(t, &format!("(c) fan-out to {n} SSE clients"));
        r.fanout.push(
            fanout(
                std::slice::from_mut(&mut server),
                auths,
                &auths[0],
                n,
                p.rounds,
                idle_watch(p, n),
            )
            .await?,
        );
    }
    Ok(server)
}

/// How long (c) watches the server's CPU with `n` streams open and idle:
/// a whole heartbeat period and more for the biggest crowds (the first
/// heartbeats come 7.5 to 15 s after each stream opens), a second in a
/// quick run, none for small crowds.
fn idle_watch(p: &Params, n: usize) -> Duration {
    let biggest = p.fanout.iter().copied().max().unwrap_or(0);
    match (p.quick, n) {
        (true, n) if n == biggest => Duration::from_secs(1),
        (false, n) if n >= 10_000 => Duration::from_secs(20),
        _ => Duration::ZERO,
    }
}

fn progress(started: Instant, what: &str) {
    eprintln!("[{:>6.1} s] {what}", started.elapsed().as_secs_f64());
}

async fn run(p: Params, pinned: bool) -> Result<()> {
    let t = Instant::now();
    let machine = Machine::describe(pinned);
    let mut p = p;
    let mut r = Results::default();
    // Each stream is a file on both sides, and neither the server nor this
    // process can go past the hard limit: crowds bigger than it allows are
    // measured at the most it allows, and the report says so.
    let most = usize::try_from(process::fd_hard_limit()?.saturating_sub(1_000))?;
    for n in &mut p.fanout {
        if *n > most {
            r.fanout_wanted = Some((*n, most + 1_000));
            *n = most / 1_000 * 1_000;
        }
    }
    let biggest = p.fanout.iter().copied().max().unwrap_or(0);
    ensure_fd_limit((u64::try_from(biggest)? + 1_000).max(p.soak.files_needed()))?;
    // The data directory lives on disk (the temporary directory), so the
    // durability figures include real fsyncs.
    let work = tempfile::Builder::new()
        .prefix("conversate-bench-")
        .tempdir()
        .context("creating the data directory under the temporary directory")?;
    let dir = work.path().join("data");
    if p.only == Some(Only::Cluster) {
        let users: Vec<String> = (0..p.users).map(|i| format!("user{i:02}")).collect();
        r.cluster = Some(cluster::cluster(&p, work.path(), &users, t).await?);
        let mut o = String::new();
        cluster::section(&mut o, &p, &r);
        println!("{o}");
        return Ok(());
    }

    progress(
        t,
        &format!("seeding {} messages in {}", p.history, dir.display()),
    );
    let seeding = Instant::now();
    let seeded = seed(&dir, &p).await?;
    r.seed_time = seeding.elapsed();
    // The soak searches too: alone it must search the index a full run
    // has, not an empty one.
    if matches!(p.only, None | Some(Only::Search | Only::Cold | Only::Soak)) {
        progress(t, "(j) building the search index of every message");
        search::build_index(&dir, &mut r.search).await?;
    }

    // Both servers stay up, idle but for the one being measured, and each
    // ceiling figure is taken right before the matching server figure, so a
    // busy neighbour on the machine weighs on both alike.
    progress(t, "ceiling: minimal axum server");
    let (mut ceiling, _) = start_ceiling(work.path().join("ceiling.log")).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    r.ceiling_idle_rss_kib = ceiling.rss_kib()?;
    let anyone = Auth {
        cookie: "conversate_session=none".to_owned(),
        csrf: "none".to_owned(),
    };

    progress(t, "conversate: starting");
    let (mut server, first_start) = start_server(&dir, &[], "server.log").await?;
    r.first_start = first_start;
    eprintln!("           server pid {}", server.pid());
    tokio::time::sleep(Duration::from_millis(300)).await;
    r.started_rss_kib = server.rss_kib()?;
    let mut auths = Vec::new();
    for user in &seeded.users {
        auths.push(login(server.addr, user).await?);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    r.idle_rss_kib = server.rss_kib()?;
    r.idle_rss_split_kib = server.rss_split_kib()?;
    r.ceiling_idle_rss_split_kib = ceiling.rss_split_kib()?;
    progress(
        t,
        &format!(
            "idle RSS {} KiB ({} anonymous, {} file), just after start {} KiB",
            r.idle_rss_kib, r.idle_rss_split_kib.0, r.idle_rss_split_kib.1, r.started_rss_kib
        ),
    );
    let admin = login(server.addr, "admin").await?;
    match p.only {
        Some(Only::Overview) => {
            overview_step(&p, &mut r, &mut server, &admin, work.path(), t).await?;
            server.terminate().await?;
            ceiling.terminate().await?;
            let mut o = String::new();
            overview::section(&mut o, &p, &r);
            println!("{o}");
            return Ok(());
        }
        Some(Only::Search) => {
            search_step(&p, &mut r, &mut server, &auths, t).await?;
            server.terminate().await?;
            ceiling.terminate().await?;
            let mut o = String::new();
            search::section(&mut o, &p, &r);
            println!("{o}");
            return Ok(());
        }
        Some(Only::Cold) => {
            server.terminate().await?;
            ceiling.terminate().await?;
            progress(t, "(f) the first page after a restart, backups");
            r.cold_paths =
                cold_paths::measure(&dir, work.path(), &auths[0], &seeded, p.cold_runs).await?;
            let mut o = String::new();
            cold_paths::section(&mut o, &p, &r);
            println!("{o}");
            return Ok(());
        }
        Some(Only::Streams) => {
            let mut server = fanout_step(
                &p,
                &mut r,
                &mut ceiling,
                server,
                &dir,
                &auths,
                work.path(),
                t,
            )
            .await?;
            server.terminate().await?;
            ceiling.terminate().await?;
            let mut o = String::new();
            fanout::section(&mut o, &p, &r);
            sse_memory::section(&mut o, &r);
            report::fanout_targets(&mut o, &r);
            println!("{o}");
            return Ok(());
        }
        Some(Only::Soak) => {
            ceiling.terminate().await?;
            let s = soak::soak(&mut server, &auths, &seeded.users, &p.soak, t).await?;
            server.terminate().await?;
            let path = soak::write_svg(&s, false)?;
            r.soak = Some(s);
            let mut o = String::new();
            soak::section(&mut o, &r, &path.display().to_string());
            println!("{o}");
            eprintln!("wrote {} (docs/soak.svg is left alone)", path.display());
            return Ok(());
        }
        Some(Only::Sends) => {
            ceiling.terminate().await?;
            progress(
                t,
                "(b) durable sends, synchronous=FULL (default), then kill -9",
            );
            let newest = newest_in_live(&dir).await?;
            let s = durable_sends(&mut server, &dir, &auths, &p, newest, "full").await?;
            println!(
                "(b) durable sends, 16 senders, synchronous=FULL: {:.0} msg/s, p50 {} ms, p99 {} ms; \
                 {} of {} acknowledged survived kill -9",
                s.rate,
                stats::ms(s.latency.pct_ms(50.0)),
                stats::ms(s.latency.pct_ms(99.0)),
                s.survived,
                s.acknowledged
            );
            return Ok(());
        }
        // (k) ran alone above, before the seeding it does not need.
        Some(Only::Polls | Only::Reads | Only::Cluster) | None => {}
    }

    let concurrency = if p.only == Some(Only::Reads) {
        vec![1, 16]
    } else {
        p.concurrency.clone()
    };
    for &c in &concurrency {
        progress(t, &format!("ceiling: POST at concurrency {c}"));
        let make = poll_load(
            ceiling.addr,
            std::slice::from_ref(&anyone),
            seeded.live_last,
        );
        let s = closed_loop(ceiling.addr, c, p.warmup, p.duration, make, is_success).await?;
        r.ceiling_poll.push((c, s));
        progress(t, &format!("(a) poll, nothing new, concurrency {c}"));
        if p.only == Some(Only::Reads) {
            continue;
        }
        let make = poll_load(server.addr, &auths, seeded.live_last);
        r.poll.push((
            c,
            closed_loop(server.addr, c, p.warmup, p.duration, make, is_success).await?,
        ));
        server.check_alive()?;
    }
    if p.only == Some(Only::Polls) {
        server.terminate().await?;
        ceiling.terminate().await?;
        for ((c, s), (_, ceil)) in r.poll.iter().zip(&r.ceiling_poll) {
            println!(
                "(a) poll, nothing new, concurrency {c}: {:.0} req/s ({:.0}% of the ceiling's {:.0}), p99 {} ms",
                s.rate(),
                100.0 * s.rate() / ceil.rate(),
                ceil.rate(),
                stats::ms(s.pct_ms(99.0)),
            );
        }
        return Ok(());
    }
    r.page_bytes = history::page_bytes(server.addr, &auths[0]).await?;
    for c in [1, 16] {
        progress(
            t,
            &format!(
                "ceiling: {} bytes from memory, concurrency {c}",
                r.page_bytes
            ),
        );
        let make = history::bytes_load(ceiling.addr, r.page_bytes);
        r.ceiling_page.push((
            c,
            closed_loop(ceiling.addr, c, p.warmup, p.duration, make, |b| {
                !b.is_empty()
            })
            .await?,
        ));
        progress(
            t,
            &format!("(d) room page, {} messages, concurrency {c}", p.history),
        );
        let make = page_load(server.addr, &auths);
        r.page.push((
            c,
            closed_loop(server.addr, c, p.warmup, p.duration, make, is_page).await?,
        ));
        progress(
            t,
            &format!("(d) api/history at random points, concurrency {c}"),
        );
        let make = history_load(server.addr, &auths, &seeded);
        r.history.push((
            c,
            closed_loop(server.addr, c, p.warmup, p.duration, make, is_success).await?,
        ));
        server.check_alive()?;
    }
    if p.only == Some(Only::Reads) {
        server.terminate().await?;
        ceiling.terminate().await?;
        let mut o = String::new();
        history::section(&mut o, &p, &r);
        println!("{o}");
        return Ok(());
    }
    for c in [1, 16] {
        progress(
            t,
            &format!("(h) index page, {} rooms, concurrency {c}", EXTRA_ROOMS + 2),
        );
        let make = catch_up::get_load(server.addr, &auths, "/");
        r.index.push((
            c,
            closed_loop(server.addr, c, p.warmup, p.duration, make, is_page).await?,
        ));
        progress(t, &format!("(h) GET /api/rooms/, concurrency {c}"));
        let make = catch_up::get_load(server.addr, &auths, "/api/rooms/");
        r.rooms_api.push((
            c,
            closed_loop(server.addr, c, p.warmup, p.duration, make, is_success).await?,
        ));
        server.check_alive()?;
    }
    overview_step(&p, &mut r, &mut server, &admin, work.path(), t).await?;
    search_step(&p, &mut r, &mut server, &auths, t).await?;
    r.rss_after_load_kib = server.rss_kib()?;
    progress(t, &format!("(g) {} downloads that stop reading", p.stalled));
    let (mut fresh, _) = start_server(&dir, &[], "server-stalled.log").await?;
    r.stalled = stalled::stalled_downloads(&fresh, &auths[0], p.stalled).await?;
    fresh.terminate().await?;
    server = fanout_step(
        &p,
        &mut r,
        &mut ceiling,
        server,
        &dir,
        &auths,
        work.path(),
        t,
    )
    .await?;
    ceiling.terminate().await?;

    progress(
        t,
        "(b) durable sends, synchronous=FULL (default), then kill -9",
    );
    let newest = newest_in_live(&dir).await?;
    r.send_full = durable_sends(&mut server, &dir, &auths, &p, newest, "full").await?;
    progress(
        t,
        "(b) durable sends, CONVERSATE_SQLITE_SYNCHRONOUS=NORMAL, then kill -9",
    );
    let (mut server, _) = start_server(
        &dir,
        &[("CONVERSATE_SQLITE_SYNCHRONOUS", "NORMAL")],
        "server-normal.log",
    )
    .await?;
    r.send_normal = durable_sends(
        &mut server,
        &dir,
        &auths,
        &p,
        newest_in_live(&dir).await?,
        "normal",
    )
    .await?;
    drop(server);

    progress(t, "(f) cold starts, ceiling and conversate in turn");
    (r.ceiling_cold, r.cold) = startup::cold_starts(&dir, work.path(), p.cold_runs).await?;
    progress(t, "(f) the first page after a restart, backups");
    r.cold_paths = cold_paths::measure(&dir, work.path(), &auths[0], &seeded, p.cold_runs).await?;
    r.cluster = Some(cluster::cluster(&p, work.path(), &seeded.users, t).await?);
    let (mut server, _) = start_server(&dir, &[], "server-soak.log").await?;
    r.soak = Some(soak::soak(&mut server, &auths, &seeded.users, &p.soak, t).await?);
    server.terminate().await?;
    progress(t, "done");

    for (name, s) in [("FULL", &r.send_full), ("NORMAL", &r.send_normal)] {
        ensure!(
            s.survived == s.acknowledged,
            "durability: with synchronous={name}, {} of {} acknowledged messages were missing after kill -9",
            s.acknowledged - s.survived,
            s.acknowledged
        );
    }
    report::publish(&p, &machine, &seeded, &r)
}
