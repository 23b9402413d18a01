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
//! (`soak/drive.rs`), while the
//! server's RSS is read every few seconds; the figures are kept per period
//! (`soak/record.rs`), the streams check that every acknowledged message
//! reached them (`soak/streams.rs`), and `soak/plot.rs` draws the run.

mod drive;
mod load;
mod plot;
mod record;
mod streams;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::sync::watch;

use self::drive::{OP_TIMEOUT, Op, capacity, open_loop};
use self::record::{KINDS, Kind, PerKind, Recorder, Summary, lock};
use self::streams::{Deliveries, StreamPlan, StreamShared, deliveries};
use crate::http::{Auth, Conn, json_number, post_request};
use crate::process::ServerProc;
use crate::stats::{mib, ms};
use crate::{LIVE_ROOM, Results, progress};

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
}

impl SoakPlan {
    pub fn new(quick: bool) -> Self {
        if quick {
            Self {
                duration: Duration::from_secs(10),
                streams: 20,
                reconnecting: 4,
                probe: (Duration::from_millis(100), Duration::from_millis(400)),
                trial: Duration::from_secs(1),
            }
        } else {
            Self {
                duration: Duration::from_secs(30 * 60),
                streams: 200,
                reconnecting: 20,
                probe: (Duration::from_secs(1), Duration::from_secs(4)),
                trial: Duration::from_secs(5),
            }
        }
    }

    /// Open files the soak may need: its streams, a connection for each
    /// operation in flight, and some to spare.
    pub fn files_needed(&self) -> u64 {
        let kinds = SHARES.len() as u64;
        (self.streams + self.reconnecting) as u64 + kinds * drive::MAX_IN_FLIGHT as u64 + 1_000
    }

    /// A minute, or a sixth of a shorter run.
    fn period(&self) -> Duration {
        Duration::from_secs(60).min(self.duration / 6)
    }

    fn rss_every(&self) -> Duration {
        (self.duration / 180).clamp(Duration::from_millis(500), Duration::from_secs(10))
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
    /// CPU time (seconds) the server and the load generator had used, read
    /// with the RSS.
    pub cpu: Vec<(Duration, f64, f64)>,
    /// Messages acknowledged during the run (sends and uploads).
    pub acknowledged: usize,
    /// (stream, message) pairs that never arrived.
    pub missed: u64,
    /// How late the generator started a request, at worst.
    pub lag_max: Duration,
    pub first_errors: Vec<String>,
}

impl SoakResult {
    /// The end of the first sixth (minute 5 of 30): memory has settled.
    pub fn settle(&self) -> Duration {
        self.period * self.reference_window().0
    }

    /// The median of the RSS readings in period `i` (none: no reading).
    /// A median, because a login holds argon2's 19 MiB for the moment it
    /// hashes, and a reading that falls on one says nothing about growth.
    pub fn rss_median_kib(&self, i: u32) -> Option<u64> {
        let (from, to) = (self.period * i, self.period * (i + 1));
        let mut v: Vec<u64> = self
            .rss
            .iter()
            .filter(|(at, _)| *at > from && *at <= to)
            .map(|(_, k)| *k)
            .collect();
        v.sort_unstable();
        v.get(v.len() / 2).copied()
    }

    /// The RSS when memory has settled: the median of the period that ends
    /// at the settling point.
    pub fn rss_settled_kib(&self) -> u64 {
        let settle = self.reference_window().0;
        self.rss_median_kib(settle.saturating_sub(1)).unwrap_or(0)
    }

    /// The highest period median after the settling point.
    pub fn rss_max_after_kib(&self) -> u64 {
        let settle = self.reference_window().0.max(1);
        (settle..to_u32(self.periods.len()))
            .filter_map(|i| self.rss_median_kib(i))
            .max()
            .unwrap_or(0)
    }

    /// The highest period median after settling, over the one at settling.
    pub fn rss_growth(&self) -> f64 {
        self.rss_max_after_kib() as f64 / self.rss_settled_kib().max(1) as f64 - 1.0
    }

    /// Periods of the reference window: the second sixth (minutes 5–10).
    pub fn reference_window(&self) -> (u32, u32) {
        let n = self.periods.len();
        let a = n / 6;
        (to_u32(a), to_u32((2 * n / 6).max(a + 1)))
    }

    /// Periods compared with the reference: the last third (minutes 20–30).
    pub fn final_window(&self) -> (u32, u32) {
        let n = self.periods.len();
        (to_u32(2 * n / 3), to_u32(n))
    }

    /// The median of a kind's per-period p99s over `window`.
    fn p99_over(&self, kind: usize, (from, to): (u32, u32)) -> f64 {
        let mut v: Vec<f64> = self.periods[from as usize..to as usize]
            .iter()
            .map(|p| p[kind].p99_ms)
            .filter(|v| v.is_finite())
            .collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    }

    /// Per kind: the reference p99, the last third's, their ratio.
    pub fn p99_drift(&self, kind: usize) -> (f64, f64, f64) {
        let reference = self.p99_over(kind, self.reference_window());
        let last = self.p99_over(kind, self.final_window());
        (reference, last, last / reference)
    }

    /// The kind whose p99 drifted most, and by how much (NaN: no kind had
    /// answers in both windows).
    pub fn worst_drift(&self) -> (Kind, f64) {
        KINDS
            .iter()
            .enumerate()
            .map(|(k, kind)| (*kind, self.p99_drift(k).2))
            .filter(|(_, r)| r.is_finite())
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((Kind::Poll, f64::NAN))
    }

    pub fn errors(&self) -> u64 {
        self.periods.iter().flatten().map(|s| s.errors).sum()
    }

    fn total(&self, kind: usize) -> (u64, u64) {
        self.periods
            .iter()
            .fold((0, 0), |(c, e), p| (c + p[kind].count, e + p[kind].errors))
    }

    /// The share of a core the server (`0`) or the load generator (`1`)
    /// used between `from` and `to` into the run.
    pub fn cpu_share(&self, which: usize, from: Duration, to: Duration) -> f64 {
        let at = |t: Duration| {
            self.cpu
                .iter()
                .rev()
                .find(|c| c.0 <= t)
                .or(self.cpu.first())
        };
        match (at(from), at(to)) {
            (Some(a), Some(b)) if b.0 > a.0 => {
                let used = if which == 0 { b.1 - a.1 } else { b.2 - a.2 };
                used / (b.0 - a.0).as_secs_f64()
            }
            _ => f64::NAN,
        }
    }

    /// A kind's slowest answer in the whole run, ms.
    fn slowest(&self, kind: usize) -> f64 {
        self.periods
            .iter()
            .map(|p| p[kind].max_ms)
            .filter(|v| v.is_finite())
            .fold(f64::NAN, f64::max)
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
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
        let used = trial(&ops, &rates, plan.trial, server, tick).await?;
        trials.push((factor, used));
        factor = (factor * LOAD / used.max(0.01)).clamp(0.001, 1.0);
    }
    for r in &mut rates {
        r.rate = factor * r.share * r.capacity;
    }
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
        probe,
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

/// Reads the server's RSS and both processes' CPU time every `rss_every`
/// until `end`, sums up each period once no answer can still count in it,
/// and says how it goes.
async fn watch_server(
    server: &mut ServerProc,
    recorder: &Arc<Mutex<Recorder>>,
    plan: &SoakPlan,
    epoch: Instant,
    end: Instant,
    t: Instant,
) -> Result<Readings> {
    let tick = clock_ticks();
    let mut rss = Vec::new();
    let mut cpu = Vec::new();
    let mut at = epoch;
    let mut told = 0;
    loop {
        tokio::time::sleep_until(at.into()).await;
        server.check_alive()?;
        rss.push((at - epoch, server.rss_kib()?));
        cpu.push((
            at - epoch,
            cpu_seconds(&server.pid().to_string(), tick)?,
            cpu_seconds("self", tick)?,
        ));
        let mut r = lock(recorder);
        if let Some(settled) = Instant::now().checked_sub(OP_TIMEOUT + Duration::from_secs(5)) {
            r.summarise_until(settled);
        }
        while told < r.summaries().len() {
            let p = &r.summaries()[told];
            let figures: Vec<String> = KINDS
                .iter()
                .enumerate()
                .map(|(k, kind)| format!("{} {}", kind.name(), ms_or_dash(p[k].p99_ms)))
                .collect();
            let errors: u64 = p.iter().map(|s| s.errors).sum();
            progress(
                t,
                &format!(
                    "(l) period {} p99 ms: {}; errors {errors}; RSS {}",
                    told + 1,
                    figures.join(", "),
                    mib(rss.last().map_or(0, |(_, k)| *k))
                ),
            );
            told += 1;
        }
        drop(r);
        if at >= end {
            return Ok((rss, cpu));
        }
        at = (at + plan.rss_every()).min(end);
    }
}

/// RSS readings, and CPU readings (server, generator), by time.
type Readings = (Vec<(Duration, u64)>, Vec<(Duration, f64, f64)>);

/// Clock ticks a second, the unit of `/proc/PID/stat`'s CPU times.
fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// User and system CPU seconds process `pid` (or `self`) has used.
fn cpu_seconds(pid: &str, tick: f64) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("process {pid} is gone"))?;
    // Fields after the command name (which may hold spaces, in brackets):
    // state is the first, utime the twelfth, stime the thirteenth.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> Result<f64> {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .context("an unreadable /proc/PID/stat")
    };
    Ok((ticks(11)? + ticks(12)?) / tick)
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

/// Milliseconds, or a dash for a period without answers.
fn ms_or_dash(v: f64) -> String {
    if v.is_finite() {
        ms(v)
    } else {
        "–".to_owned()
    }
}

/// Seconds, with a decimal only when it has one.
pub fn secs(d: Duration) -> String {
    let s = format!("{:.1}", d.as_secs_f64());
    s.strip_suffix(".0")
        .map_or_else(|| s.clone(), str::to_owned)
}

/// A run's length in words: `30 minutes`, `10 seconds`.
pub fn length(d: Duration) -> String {
    if d >= Duration::from_secs(60) {
        format!("{} minutes", secs(d / 60))
    } else {
        format!("{} seconds", secs(d))
    }
}

/// `m:ss` into the run.
fn clock(d: Duration) -> String {
    let secs = d.as_secs_f64().round() as u64;
    format!("{}:{:02}", secs / 60, secs % 60)
}

/// What each kind is, for the section's table.
fn request(kind: Kind) -> String {
    match kind {
        Kind::Stream => format!("a message's arrival on `GET /{LIVE_ROOM}/api/events/`"),
        Kind::Reconnect => "`GET …/api/events/` again, with `Last-Event-ID`".to_owned(),
        Kind::Poll => format!("`POST /{POLL_ROOM}/api/poll/`, nothing new"),
        Kind::Send => format!("`POST /{LIVE_ROOM}/api/send/`"),
        Kind::Upload => format!(
            "`POST /{LIVE_ROOM}/api/send/` with a {} KiB file",
            load::UPLOAD_BYTES / 1024
        ),
        Kind::Search => "`GET /api/search/?q=…`".to_owned(),
        Kind::Login => "form login: form, post, index".to_owned(),
    }
}

/// The report's section (l); `svg` is how the section names the picture.
pub fn section(o: &mut String, r: &Results, svg: &str) {
    let Some(s) = &r.soak else {
        return;
    };
    let (ref_from, ref_to) = s.reference_window();
    let (fin_from, fin_to) = s.final_window();
    let window = |a: u32, b: u32| format!("{}–{}", clock(s.period * a), clock(s.period * b));
    let reference = window(ref_from, ref_to);
    let last = window(fin_from, fin_to);
    let settle = clock(s.settle());
    let _ = writeln!(
        o,
        "## (l) Soak: {} of mixed load at half capacity\n",
        length(s.duration)
    );
    let _ = writeln!(
        o,
        "A fresh server process on the same data directory. First each kind's capacity is \
         measured closed loop ({} s warm-up, then {} s, with the soak's streams already \
         open, so a send's capacity includes its fan-out). Every kind at half its own \
         capacity at once would ask the one server core for several times what it has, so \
         each kind has a share of the server (below) and runs at its capacity × its share × \
         one factor for all, found by {} trials of the whole mix of {} s each so that the \
         server uses {:.0}% of its core: {}; the soak ran at {:.3}. (The capacities alone \
         overstate it: closed loop, sixteen concurrent sends share their commits, which sends \
         arriving one by one do not.) Then every kind runs \
         at once, **open loop**: each kind's requests start at a fixed rate whatever the \
         answers do (a busy connection is never waited for: another is opened), so a slow \
         moment meets the same arrivals instead of thinning them. A latency runs from writing \
         the request to reading the whole answer (from when it was due, for a request that \
         found {} of its kind under way and waited for one to end); the load generator \
         started requests at most {} ms late. Over the run the server used {:.0}% of its core \
         and the load generator {:.0}% of its own (`/proc/PID/stat`).\n",
        secs(s.probe.0),
        secs(s.probe.1),
        s.trials.len(),
        secs(s.trial),
        LOAD * 100.0,
        s.trials
            .iter()
            .map(|(f, used)| format!("at {f:.3} it used {:.0}%", used * 100.0))
            .collect::<Vec<_>>()
            .join(", "),
        s.factor,
        drive::MAX_IN_FLIGHT,
        ms(s.lag_max.as_secs_f64() * 1e3),
        100.0 * s.cpu_share(0, Duration::ZERO, s.duration),
        100.0 * s.cpu_share(1, Duration::ZERO, s.duration)
    );
    let _ = writeln!(
        o,
        "{} streams on `GET /{LIVE_ROOM}/api/events/`, spread over the members' sessions, stay \
         open for the whole run and time each message from the moment its send was written \
         (the message says when) to its arrival; {} more close and open again every {} s \
         with `Last-Event-ID`, timed from the request to their first event (in the table, a \
         stream's *done* counts arrivals, one per stream and message). Polls ask room \
         `{POLL_ROOM}` with its newest cursor, so nothing is new and the answer must hold no \
         message; sends are durable lines of text with a unique `client_id`; uploads send a \
         text file through the same address, as the page's file field does (multipart); \
         searches are the four queries of (j) in turn; a login is the whole form login a \
         browser makes on a new connection (the form for its token, the post answered `303`, \
         the index). Logins have a small share because each is an argon2 hash, tens of \
         milliseconds of the core, and a chat sees few (a session lasts weeks); even so, \
         {} logins in this run: enough to show whether logins leave memory behind.\n",
        s.streams,
        s.reconnecting,
        secs(s.reconnect_every),
        s.total(KINDS.iter().position(|k| *k == Kind::Login).unwrap_or(0))
            .0
    );
    let _ = writeln!(
        o,
        "Errors: any answer but `200` (`303` for a login's post), any connection error, no \
         answer within {} s, any stream the server closed, and any message acknowledged \
         during the run that did not reach every stream ({} messages acknowledged, {} \
         deliveries missed). Verdicts: **memory flat**: taking each period's RSS as the \
         median of its readings (a login holds argon2's 19 MiB while it hashes, and a \
         reading that falls on one is not growth), the highest after {settle} (the first \
         sixth of the run) is at most {:.0}% over the period ending at {settle}; **no errors**; \
         **p99 stable**: per kind, the median of the per-period p99s over {last} (the last \
         third) is at most {P99_RATIO_LIMIT:.0}× the median over {reference} (the second \
         sixth).\n",
        OP_TIMEOUT.as_secs(),
        s.acknowledged,
        s.missed,
        RSS_GROWTH_LIMIT * 100.0
    );
    let _ = writeln!(
        o,
        "| kind | request | capacity, closed loop | share | soak rate | done | errors | p99 ms {reference} | p99 ms {last} | ratio | slowest ms |\n\
         |---|---|---|---|---|---|---|---|---|---|---|"
    );
    for (k, kind) in KINDS.iter().enumerate() {
        let (capacity, share, rate) = match s.rates.iter().find(|r| r.kind == *kind) {
            Some(r) => (
                format!("{:.1}/s (concurrency {})", r.capacity, r.concurrency),
                format!("{:.0}%", r.share * 100.0),
                format!("{:.1}/s", r.rate),
            ),
            None if *kind == Kind::Stream => (
                String::new(),
                String::new(),
                format!("{} streams", s.streams),
            ),
            None => (
                String::new(),
                String::new(),
                format!(
                    "{:.1}/s ({} streams)",
                    s.reconnecting as f64 / s.reconnect_every.as_secs_f64(),
                    s.reconnecting
                ),
            ),
        };
        let (done, errors) = s.total(k);
        let (before, after, ratio) = s.p99_drift(k);
        let _ = writeln!(
            o,
            "| {} | {} | {capacity} | {share} | {rate} | {done} | {errors} | {} | {} | {} | {} |",
            kind.name(),
            request(*kind),
            ms_or_dash(before),
            ms_or_dash(after),
            if ratio.is_finite() {
                format!("{ratio:.2}")
            } else {
                "–".to_owned()
            },
            ms_or_dash(s.slowest(k))
        );
    }
    let _ = writeln!(o);
    let first = s.rss.first().map_or(0, |(_, k)| *k);
    let end = s.rss.last().map_or(0, |(_, k)| *k);
    let _ = writeln!(
        o,
        "| server RSS, read every {} s | first reading | median of the period ending at {settle} | highest period median after {settle} | growth | highest reading | last reading |\n|---|---|---|---|---|---|---|",
        secs(s.rss_every)
    );
    let _ = writeln!(
        o,
        "| | {} | {} | {} | {:+.1}% | {} | {} |\n",
        mib(first),
        mib(s.rss_settled_kib()),
        mib(s.rss_max_after_kib()),
        s.rss_growth() * 100.0,
        mib(s.rss.iter().map(|(_, k)| *k).max().unwrap_or(0)),
        mib(end)
    );
    if !s.first_errors.is_empty() {
        let _ = writeln!(o, "The first errors:\n");
        for e in &s.first_errors {
            let _ = writeln!(o, "- `{}`", e.replace('`', "'").replace('\n', " "));
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(
        o,
        "![The server's RSS over the run, and each kind's p99 per period]({svg})\n\n\
         The picture ([{svg}]({svg})) is drawn by the benchmark. Per period of {} s, each \
         kind's p50 / p99 ms (and how many):\n",
        secs(s.period)
    );
    let names: Vec<&str> = KINDS.iter().map(|k| k.name()).collect();
    let _ = writeln!(
        o,
        "| period | RSS (median) | server CPU | {} | errors |\n|---|---|---|{}---|",
        names.join(" | "),
        "---|".repeat(KINDS.len())
    );
    for (i, p) in s.periods.iter().enumerate() {
        let i = to_u32(i);
        let until = s.period * (i + 1);
        let rss = s.rss_median_kib(i).unwrap_or(0);
        let cells: Vec<String> = p
            .iter()
            .map(|k| {
                if k.count == 0 {
                    "–".to_owned()
                } else {
                    format!("{} / {} ({})", ms(k.p50_ms), ms(k.p99_ms), k.count)
                }
            })
            .collect();
        let errors: u64 = p.iter().map(|k| k.errors).sum();
        let _ = writeln!(
            o,
            "| {} | {} | {:.0}% | {} | {errors} |",
            window(i, i + 1),
            mib(rss),
            100.0 * s.cpu_share(0, s.period * i, until),
            cells.join(" | ")
        );
    }
    let _ = writeln!(o);
}

/// The target rows of (l).
pub fn targets(o: &mut String, r: &Results, verdict: fn(bool) -> &'static str) {
    let Some(s) = &r.soak else {
        return;
    };
    let settle = clock(s.settle());
    let growth = s.rss_growth();
    let _ = writeln!(
        o,
        "| (l) soak at half capacity, {}: RSS growth after {settle} (period medians) | < {:.0}% | {:+.1}% ({} → {}) | | {} |",
        clock(s.duration),
        RSS_GROWTH_LIMIT * 100.0,
        growth * 100.0,
        mib(s.rss_settled_kib()),
        mib(s.rss_max_after_kib()),
        verdict(growth < RSS_GROWTH_LIMIT)
    );
    let _ = writeln!(
        o,
        "| (l) soak: errors (answers, connections, messages a stream missed) | 0 | {} | | {} |",
        s.errors(),
        verdict(s.errors() == 0)
    );
    let (kind, ratio) = s.worst_drift();
    let _ = writeln!(
        o,
        "| (l) soak: p99 of the last third over the second sixth's, worst kind | ≤ {P99_RATIO_LIMIT:.0}× | {} | | {} |",
        if ratio.is_finite() {
            format!("{ratio:.2}× ({})", kind.name())
        } else {
            "–".to_owned()
        },
        verdict(ratio.is_finite() && ratio <= P99_RATIO_LIMIT)
    );
}
