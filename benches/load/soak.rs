//! (l) Soak: every kind of request at once for a long time (30 minutes in
//! a full run) at half of what the server can do with that mix, open loop,
//! watching for memory that grows, errors, and latency that drifts.
//!
//! First each kind's capacity is measured briefly, closed loop, with the
//! soak's event streams already open (so a send's capacity includes its
//! fan-out). Running every kind at half its own capacity at once would ask
//! the one server core for several times what it has, so each kind gets a
//! share of the server ([`SHARES`]) and runs at its capacity times its share
//! times one factor, which short trials of the whole mix set so that the
//! server uses half its core. Then all run together, open loop
//! (`soak/drive.rs`, the requests in `soak/load.rs`), while the server's
//! RSS and CPU are read every few seconds (`soak/readings.rs`); the figures
//! are kept per period (`soak/record.rs`), the streams check that every
//! acknowledged message reached them (`soak/streams.rs`, their bodies
//! decoded by `soak/chunked.rs`), `soak/verdicts.rs` judges the run,
//! `soak/section.rs` writes it up and `soak/plot.rs` draws it.

mod chunked;
mod drive;
mod load;
mod plot;
mod readings;
mod record;
mod section;
mod streams;
mod verdicts;

pub use self::section::{length, secs, section, targets};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::sync::watch;

use self::drive::{Op, capacity, open_loop};
use self::readings::{CpuReading, clock_ticks, cpu_seconds, watch_server};
use self::record::{Kind, PerKind, Recorder, Summary, lock};
use self::streams::{Deliveries, StreamPlan, StreamShared, deliveries};
use crate::http::{Auth, Conn, json_number, post_request};
use crate::process::ServerProc;
use crate::{LIVE_ROOM, progress};

/// Of the server at capacity, each kind's share: polls and sends most, as
/// in a chat; searches and uploads less; logins little, since a session
/// lasts weeks and each login costs an argon2 hash. The rest is left to
/// the streams. The concurrency is that of the capacity's closed loop.
const SHARES: [(Kind, f64, usize); 5] = [
    (Kind::Poll, 0.30, 16),
    (Kind::Send, 0.30, 16),
    (Kind::Upload, 0.10, 16),
    (Kind::Search, 0.15, 16),
    (Kind::Login, 0.05, 4),
];
/// The share of its core the server is to use during the soak.
const LOAD: f64 = 0.5;
/// Trials of the whole mix that find the rates giving [`LOAD`].
const TRIALS: usize = 2;
/// The most the RSS may grow after the first sixth of the run.
const RSS_GROWTH_LIMIT: f64 = 0.05;
/// The most the last third's p99 may be over the second sixth's.
const P99_RATIO_LIMIT: f64 = 2.0;
/// The room the polls ask (the live room has the soak's messages).
const POLL_ROOM: &str = "room01";
/// Where a run that does not write BENCHMARKS.md leaves the picture.
const SCRATCH_SVG: &str = "conversate-soak.svg";
/// The picture a full run writes, beside BENCHMARKS.md.
pub const SVG: &str = "docs/soak.svg";

/// Sizes of the soak.
#[derive(Debug, Clone)]
pub struct SoakPlan {
    pub duration: Duration,
    pub streams: usize,
    pub reconnecting: usize,
    /// Each kind's capacity: warm-up, then the measured window.
    pub probe: (Duration, Duration),
    /// Each trial of the whole mix.
    pub trial: Duration,
    /// Rates given on the command line (`--soak-rates`), by kind: no
    /// capacities or trials, so two builds can meet one offered load.
    pub rates: Option<Vec<(Kind, f64)>>,
}

impl SoakPlan {
    pub fn new(quick: bool) -> Self {
        if quick {
            Self {
                duration: Duration::from_secs(4),
                streams: 20,
                reconnecting: 4,
                probe: (Duration::from_millis(100), Duration::from_millis(400)),
                trial: Duration::from_millis(500),
                rates: None,
            }
        } else {
            Self {
                duration: Duration::from_secs(30 * 60),
                streams: 200,
                reconnecting: 20,
                probe: (Duration::from_secs(1), Duration::from_secs(4)),
                trial: Duration::from_secs(5),
                rates: None,
            }
        }
    }

    /// Open files the soak may need: its streams, a connection for each
    /// operation in flight, and some to spare.
    pub fn files_needed(&self) -> u64 {
        let kinds = SHARES.len() as u64;
        (self.streams + self.reconnecting) as u64 + kinds * drive::MAX_IN_FLIGHT as u64 + 1_000
    }

    /// Reads `--soak-rates poll=R,send=R,upload=R,search=R,login=R`
    /// (operations a second; every kind of [`SHARES`] once).
    ///
    /// # Errors
    /// When a kind is missing, repeated or unknown, or a rate is not a
    /// number above 0.
    pub fn parse_rates(text: &str) -> Result<Vec<(Kind, f64)>> {
        let mut rates = Vec::new();
        for part in text.split(',') {
            let (name, rate) = part
                .split_once('=')
                .with_context(|| format!("--soak-rates: {part:?} is not kind=rate"))?;
            let kind = SHARES
                .iter()
                .map(|(kind, _, _)| *kind)
                .find(|kind| kind.name() == name)
                .with_context(|| format!("--soak-rates: no kind {name:?}"))?;
            let rate: f64 = rate
                .parse()
                .ok()
                .filter(|r: &f64| *r > 0.0 && r.is_finite())
                .with_context(|| format!("--soak-rates: {rate:?} is not a rate above 0"))?;
            anyhow::ensure!(
                !rates.iter().any(|(k, _)| *k == kind),
                "--soak-rates: {name} is given twice"
            );
            rates.push((kind, rate));
        }
        anyhow::ensure!(
            rates.len() == SHARES.len(),
            "--soak-rates needs a rate for each of poll, send, upload, search and login"
        );
        Ok(rates)
    }

    /// A minute, or a sixth of a shorter run.
    fn period(&self) -> Duration {
        Duration::from_secs(60).min(self.duration / 6)
    }

    /// Every second in a run of three minutes or more: a period's median
    /// then has 60 readings.
    /// The readings of one minute spread by 2-4 MiB (requests in flight,
    /// pages jemalloc has yet to return), so the median of six, read every
    /// 10 s, moved by a megabyte from one period to the next with no
    /// growth, and the memory verdict reads such medians.
    fn rss_every(&self) -> Duration {
        (self.duration / 180).clamp(Duration::from_millis(500), Duration::from_secs(1))
    }

    fn reconnect_every(&self) -> Duration {
        Duration::from_secs(15).min(self.duration / 5)
    }
}

/// One kind's capacity and the rate it ran at.
#[derive(Debug, Clone)]
pub struct KindRate {
    pub kind: Kind,
    /// Operations per second, closed loop at `concurrency`.
    pub capacity: f64,
    pub concurrency: usize,
    pub share: f64,
    pub rate: f64,
}

/// What the soak measured.
#[derive(Debug, Default)]
pub struct SoakResult {
    pub duration: Duration,
    pub period: Duration,
    pub rss_every: Duration,
    pub streams: usize,
    pub reconnecting: usize,
    pub reconnect_every: Duration,
    /// The capacity's closed loop: warm-up and window per kind.
    pub probe: (Duration, Duration),
    pub trial: Duration,
    /// Each trial: the factor it ran at and the share of its core the
    /// server used.
    pub trials: Vec<(f64, f64)>,
    /// The factor the soak ran at: rate = capacity × share × factor.
    pub factor: f64,
    pub rates: Vec<KindRate>,
    /// Per period, per kind (in the order of [`KINDS`]).
    pub periods: Vec<PerKind<Summary>>,
    /// The server's RSS, KiB, by time into the run.
    pub rss: Vec<(Duration, u64)>,
    /// CPU time the server, the load generator and the server's core had
    /// used, read with the RSS.
    pub cpu: Vec<CpuReading>,
    /// Messages acknowledged during the run (sends and uploads).
    pub acknowledged: usize,
    /// (stream, message) pairs that never arrived.
    pub missed: u64,
    /// How late the generator started a request, at worst.
    pub lag_max: Duration,
    pub first_errors: Vec<String>,
}

/// The rates `--soak-rates` gave, in the order of [`SHARES`].
fn given_rates(given: &[(Kind, f64)]) -> Vec<KindRate> {
    SHARES
        .iter()
        .map(|&(kind, share, concurrency)| KindRate {
            kind,
            capacity: 0.0,
            concurrency,
            share,
            rate: given
                .iter()
                .find(|(k, _)| *k == kind)
                .map_or(0.0, |(_, rate)| *rate),
        })
        .collect()
}

/// Each kind's capacity, then the factor that trials of the whole mix find
/// for [`LOAD`]; answers the rates, the trials and the factor.
async fn calibrate(
    ops: &[(Kind, Op)],
    plan: &SoakPlan,
    server: &mut ServerProc,
    t: Instant,
) -> Result<(Vec<KindRate>, Vec<(f64, f64)>, f64)> {
    let probe = plan.probe;
    let mut rates = Vec::new();
    for ((kind, op), (_, share, concurrency)) in ops.iter().zip(SHARES) {
        progress(
            t,
            &format!(
                "(l) capacity of {}, closed loop at concurrency {concurrency}",
                kind.name()
            ),
        );
        let capacity = capacity(op, concurrency, probe.0, probe.1)
            .await
            .with_context(|| format!("measuring the capacity of {}", kind.name()))?;
        server.check_alive()?;
        rates.push(KindRate {
            kind: *kind,
            capacity,
            concurrency,
            share,
            rate: 0.0,
        });
    }
    // The capacities overstate what a kind costs at a lower rate (closed
    // loop, sixteen sends share their commits), so the common factor comes
    // from trials of the whole mix, each scaled by the CPU the last used.
    let tick = clock_ticks();
    let mut factor = LOAD;
    let mut trials = Vec::with_capacity(TRIALS);
    for _ in 0..TRIALS {
        for r in &mut rates {
            r.rate = factor * r.share * r.capacity;
        }
        progress(
            t,
            &format!(
                "(l) trial of the mix for {} s at {factor:.3} × capacity × share",
                secs(plan.trial)
            ),
        );
        let used = trial(ops, &rates, plan.trial, server, tick).await?;
        trials.push((factor, used));
        factor = (factor * LOAD / used.max(0.01)).clamp(0.001, 1.0);
    }
    for r in &mut rates {
        r.rate = factor * r.share * r.capacity;
    }
    Ok((rates, trials, factor))
}

/// Runs the soak against `server`, whose members `auths` (of `users`) are
/// logged in.
pub async fn soak(
    server: &mut ServerProc,
    auths: &[Auth],
    users: &[String],
    plan: &SoakPlan,
    t: Instant,
) -> Result<SoakResult> {
    let addr = server.addr;
    let origin = Instant::now();
    let period = plan.period();
    // Rounded: a sixth of a short run times six may fall a nanosecond short.
    let periods = (plan.duration.as_secs_f64() / period.as_secs_f64())
        .round()
        .max(1.0) as usize;
    let recorder = Arc::new(Mutex::new(Recorder::new(origin, period, periods)));
    let delivered = Arc::new(Mutex::new(Deliveries::default()));
    let (window_tx, window_rx) = watch::channel(None);
    let stream_plan = StreamPlan {
        long: plan.streams,
        reconnecting: plan.reconnecting,
        every: plan.reconnect_every(),
    };
    // Streams resume after a message sent now, so none can miss one sent
    // later; polls ask with their room's newest cursor.
    let cursor = cursor_after_send(addr, &auths[0]).await?;
    let poll_last = cursor_of_room(addr, &auths[0], POLL_ROOM).await?;
    progress(
        t,
        &format!(
            "(l) opening {} event streams, {} of them reconnecting every {} s",
            plan.streams + plan.reconnecting,
            plan.reconnecting,
            secs(stream_plan.every)
        ),
    );
    let shared = StreamShared {
        addr,
        origin,
        recorder: recorder.clone(),
        deliveries: delivered.clone(),
        window: window_rx,
    };
    let stream_tasks = streams::open(&stream_plan, auths, cursor, &shared).await?;
    drop(shared);

    let ops: Vec<(Kind, Op)> = vec![
        (
            Kind::Poll,
            load::poll(load::Pool::new(addr), auths, POLL_ROOM, poll_last),
        ),
        (
            Kind::Send,
            load::send(load::Pool::new(addr), auths, origin, delivered.clone()),
        ),
        (
            Kind::Upload,
            load::upload(load::Pool::new(addr), auths, origin, delivered.clone()),
        ),
        (Kind::Search, load::search(load::Pool::new(addr), auths)),
        (Kind::Login, load::login_op(addr, users)),
    ];
    let (rates, trials, factor) = match &plan.rates {
        Some(given) => (given_rates(given), Vec::new(), 0.0),
        None => calibrate(&ops, plan, server, t).await?,
    };
    let summary: Vec<String> = rates
        .iter()
        .map(|r| format!("{} {:.1}/s", r.kind.name(), r.rate))
        .collect();
    progress(
        t,
        &format!(
            "(l) soak for {:.0} s, open loop: {}; server pid {}",
            plan.duration.as_secs_f64(),
            summary.join(", "),
            server.pid()
        ),
    );

    let epoch = Instant::now() + Duration::from_millis(100);
    let end = epoch + plan.duration;
    lock(&recorder).start_at(epoch);
    deliveries(&delivered).count_from(epoch);
    let _ = window_tx.send(Some((epoch, end)));
    let drivers: Vec<_> = ops
        .into_iter()
        .zip(&rates)
        .map(|((kind, op), r)| {
            tokio::spawn(open_loop(op, kind, r.rate, epoch, end, recorder.clone()))
        })
        .collect();
    let watched = watch_server(server, &recorder, plan, epoch, end, t).await;
    let (rss, cpu) = match watched {
        Ok(readings) => readings,
        Err(e) => {
            for d in &drivers {
                d.abort();
            }
            for s in &stream_tasks {
                s.abort();
            }
            return Err(e);
        }
    };
    for d in drivers {
        d.await?;
    }
    // The last messages' way to every stream.
    let settle_by = Instant::now() + Duration::from_secs(5);
    while !deliveries(&delivered).complete(plan.streams, plan.reconnecting)
        && Instant::now() < settle_by
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for s in &stream_tasks {
        s.abort();
    }
    for s in stream_tasks {
        let _ = s.await;
    }
    server.check_alive()?;
    let mut r = lock(&recorder);
    let d = deliveries(&delivered);
    let missed = d.record_misses(plan.streams, plan.reconnecting, &mut r);
    r.finish();
    Ok(SoakResult {
        duration: plan.duration,
        period,
        rss_every: plan.rss_every(),
        streams: plan.streams,
        reconnecting: plan.reconnecting,
        reconnect_every: stream_plan.every,
        probe: plan.probe,
        trial: plan.trial,
        trials,
        factor,
        rates,
        periods: r.summaries().to_vec(),
        rss,
        cpu,
        acknowledged: d.acknowledged_count(),
        missed,
        lag_max: r.lag_max,
        first_errors: r.first_errors.clone(),
    })
}

/// Runs the whole mix at `rates` for `length`, open loop; answers the share
/// of its core the server used meanwhile.
async fn trial(
    ops: &[(Kind, Op)],
    rates: &[KindRate],
    length: Duration,
    server: &mut ServerProc,
    tick: f64,
) -> Result<f64> {
    let recorder = Arc::new(Mutex::new(Recorder::new(Instant::now(), length, 1)));
    let start = Instant::now() + Duration::from_millis(50);
    let end = start + length;
    let drivers: Vec<_> = ops
        .iter()
        .zip(rates)
        .map(|((kind, op), r)| {
            tokio::spawn(open_loop(
                op.clone(),
                *kind,
                r.rate,
                start,
                end,
                recorder.clone(),
            ))
        })
        .collect();
    let pid = server.pid().to_string();
    tokio::time::sleep_until(start.into()).await;
    let before = cpu_seconds(&pid, tick)?;
    tokio::time::sleep_until(end.into()).await;
    let used = (cpu_seconds(&pid, tick)? - before) / length.as_secs_f64();
    for d in drivers {
        d.await?;
    }
    server.check_alive()?;
    // What the trial left behind (a backlog, streams catching up) settles.
    tokio::time::sleep(Duration::from_millis(500)).await;
    Ok(used)
}

/// Sends one message to the live room; answers the cursor after it.
async fn cursor_after_send(addr: std::net::SocketAddr, auth: &Auth) -> Result<i64> {
    let body =
        serde_urlencoded::to_string([("content", "The soak begins."), ("hasFocus", "true")])?;
    let path = format!("/{LIVE_ROOM}/api/send/");
    answered_last(addr, &post_request(addr, &path, auth, &body)).await
}

/// The newest cursor of `room` (a poll from the start: the room has fewer
/// messages than a poll answers).
async fn cursor_of_room(addr: std::net::SocketAddr, auth: &Auth, room: &str) -> Result<i64> {
    let path = format!("/{room}/api/poll/");
    answered_last(
        addr,
        &post_request(addr, &path, auth, "last=0&hasFocus=true"),
    )
    .await
}

async fn answered_last(addr: std::net::SocketAddr, request: &[u8]) -> Result<i64> {
    let mut conn = Conn::connect(addr).await?;
    let status = conn.exchange(request).await?;
    anyhow::ensure!(status == 200, "answer {status}: {}", conn.body_text());
    json_number(&conn.body, "last").context("the answer has no `last`")
}

/// Writes the picture: beside BENCHMARKS.md for a full run, else into the
/// temporary directory; answers where.
pub fn write_svg(s: &SoakResult, full: bool) -> Result<PathBuf> {
    let path = if full {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SVG)
    } else {
        std::env::temp_dir().join(SCRATCH_SVG)
    };
    std::fs::write(&path, plot::svg(s)).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}
