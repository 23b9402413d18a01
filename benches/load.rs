//! Load benchmark of the real server against a practical ceiling.
//!
//! `cargo bench --bench load` starts the `conversate` binary (built with the
//! release settings) on a seeded database, pinned to core 0, and a minimal
//! axum server (this executable re-invoked, answering a fixed small JSON body)
//! pinned to the same core. The load generator below runs pinned to core 1:
//! keep-alive HTTP/1.1 connections at a fixed concurrency for a fixed time,
//! every latency recorded. It measures polls, durable sends, SSE fan-out,
//! history in a room of 1,000,000 messages, memory and cold start, and writes
//! BENCHMARKS.md. `-- --quick` runs the same steps with small sizes in a few
//! seconds (CI) and leaves BENCHMARKS.md alone.
//!
//! All traffic stays on 127.0.0.1.

use std::collections::HashSet;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// The argument that turns this executable into the ceiling server.
const CEILING_ARG: &str = "__ceiling";
/// Core of the servers (the real one and the ceiling).
const SERVER_CORE: usize = 0;
/// Core of the load generator (this process).
const LOAD_CORE: usize = 1;
/// Password of every seeded account.
const PASSWORD: &str = "benchmark password 42";
/// Room the live tests use, and room holding the long history.
const LIVE_ROOM: &str = "live";
const HISTORY_ROOM: &str = "history";
/// Messages per page (the server's default `PAGE_SIZE`).
const PAGE_SIZE: i64 = 100;

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
}

impl Params {
    fn new(quick: bool) -> Self {
        if quick {
            Self {
                quick,
                custom: false,
                warmup: Duration::from_millis(200),
                duration: Duration::from_millis(800),
                history: 20_000,
                users: 16,
                fanout: vec![50, 200],
                rounds: 2,
                cold_runs: 3,
                concurrency: vec![1, 16, 64],
                senders: 16,
            }
        } else {
            Self {
                quick,
                custom: false,
                warmup: Duration::from_secs(2),
                duration: Duration::from_secs(10),
                history: 1_000_000,
                users: 16,
                fanout: vec![1_000, 10_000],
                rounds: 5,
                cold_runs: 9,
                concurrency: vec![1, 16, 64],
                senders: 16,
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Processes: pinning, spawning, memory.

/// Pins every thread of this process (and so its children) to `core`;
/// false when the machine has a single core.
fn pin_self(core: usize) -> Result<bool> {
    if cores() < 2 {
        eprintln!("warning: one core only; the load generator is not pinned");
        return Ok(false);
    }
    let status = Command::new("taskset")
        .args([
            "-a",
            "-p",
            "-c",
            &core.to_string(),
            &std::process::id().to_string(),
        ])
        .stdout(Stdio::null())
        .status()
        .context("running taskset (util-linux)")?;
    ensure!(status.success(), "taskset could not pin the load generator");
    Ok(true)
}

fn cores() -> usize {
    // The whole machine, not this process's affinity mask.
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|s| s.lines().filter(|l| l.starts_with("processor")).count())
        .unwrap_or(1)
        .max(1)
}

/// A free port on the loopback interface.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Makes sure this process may open `needed` files, raising the soft limit
/// (and, as root, the hard one) with `prlimit` when it is too low. Children
/// started afterwards inherit the limit.
fn ensure_fd_limit(needed: u64) -> Result<()> {
    let limits = std::fs::read_to_string("/proc/self/limits")?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .context("no open-files limit in /proc/self/limits")?;
    let soft: u64 = line
        .split_whitespace()
        .nth(3)
        .and_then(|v| v.parse().ok())
        .unwrap_or(u64::MAX);
    if soft >= needed {
        return Ok(());
    }
    let status = Command::new("prlimit")
        .arg("--pid")
        .arg(std::process::id().to_string())
        .arg(format!("--nofile={needed}:{needed}"))
        .status()
        .context("running prlimit (util-linux)")?;
    ensure!(
        status.success(),
        "the open-files limit is {soft} and cannot be raised to {needed}; raise `ulimit -n`"
    );
    Ok(())
}

/// A server process (the real one or the ceiling) on a loopback port.
struct ServerProc {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
    name: &'static str,
}

impl ServerProc {
    /// Starts `program args` pinned to the server core, stdout discarded,
    /// stderr to `log`.
    fn spawn(
        name: &'static str,
        program: &Path,
        args: &[OsString],
        env: &[(&str, &str)],
        port: u16,
        log: PathBuf,
    ) -> Result<Self> {
        let mut command = if cores() >= 2 {
            let mut c = Command::new("taskset");
            c.arg("-c").arg(SERVER_CORE.to_string()).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(args);
        // The product's defaults, whatever the caller's shell says.
        for (key, _) in std::env::vars() {
            if key.starts_with("CONVERSATE_") || key == "RUST_LOG" {
                command.env_remove(key);
            }
        }
        command.envs(env.iter().copied());
        let stderr = std::fs::File::create(&log)?;
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .with_context(|| format!("starting {}", program.display()))?;
        Ok(Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
            name,
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Polls `GET /health` every millisecond until it answers 200; returns
    /// the time since `since`.
    async fn wait_healthy(&mut self, since: Instant, timeout: Duration) -> Result<Duration> {
        let request = get_request(self.addr, "/health", None);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited at start ({status}){}",
                    self.name,
                    self.log_tail()
                );
            }
            if let Ok(mut conn) = Conn::connect(self.addr).await
                && let Ok(200) = conn.exchange(&request).await
            {
                return Ok(since.elapsed());
            }
            if since.elapsed() > timeout {
                bail!(
                    "{} did not answer /health within {timeout:?}{}",
                    self.name,
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Resident memory, KiB.
    fn rss_kib(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .with_context(|| format!("{} is gone", self.name))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS in /proc/PID/status")
    }

    /// Fails with the server's last log lines if it has died.
    fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            bail!("{} died ({status}){}", self.name, self.log_tail());
        }
        Ok(())
    }

    /// `kill -9`.
    fn kill9(&mut self) -> Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// SIGTERM, then wait for a graceful exit.
    async fn terminate(&mut self) -> Result<()> {
        // Without a `kill` command (procps), fall back to SIGKILL.
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !sent {
            return self.kill9();
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill9()?;
                bail!("{} did not stop within 15 s of SIGTERM", self.name);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(15)..].join("\n");
        if tail.is_empty() {
            String::new()
        } else {
            format!("; its log ends:\n{tail}")
        }
    }
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the real server on `dir` and waits until it answers.
async fn start_server(
    dir: &Path,
    env: &[(&str, &str)],
    log_name: &str,
) -> Result<(ServerProc, Duration)> {
    let port = free_port()?;
    let args: Vec<OsString> = vec![
        "--data-dir".into(),
        dir.into(),
        "serve".into(),
        "--bind".into(),
        format!("127.0.0.1:{port}").into(),
    ];
    // The load comes from a few members on one address: lift the abuse
    // throttles (they are measured by the tests, not here).
    let mut env: Vec<(&str, &str)> = env.to_vec();
    env.extend([
        ("CONVERSATE_SENDS_PER_MINUTE", "1000000"),
        ("CONVERSATE_STREAMS_PER_USER", "1000000"),
        ("CONVERSATE_LOGIN_ATTEMPTS_PER_MINUTE", "1000000"),
        ("CONVERSATE_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "1000000"),
    ]);
    let started = Instant::now();
    let mut server = ServerProc::spawn(
        "conversate",
        &server_binary()?,
        &args,
        &env,
        port,
        dir.parent().unwrap_or(dir).join(log_name),
    )?;
    let ready = server
        .wait_healthy(started, Duration::from_secs(60))
        .await?;
    Ok((server, ready))
}

/// Starts the ceiling server and waits until it answers.
async fn start_ceiling(log: PathBuf) -> Result<(ServerProc, Duration)> {
    let port = free_port()?;
    let args: Vec<OsString> = vec![CEILING_ARG.into(), format!("127.0.0.1:{port}").into()];
    let started = Instant::now();
    let mut server =
        ServerProc::spawn("ceiling", &std::env::current_exe()?, &args, &[], port, log)?;
    let ready = server
        .wait_healthy(started, Duration::from_secs(30))
        .await?;
    Ok((server, ready))
}

/// The server binary cargo built for this benchmark (release settings).
fn server_binary() -> Result<PathBuf> {
    let path = PathBuf::from(env!("CARGO_BIN_EXE_conversate"));
    ensure!(
        path.exists(),
        "{} is missing: run `cargo bench --bench load`",
        path.display()
    );
    Ok(path)
}

// ---------------------------------------------------------------------------
// A minimal HTTP/1.1 client: keep-alive, one request at a time.

/// Who a request is from: the session cookie and its CSRF token.
#[derive(Debug, Clone)]
struct Auth {
    cookie: String,
    csrf: String,
}

fn get_request(addr: SocketAddr, path: &str, auth: Option<&Auth>) -> Vec<u8> {
    let mut r = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n");
    if let Some(a) = auth {
        let _ = write!(r, "Cookie: {}\r\n", a.cookie);
    }
    r.push_str("\r\n");
    r.into_bytes()
}

fn post_request(addr: SocketAddr, path: &str, auth: &Auth, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\nX-CSRFToken: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        auth.cookie,
        auth.csrf,
        body.len()
    )
    .into_bytes()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One keep-alive connection.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    filled: usize,
    /// The body of the last response.
    body: Vec<u8>,
}

impl Conn {
    async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: vec![0; 16 * 1024],
            filled: 0,
            body: Vec::new(),
        })
    }

    /// Sends a request and reads the whole response; returns its status.
    async fn exchange(&mut self, request: &[u8]) -> Result<u16> {
        self.stream.write_all(request).await?;
        self.read_response().await
    }

    async fn read_response(&mut self) -> Result<u16> {
        let header_end = loop {
            if let Some(i) = find(&self.buf[..self.filled], b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..header_end])?;
        let status: u16 = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line in {head:?}"))?;
        let mut length = None;
        let mut chunked = false;
        for line in head.split("\r\n").skip(1) {
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = Some(value.trim().parse::<usize>()?);
                } else if name.eq_ignore_ascii_case("transfer-encoding")
                    && value.to_ascii_lowercase().contains("chunked")
                {
                    chunked = true;
                }
            }
        }
        self.consume(header_end);
        self.body.clear();
        if let Some(n) = length {
            while self.filled < n {
                self.fill().await?;
            }
            self.body.extend_from_slice(&self.buf[..n]);
            self.consume(n);
        } else if chunked {
            loop {
                let line_end = loop {
                    if let Some(i) = find(&self.buf[..self.filled], b"\r\n") {
                        break i;
                    }
                    self.fill().await?;
                };
                let size_text = std::str::from_utf8(&self.buf[..line_end])?;
                let size = usize::from_str_radix(
                    size_text.split(';').next().unwrap_or_default().trim(),
                    16,
                )?;
                self.consume(line_end + 2);
                while self.filled < size + 2 {
                    self.fill().await?;
                }
                self.body.extend_from_slice(&self.buf[..size]);
                self.consume(size + 2);
                if size == 0 {
                    break;
                }
            }
        } else if !(status == 204 || status == 304 || (100..200).contains(&status)) {
            bail!("a response with neither Content-Length nor chunked encoding");
        }
        Ok(status)
    }

    fn consume(&mut self, n: usize) {
        self.buf.copy_within(n..self.filled, 0);
        self.filled -= n;
    }

    async fn fill(&mut self) -> Result<()> {
        if self.filled == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = self.stream.read(&mut self.buf[self.filled..]).await?;
        ensure!(n > 0, "the server closed the connection");
        self.filled += n;
        Ok(())
    }

    fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body[..self.body.len().min(300)]).into_owned()
    }
}

// ---------------------------------------------------------------------------
// Closed-loop load: fixed concurrency, fixed duration, every latency kept.

/// Latencies of one measurement, nanoseconds, sorted.
#[derive(Debug, Clone, Default)]
struct Sample {
    latencies: Vec<u64>,
    elapsed: Duration,
}

impl Sample {
    fn new(mut latencies: Vec<u64>, elapsed: Duration) -> Self {
        latencies.sort_unstable();
        Self { latencies, elapsed }
    }

    fn count(&self) -> usize {
        self.latencies.len()
    }

    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Percentile `p` (0–100), milliseconds.
    fn pct_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        let i = rank.clamp(1, self.latencies.len()) - 1;
        self.latencies[i] as f64 / 1e6
    }

    fn max_ms(&self) -> f64 {
        self.latencies.last().map_or(f64::NAN, |v| *v as f64 / 1e6)
    }
}

/// Builds request `seq` of worker `worker` into the buffer.
type MakeRequest = Arc<dyn Fn(usize, u64, &mut Vec<u8>) + Send + Sync>;
/// Checks a 200 response's body.
type CheckBody = fn(&[u8]) -> bool;

/// Runs `concurrency` connections, each sending its next request as soon as
/// the previous one is answered, for warm-up plus `duration`; keeps the
/// latencies of requests started after the warm-up.
async fn closed_loop(
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

fn is_success(body: &[u8]) -> bool {
    find(body, b"\"success\":true").is_some()
}

fn is_page(body: &[u8]) -> bool {
    find(body, b"csrfmiddlewaretoken").is_some()
}

/// A small deterministic random number generator (xorshift64*).
fn mix(mut x: u64) -> u64 {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

// ---------------------------------------------------------------------------
// Seeding and logging in.

/// What the seeded database holds.
#[derive(Debug, Clone)]
struct Seeded {
    users: Vec<String>,
    /// Newest message of the live room.
    live_last: i64,
    /// Oldest and newest message of the history room.
    history_first: i64,
    history_last: i64,
}

/// Creates the accounts and rooms through the library, then writes the
/// history straight into the SQLite file in one transaction.
async fn seed(dir: &Path, p: &Params) -> Result<Seeded> {
    use conversate::service::accounts;
    let app = conversate::App::open(conversate::Config::with_data_dir(dir)).await?;
    let store = app.store();
    accounts::create_user(store, "admin", None, PASSWORD, true).await?;
    let mut users = Vec::new();
    accounts::create_room(store, LIVE_ROOM, "Live").await?;
    accounts::create_room(store, HISTORY_ROOM, "History").await?;
    for i in 0..p.users {
        let name = format!("user{i:02}");
        accounts::create_user(
            store,
            &name,
            Some(&format!("{name}@example.org")),
            PASSWORD,
            false,
        )
        .await?;
        accounts::add_member(store, LIVE_ROOM, &name, None).await?;
        accounts::add_member(store, HISTORY_ROOM, &name, None).await?;
        users.push(name);
    }
    store.close().await;
    drop(app);

    use sqlx::Row;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    let options = SqliteConnectOptions::new()
        .filename(dir.join("conversate.db"))
        .journal_mode(SqliteJournalMode::Wal);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let mut tx = pool.begin().await?;
    let first_user: i64 = sqlx::query(
        "SELECT MIN(id), MAX(id) - MIN(id) + 1, COUNT(*) FROM users WHERE NOT is_admin",
    )
    .fetch_one(&mut *tx)
    .await
    .and_then(|r| {
        let (min, span, count): (i64, i64, i64) = (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
        Ok(if span == count { min } else { -1 })
    })?;
    ensure!(first_user > 0, "seeded user ids are not contiguous");
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_secs(),
    )?;
    // A short live room first, then the long history.
    let mut ranges = Vec::new();
    for (slug, count) in [(LIVE_ROOM, 200_i64), (HISTORY_ROOM, p.history)] {
        let room_id: i64 = sqlx::query("SELECT id FROM rooms WHERE slug = $1")
            .bind(slug)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        sqlx::query(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < $1) \
             INSERT INTO messages (room_id, seq, user_id, created_at, content, html) \
             SELECT $2, x, $3 + (x % $4), $5 - $1 + x, \
                    'Message ' || x || ' of the history: an ordinary line of chat, *seeded*.', \
                    '<p>Message ' || x || ' of the history: an ordinary line of chat, <em>seeded</em>.</p>' || char(10) \
             FROM n",
        )
        .bind(count)
        .bind(room_id)
        .bind(first_user)
        .bind(i64::try_from(p.users)?)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE rooms SET last_seq = $1 WHERE id = $2")
            .bind(count)
            .bind(room_id)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query("SELECT MIN(id), MAX(id) FROM messages WHERE room_id = $1")
            .bind(room_id)
            .fetch_one(&mut *tx)
            .await?;
        ranges.push((row.try_get::<i64, _>(0)?, row.try_get::<i64, _>(1)?));
    }
    tx.commit().await?;
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(Seeded {
        users,
        live_last: ranges[0].1,
        history_first: ranges[1].0,
        history_last: ranges[1].1,
    })
}

/// Logs in as a browser would: the login form for a session and token,
/// the form post, then the index for the rotated token.
async fn login(addr: SocketAddr, username: &str) -> Result<Auth> {
    let base = format!("http://{addr}/");
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let form = client
        .get(format!("{base}login/"))
        .send()
        .await?
        .text()
        .await?;
    let token = csrf_in(&form).context("the login form has no CSRF token")?;
    let answer = client
        .post(format!("{base}login/"))
        .form(&[
            ("csrfmiddlewaretoken", token.as_str()),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await?;
    ensure!(
        answer.status() == reqwest::StatusCode::SEE_OTHER,
        "login of {username} answered {}",
        answer.status()
    );
    let index = client.get(&base).send().await?.text().await?;
    let csrf = csrf_in(&index).context("the index has no CSRF token")?;
    use reqwest::cookie::CookieStore;
    let cookie = jar
        .cookies(&base.parse()?)
        .and_then(|v| v.to_str().ok().map(str::to_owned))
        .context("no session cookie after login")?;
    Ok(Auth { cookie, csrf })
}

fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrfmiddlewaretoken\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

// ---------------------------------------------------------------------------
// Scenarios.

fn poll_load(addr: SocketAddr, auths: &[Auth], last: i64) -> MakeRequest {
    let path = format!("/{LIVE_ROOM}/api/poll/");
    let body = format!("last={last}&hasFocus=true");
    let requests: Vec<Vec<u8>> = auths
        .iter()
        .map(|a| post_request(addr, &path, a, &body))
        .collect();
    Arc::new(move |worker, _, out| out.extend_from_slice(&requests[worker % requests.len()]))
}

fn page_load(addr: SocketAddr, auths: &[Auth]) -> MakeRequest {
    let path = format!("/{HISTORY_ROOM}/");
    let requests: Vec<Vec<u8>> = auths
        .iter()
        .map(|a| get_request(addr, &path, Some(a)))
        .collect();
    Arc::new(move |worker, _, out| out.extend_from_slice(&requests[worker % requests.len()]))
}

fn history_load(addr: SocketAddr, auths: &[Auth], seeded: &Seeded) -> MakeRequest {
    let path = format!("/{HISTORY_ROOM}/api/history/");
    let auths = auths.to_vec();
    let low = seeded.history_first + PAGE_SIZE;
    let span = u64::try_from((seeded.history_last - low).max(1)).unwrap_or(1);
    Arc::new(move |worker, seq, out| {
        let r = mix(((worker as u64 + 1) << 32) | (seq + 1));
        let first = low + i64::try_from(r % span).unwrap_or(0);
        let body = format!("first={first}");
        out.extend_from_slice(&post_request(
            addr,
            &path,
            &auths[worker % auths.len()],
            &body,
        ));
    })
}

/// Result of a durable-send run.
#[derive(Debug, Clone, Default)]
struct SendResult {
    /// Latencies of the sends started in the measured window.
    latency: Sample,
    /// Acknowledgements per second in the measured window.
    rate: f64,
    /// Every acknowledged send, warm-up included.
    acknowledged: usize,
    /// Acknowledged messages found after `kill -9` (must equal `acknowledged`).
    survived: usize,
    /// Messages stored whose answer was cut by the kill.
    unacknowledged_stored: usize,
}

/// `senders` members send as fast as their answers come back; at the end of
/// the window the server is killed with SIGKILL while sends are in flight,
/// and every acknowledged message is looked up in the database.
async fn durable_sends(
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

/// The `"name":<integer>` value in a JSON body.
fn json_number(body: &[u8], name: &str) -> Option<i64> {
    let key = format!("\"{name}\":");
    let at = find(body, key.as_bytes())? + key.len();
    let digits: String = body[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .map(|b| char::from(*b))
        .collect();
    digits.parse().ok()
}

/// The benchmark's own connection to the server's database file.
async fn open_db(dir: &Path) -> Result<sqlx::SqlitePool> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    Ok(SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            SqliteConnectOptions::new()
                .filename(dir.join("conversate.db"))
                .journal_mode(SqliteJournalMode::Wal),
        )
        .await?)
}

/// The id of the newest message in the live room: where senders start, so
/// that each answer carries only what others sent meanwhile (starting from
/// an older id, every sender would first catch up 200 messages a send).
async fn newest_in_live(dir: &Path) -> Result<i64> {
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

/// What a fan-out run saw.
#[derive(Debug, Clone, Default)]
struct FanoutResult {
    clients: usize,
    /// Time to open every stream (each has had its first event).
    connect: Duration,
    rss_before_kib: u64,
    rss_connected_kib: u64,
    rss_peak_kib: u64,
    /// Per client and message: from the send request to the event's arrival.
    delivery: Sample,
    /// Per message: how long the send request took to be answered.
    ack: Sample,
}

impl FanoutResult {
    fn kib_per_client(&self) -> f64 {
        (self.rss_connected_kib as f64 - self.rss_before_kib as f64) / self.clients as f64
    }
}

/// Opens `n` event streams to the live room, then sends `rounds` messages
/// one after the other and times each stream's arrival of each.
async fn fanout(
    server: &mut ServerProc,
    auths: &[Auth],
    sender: &Auth,
    n: usize,
    rounds: usize,
) -> Result<FanoutResult> {
    let addr = server.addr;
    let requests: Vec<Arc<[u8]>> = auths
        .iter()
        .map(|a| {
            Arc::from(
                format!(
                    "GET /{LIVE_ROOM}/api/events/ HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\n\
                     Accept: text/event-stream\r\n\r\n",
                    a.cookie
                )
                .into_bytes(),
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before_kib = server.rss_kib()?;
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<Result<()>>();
    let (arrive_tx, mut arrive_rx) = mpsc::unbounded_channel::<(usize, Instant)>();
    // Connections are opened 200 at a time, as a crowd arriving would.
    let gate = Arc::new(tokio::sync::Semaphore::new(200));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for client in 0..n {
        let request = requests[client % requests.len()].clone();
        let ready = ready_tx.clone();
        let arrive = arrive_tx.clone();
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await;
            let opened = open_stream(addr, &request).await;
            drop(permit);
            match opened {
                Ok((stream, rest)) => {
                    let _ = ready.send(Ok(()));
                    watch_stream(client, stream, rest, &arrive).await;
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            }
        }));
    }
    drop(ready_tx);
    drop(arrive_tx);
    let result = async {
        for opened in 0..n {
            match tokio::time::timeout(Duration::from_secs(180), ready_rx.recv()).await {
                Ok(Some(Ok(()))) => {}
                Ok(Some(Err(e))) => bail!("stream {opened} of {n} could not open: {e:#}"),
                Ok(None) => bail!("the stream tasks ended"),
                Err(_) => bail!("only {opened} of {n} streams opened within 180 s"),
            }
        }
        let connect = started.elapsed();
        tokio::time::sleep(Duration::from_secs(1)).await;
        server.check_alive()?;
        let rss_connected_kib = server.rss_kib()?;
        let mut rss_peak_kib = rss_connected_kib;
        let mut sender_conn = Conn::connect(addr).await?;
        let path = format!("/{LIVE_ROOM}/api/send/");
        let mut delivery = Vec::with_capacity(n * rounds);
        let mut acks = Vec::with_capacity(rounds);
        for round in 0..rounds {
            while arrive_rx.try_recv().is_ok() {}
            let body = serde_urlencoded::to_string([
                (
                    "content",
                    format!("Fan-out message {round} to {n} streams").as_str(),
                ),
                ("hasFocus", "true"),
            ])?;
            let request = post_request(addr, &path, sender, &body);
            let mut seen = vec![false; n];
            let mut got = 0;
            let sent = Instant::now();
            let status = sender_conn.exchange(&request).await?;
            acks.push(u64::try_from(sent.elapsed().as_nanos()).unwrap_or(u64::MAX));
            if status != 200 || !is_success(&sender_conn.body) {
                bail!("send answered {status}: {}", sender_conn.body_text());
            }
            let deadline = sent + Duration::from_secs(60);
            while got < n {
                match tokio::time::timeout_at(deadline.into(), arrive_rx.recv()).await {
                    Ok(Some((client, at))) => {
                        if !seen[client] {
                            seen[client] = true;
                            got += 1;
                            delivery
                                .push(u64::try_from((at - sent).as_nanos()).unwrap_or(u64::MAX));
                        }
                    }
                    Ok(None) => bail!("every stream ended"),
                    Err(_) => bail!("only {got} of {n} streams got message {round} within 60 s"),
                }
            }
            rss_peak_kib = rss_peak_kib.max(server.rss_kib()?);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        Ok::<_, anyhow::Error>(FanoutResult {
            clients: n,
            connect,
            rss_before_kib,
            rss_connected_kib,
            rss_peak_kib,
            delivery: Sample::new(delivery, Duration::ZERO),
            ack: Sample::new(acks, Duration::ZERO),
        })
    }
    .await;
    for t in &tasks {
        t.abort();
    }
    for t in tasks {
        let _ = t.await;
    }
    // Let the server notice the closed streams before anything else runs.
    tokio::time::sleep(Duration::from_secs(1)).await;
    result
}

/// Opens an event stream: sends the request and reads up to the end of the
/// first event. Returns the socket and whatever was read past that.
async fn open_stream(addr: SocketAddr, request: &[u8]) -> Result<(TcpStream, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    stream.write_all(request).await?;
    let mut buf = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    loop {
        let n = stream.read(&mut chunk).await?;
        ensure!(n > 0, "the server closed the stream before its first event");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(head_end) = find(&buf, b"\r\n\r\n") {
            ensure!(
                buf.starts_with(b"HTTP/1.1 200"),
                "the stream answered {}",
                String::from_utf8_lossy(&buf[..head_end.min(200)])
            );
            if let Some(event_end) = find(&buf[head_end + 4..], b"\n\n") {
                let rest = buf[head_end + 4 + event_end + 2..].to_vec();
                return Ok((stream, rest));
            }
        }
    }
}

/// Reads a stream until it closes, reporting each `message` event.
async fn watch_stream(
    client: usize,
    mut stream: TcpStream,
    rest: Vec<u8>,
    arrive: &mpsc::UnboundedSender<(usize, Instant)>,
) {
    const EVENT: &[u8] = b"event: message";
    let mut window = rest;
    let mut chunk = [0u8; 2048];
    loop {
        let mut from = 0;
        while let Some(i) = find(&window[from..], EVENT) {
            if arrive.send((client, Instant::now())).is_err() {
                return;
            }
            from += i + EVENT.len();
        }
        // Keep a tail shorter than the marker, so a marker split across
        // reads is still found, and none is found twice.
        let keep = (window.len() - from).min(EVENT.len() - 1);
        window.drain(..window.len() - keep);
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => window.extend_from_slice(&chunk[..n]),
        }
    }
}

// ---------------------------------------------------------------------------
// The ceiling: a minimal axum server on the same core.

mod ceiling {
    use std::convert::Infallible;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use anyhow::{Context, Result};
    use axum::Router;
    use axum::extract::State;
    use axum::http::header;
    use axum::response::IntoResponse;
    use axum::response::sse::{Event, Sse};
    use axum::routing::{get, post};
    use futures_util::{Stream, StreamExt};
    use tokio::sync::broadcast;

    struct Hub {
        tx: broadcast::Sender<Arc<str>>,
        next: AtomicU64,
    }

    pub fn main(args: &[String]) -> Result<()> {
        let bind: SocketAddr = args.first().context("no address to bind")?.parse()?;
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(serve(bind))
    }

    async fn serve(bind: SocketAddr) -> Result<()> {
        let hub = Arc::new(Hub {
            tx: broadcast::channel(256).0,
            next: AtomicU64::new(1),
        });
        let app = Router::new()
            .route("/health", get(|| async { "ok" }))
            .route("/{slug}/api/events/", get(events))
            .route("/{slug}/api/send/", post(send))
            .fallback(ok)
            .with_state(hub);
        let listener = tokio::net::TcpListener::bind(bind).await?;
        axum::serve(listener, app).await?;
        Ok(())
    }

    /// The fixed small JSON body.
    async fn ok() -> impl IntoResponse {
        (
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"success":true}"#,
        )
    }

    async fn send(State(hub): State<Arc<Hub>>) -> impl IntoResponse {
        let pk = hub.next.fetch_add(1, Ordering::Relaxed);
        let message: Arc<str> = Arc::from(format!(
            r#"{{"pk":{pk},"time":0,"user":"ceiling","content":"<p>Fan-out message</p>\n"}}"#
        ));
        let _ = hub.tx.send(message);
        ok().await
    }

    async fn events(
        State(hub): State<Arc<Hub>>,
    ) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
        let rx = hub.tx.subscribe();
        let first = futures_util::stream::once(async {
            Ok::<_, Infallible>(Event::default().event("users").data("[]"))
        });
        let rest = futures_util::stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(m) => return Some((Ok(Event::default().event("message").data(&*m)), rx)),
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        Sse::new(first.chain(rest))
    }
}

// ---------------------------------------------------------------------------
// The run.

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
    poll: Vec<(usize, Sample)>,
    page: Vec<(usize, Sample)>,
    history: Vec<(usize, Sample)>,
    fanout: Vec<FanoutResult>,
    rss_after_load_kib: u64,
    send_full: SendResult,
    send_normal: SendResult,
    cold: Vec<Duration>,
}

fn progress(started: Instant, what: &str) {
    eprintln!("[{:>6.1} s] {what}", started.elapsed().as_secs_f64());
}

async fn run(p: Params, pinned: bool) -> Result<()> {
    let t = Instant::now();
    let machine = Machine::describe(pinned);
    let biggest = p.fanout.iter().copied().max().unwrap_or(0);
    ensure_fd_limit(u64::try_from(biggest)? + 1_000)?;
    // The data directory lives on disk (the temporary directory), so the
    // durability figures include real fsyncs.
    let work = tempfile::Builder::new()
        .prefix("conversate-bench-")
        .tempdir()
        .context("creating the data directory under the temporary directory")?;
    let dir = work.path().join("data");
    let mut r = Results::default();

    progress(
        t,
        &format!("seeding {} messages in {}", p.history, dir.display()),
    );
    let seeding = Instant::now();
    let seeded = seed(&dir, &p).await?;
    r.seed_time = seeding.elapsed();

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

    for &c in &p.concurrency {
        progress(t, &format!("ceiling: POST at concurrency {c}"));
        let make = poll_load(
            ceiling.addr,
            std::slice::from_ref(&anyone),
            seeded.live_last,
        );
        let s = closed_loop(ceiling.addr, c, p.warmup, p.duration, make, is_success).await?;
        r.ceiling_poll.push((c, s));
        progress(t, &format!("(a) poll, nothing new, concurrency {c}"));
        let make = poll_load(server.addr, &auths, seeded.live_last);
        r.poll.push((
            c,
            closed_loop(server.addr, c, p.warmup, p.duration, make, is_success).await?,
        ));
        server.check_alive()?;
    }
    for c in [1, 16] {
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
    r.rss_after_load_kib = server.rss_kib()?;
    for &n in &p.fanout {
        // Fresh processes (the sessions live in the database), so that memory
        // freed by earlier steps and reused here does not hide the growth.
        ceiling.terminate().await?;
        ceiling = start_ceiling(work.path().join(format!("ceiling-fanout-{n}.log")))
            .await?
            .0;
        progress(t, &format!("ceiling: fan-out to {n} SSE clients"));
        let f = fanout(
            &mut ceiling,
            std::slice::from_ref(&anyone),
            &anyone,
            n,
            p.rounds,
        )
        .await?;
        r.ceiling_fanout.push(f);
        server.terminate().await?;
        server = start_server(&dir, &[], &format!("server-fanout-{n}.log"))
            .await?
            .0;
        eprintln!("           server pid {}", server.pid());
        progress(t, &format!("(c) fan-out to {n} SSE clients"));
        r.fanout
            .push(fanout(&mut server, &auths, &auths[0], n, p.rounds).await?);
    }
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
    // The first start after the kill recovers the WAL; it is not counted.
    let (mut server, _) = start_server(&dir, &[], "server-recover.log").await?;
    server.terminate().await?;
    for i in 0..p.cold_runs {
        let (mut c, ready) = start_ceiling(work.path().join(format!("ceiling-{i}.log"))).await?;
        r.ceiling_cold.push(ready);
        c.terminate().await?;
        let (mut server, ready) = start_server(&dir, &[], &format!("server-cold-{i}.log")).await?;
        r.cold.push(ready);
        server.terminate().await?;
    }
    progress(t, "done");

    for (name, s) in [("FULL", &r.send_full), ("NORMAL", &r.send_normal)] {
        ensure!(
            s.survived == s.acknowledged,
            "durability: with synchronous={name}, {} of {} acknowledged messages were missing after kill -9",
            s.acknowledged - s.survived,
            s.acknowledged
        );
    }
    let report = report(&p, &machine, &seeded, &r);
    println!("{report}");
    if p.quick || p.custom {
        let path = std::env::temp_dir().join("conversate-benchmarks-quick.md");
        std::fs::write(&path, &report)?;
        eprintln!("wrote {} (BENCHMARKS.md is left alone)", path.display());
    } else {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("BENCHMARKS.md");
        // Keep the hand-written findings of an earlier run.
        let findings = std::fs::read_to_string(&path)
            .ok()
            .and_then(|old| old.find("\n## Findings").map(|i| old[i..].to_owned()))
            .unwrap_or_default();
        std::fs::write(&path, format!("{report}{findings}"))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The machine and the report.

#[derive(Debug)]
struct Machine {
    cores: usize,
    cpu: String,
    memory: String,
    kernel: String,
    rustc: String,
    date: String,
    load: String,
    disk: String,
    pinned: bool,
}

impl Machine {
    fn describe(pinned: bool) -> Self {
        let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
        let output = |cmd: &str, args: &[&str]| {
            Command::new(cmd)
                .args(args)
                .output()
                .ok()
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
                .unwrap_or_default()
        };
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            .unwrap_or_default();
        let memory = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map(|kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
            .unwrap_or_default();
        let temp = std::env::temp_dir();
        let disk = read("/proc/mounts")
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() > 2 && temp.starts_with(f[1])).then(|| {
                    (
                        f[1].len(),
                        format!("{} ({}, {})", temp.display(), f[2], f[0]),
                    )
                })
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, d)| d)
            .unwrap_or_default();
        Self {
            cores: cores(),
            cpu,
            memory,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            rustc: output("rustc", &["--version"]),
            date: output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
            load: read("/proc/loadavg")
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
            disk,
            pinned,
        }
    }
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.1}")
    }
}

fn median(values: &[Duration]) -> Duration {
    let mut v = values.to_vec();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn thousands(n: i64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn report(p: &Params, m: &Machine, seeded: &Seeded, r: &Results) -> String {
    let mut o = String::new();
    let command = if p.quick {
        "cargo bench --bench load -- --quick"
    } else {
        "cargo bench --bench load"
    };
    let history = thousands(p.history);
    let _ = writeln!(o, "# Benchmarks\n");
    if p.quick || p.custom {
        let _ = writeln!(
            o,
            "**Quick run** (small sizes, short windows: a smoke test, not figures to quote).\n"
        );
    }
    let _ = writeln!(
        o,
        "Measured on {} with `{command}` (run from the repository root; it builds the \
         server with the release settings and writes this file; `-- --quick` is the \
         few-second version CI runs, which leaves this file alone).\n",
        m.date
    );
    let _ = writeln!(o, "## Machine\n");
    let _ = writeln!(o, "| | |\n|---|---|");
    let _ = writeln!(o, "| cores (`nproc`) | {} |", m.cores);
    let _ = writeln!(o, "| CPU | {} |", m.cpu);
    let _ = writeln!(o, "| memory | {} |", m.memory);
    let _ = writeln!(o, "| kernel | {} |", m.kernel);
    let _ = writeln!(o, "| compiler | {} |", m.rustc);
    let _ = writeln!(o, "| data directory | {} |", m.disk);
    let _ = writeln!(o, "| load average at start | {} |", m.load);
    let _ = writeln!(
        o,
        "| pinning | {} |\n",
        if m.pinned {
            "server and ceiling on core 0 (`taskset -c 0`), load generator on core 1"
        } else {
            "none (one core)"
        }
    );

    let _ = writeln!(o, "## Method\n");
    let _ = writeln!(
        o,
        "- **Server**: the real `conversate serve` binary (release settings), default \
         configuration (SQLite, WAL, `synchronous=FULL`), on a fresh data directory seeded \
         before it starts: {} members in room `{LIVE_ROOM}` (200 messages) and room \
         `{HISTORY_ROOM}` holding {history} messages (written straight into the SQLite file \
         in one transaction, message ids {}–{}).",
        p.users, seeded.history_first, seeded.history_last
    );
    let _ = writeln!(
        o,
        "- **Ceiling**: a minimal axum server (the benchmark executable re-invoked) answering \
         every POST with the fixed body `{{\"success\":true}}`, with an SSE endpoint fed by one \
         `tokio::sync::broadcast` channel; same machine, same core, same client, same requests."
    );
    let _ = writeln!(
        o,
        "- **Load generator**: the benchmark's own client on one tokio thread: keep-alive \
         HTTP/1.1 connections, each sending its next request when the previous answer is \
         read (closed loop), {:.1} s warm-up then {:.0} s measured per figure; every latency \
         is kept and percentiles are exact. Requests carry a real session cookie and \
         `X-CSRFToken`; connections are spread over the {} logged-in members.",
        p.warmup.as_secs_f64(),
        p.duration.as_secs_f64(),
        p.users
    );
    let _ = writeln!(
        o,
        "- **Memory** is the server's `VmRSS` from `/proc/PID/status`.\n"
    );

    // Targets.
    let ceiling_at = |c: usize| {
        r.ceiling_poll
            .iter()
            .find(|(k, _)| *k == c)
            .map_or(f64::NAN, |(_, s)| s.rate())
    };
    let at = |v: &[(usize, Sample)], c: usize| {
        v.iter()
            .find(|(k, _)| *k == c)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    };
    let poll64 = at(&r.poll, 64).rate();
    let ceil64 = ceiling_at(64);
    let big = r
        .fanout
        .iter()
        .max_by_key(|f| f.clients)
        .cloned()
        .unwrap_or_default();
    let big_ceiling = r
        .ceiling_fanout
        .iter()
        .max_by_key(|f| f.clients)
        .cloned()
        .unwrap_or_default();
    let page1 = at(&r.page, 1);
    let hist1 = at(&r.history, 1);
    let cold = median(&r.cold);
    let ceiling_cold = median(&r.ceiling_cold);
    let _ = writeln!(o, "## Targets\n");
    let _ = writeln!(
        o,
        "| what | target | conversate | ceiling | verdict |\n|---|---|---|---|---|"
    );
    let _ = writeln!(
        o,
        "| (a) poll throughput, concurrency 64 | ≥ 50% of ceiling | {poll64:.0} req/s ({:.0}%) | {ceil64:.0} req/s | {} |",
        100.0 * poll64 / ceil64,
        verdict(poll64 >= 0.5 * ceil64)
    );
    let _ = writeln!(
        o,
        "| (b) durable sends, 16 senders, `synchronous=FULL` | ≥ 5,000 msg/s | {:.0} msg/s | {:.0} req/s | {} |",
        r.send_full.rate,
        ceiling_at(16),
        verdict(r.send_full.rate >= 5_000.0)
    );
    let _ = writeln!(
        o,
        "| (c) one message to {} SSE clients, p99 | < 250 ms | {} ms | {} ms | {} |",
        thousands(i64::try_from(big.clients).unwrap_or(0)),
        ms(big.delivery.pct_ms(99.0)),
        ms(big_ceiling.delivery.pct_ms(99.0)),
        verdict(big.delivery.pct_ms(99.0) < 250.0)
    );
    let _ = writeln!(
        o,
        "| (c/e) server memory per SSE connection ({} clients) | ≤ 16 KiB | {:.1} KiB | {:.1} KiB | {} |",
        thousands(i64::try_from(big.clients).unwrap_or(0)),
        big.kib_per_client(),
        big_ceiling.kib_per_client(),
        verdict(big.kib_per_client() <= 16.0)
    );
    let ceil1 = at(&r.ceiling_poll, 1);
    let _ = writeln!(
        o,
        "| (d) room page at {history} messages, p99 | < 10 ms | {} ms | {} ms | {} |",
        ms(page1.pct_ms(99.0)),
        ms(ceil1.pct_ms(99.0)),
        verdict(page1.pct_ms(99.0) < 10.0)
    );
    let _ = writeln!(
        o,
        "| (d) `api/history/` at {history} messages, p99 | < 10 ms | {} ms | {} ms | {} |",
        ms(hist1.pct_ms(99.0)),
        ms(ceil1.pct_ms(99.0)),
        verdict(hist1.pct_ms(99.0) < 10.0)
    );
    let _ = writeln!(
        o,
        "| idle server RSS (started, members logged in) | < 30 MiB | {} | {} | {} |",
        mib(r.idle_rss_kib),
        mib(r.ceiling_idle_rss_kib),
        verdict(r.idle_rss_kib < 30 * 1024)
    );
    let _ = writeln!(
        o,
        "| (f) cold start to first answer, median | < 200 ms | {:.1} ms | {:.1} ms | {} |\n",
        cold.as_secs_f64() * 1e3,
        ceiling_cold.as_secs_f64() * 1e3,
        verdict(cold < Duration::from_millis(200))
    );

    let _ = writeln!(o, "## (a) `POST /{LIVE_ROOM}/api/poll/` with nothing new\n");
    let _ = writeln!(
        o,
        "| concurrency | req/s | p50 ms | p99 ms | ceiling req/s | ceiling p50 ms | ceiling p99 ms | of ceiling |\n|---|---|---|---|---|---|---|---|"
    );
    for (c, s) in &r.poll {
        let cs = at(&r.ceiling_poll, *c);
        let _ = writeln!(
            o,
            "| {c} | {:.0} | {} | {} | {:.0} | {} | {} | {:.0}% |",
            s.rate(),
            ms(s.pct_ms(50.0)),
            ms(s.pct_ms(99.0)),
            cs.rate(),
            ms(cs.pct_ms(50.0)),
            ms(cs.pct_ms(99.0)),
            100.0 * s.rate() / cs.rate()
        );
    }
    let _ = writeln!(o);

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
            ceiling_at(16)
        );
    }
    let _ = writeln!(o);

    let _ = writeln!(
        o,
        "## (c) Fan-out: one message to N SSE clients in one room\n"
    );
    let _ = writeln!(
        o,
        "N streams on `GET /{LIVE_ROOM}/api/events/` (spread over the {} members' sessions), \
         each opened and its first event read; then {} messages are sent one after the other \
         from another connection. Time is from the start of the send request to the moment a \
         client has read the `event: message` block; percentiles are over every (client, \
         message) pair. The client side runs on one core too, so its own reading is included.\n",
        p.users, p.rounds
    );
    let _ = writeln!(
        o,
        "| N | p50 ms | p99 ms | max ms | send answered ms (median) | all streams opened in | server RSS with N streams (peak) | ceiling p50 / p99 / max ms | ceiling RSS |\n|---|---|---|---|---|---|---|---|---|"
    );
    for (f, c) in r.fanout.iter().zip(&r.ceiling_fanout) {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {:.2} s | {} ({}) | {} / {} / {} | {} |",
            thousands(i64::try_from(f.clients).unwrap_or(0)),
            ms(f.delivery.pct_ms(50.0)),
            ms(f.delivery.pct_ms(99.0)),
            ms(f.delivery.max_ms()),
            ms(f.ack.pct_ms(50.0)),
            f.connect.as_secs_f64(),
            mib(f.rss_connected_kib),
            mib(f.rss_peak_kib),
            ms(c.delivery.pct_ms(50.0)),
            ms(c.delivery.pct_ms(99.0)),
            ms(c.delivery.max_ms()),
            mib(c.rss_connected_kib),
        );
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## (d) Room of {history} messages\n");
    let _ = writeln!(
        o,
        "`GET /{HISTORY_ROOM}/` renders the newest {PAGE_SIZE} messages with the member list; \
         `POST /{HISTORY_ROOM}/api/history/` asks for the {PAGE_SIZE} messages before a \
         `first` drawn uniformly from the whole history.\n"
    );
    let _ = writeln!(
        o,
        "| request | concurrency | req/s | p50 ms | p99 ms | ceiling req/s | ceiling p50 ms | ceiling p99 ms |\n|---|---|---|---|---|---|---|---|"
    );
    for (name, v) in [("room page", &r.page), ("`api/history/`", &r.history)] {
        for (c, s) in v {
            let cs = at(&r.ceiling_poll, *c);
            let cs = if cs.count() == 0 {
                at(&r.ceiling_poll, 16)
            } else {
                cs
            };
            let _ = writeln!(
                o,
                "| {name} | {c} | {:.0} | {} | {} | {:.0} | {} | {} |",
                s.rate(),
                ms(s.pct_ms(50.0)),
                ms(s.pct_ms(99.0)),
                cs.rate(),
                ms(cs.pct_ms(50.0)),
                ms(cs.pct_ms(99.0)),
            );
        }
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## (e) Memory per idle SSE connection\n");
    let _ = writeln!(
        o,
        "Growth of the server's RSS from just before the N streams open to one second after \
         the last has its first event, divided by N, each N on a freshly started process \
         (no login in it: the sessions are in the database). Kernel socket buffers are not in \
         RSS.\n"
    );
    let _ = writeln!(
        o,
        "| N | RSS before | RSS with N streams | per connection | ceiling per connection |\n|---|---|---|---|---|"
    );
    for (f, c) in r.fanout.iter().zip(&r.ceiling_fanout) {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {:.1} KiB | {:.1} KiB |",
            thousands(i64::try_from(f.clients).unwrap_or(0)),
            mib(f.rss_before_kib),
            mib(f.rss_connected_kib),
            f.kib_per_client(),
            c.kib_per_client()
        );
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## (f) Cold start and memory\n");
    let _ = writeln!(
        o,
        "Cold start: from spawning the process to the first `200` from `GET /health` (polled \
         every millisecond), on the seeded data directory ({history} messages), {} runs, each \
         stopped with SIGTERM. The operating system's file cache is warm.\n",
        p.cold_runs
    );
    let fmt_ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1e3);
    let min_max = |v: &[Duration]| {
        let min = v.iter().min().copied().unwrap_or_default();
        let max = v.iter().max().copied().unwrap_or_default();
        (fmt_ms(min), fmt_ms(max))
    };
    let (cmin, cmax) = min_max(&r.cold);
    let (kmin, kmax) = min_max(&r.ceiling_cold);
    let _ = writeln!(o, "| | median ms | min ms | max ms |\n|---|---|---|---|");
    let _ = writeln!(o, "| conversate | {} | {cmin} | {cmax} |", fmt_ms(cold));
    let _ = writeln!(
        o,
        "| ceiling | {} | {kmin} | {kmax} |\n",
        fmt_ms(ceiling_cold)
    );
    let _ = writeln!(o, "| memory | conversate | ceiling |\n|---|---|---|");
    let _ = writeln!(
        o,
        "| idle RSS (started, {} members logged in, no load) | {} | {} |",
        p.users,
        mib(r.idle_rss_kib),
        mib(r.ceiling_idle_rss_kib)
    );
    let _ = writeln!(
        o,
        "| RSS just after start, before any login | {} | |",
        mib(r.started_rss_kib)
    );
    let _ = writeln!(
        o,
        "| RSS after (a) and (d) | {} | |\n",
        mib(r.rss_after_load_kib)
    );
    let _ = writeln!(
        o,
        "Also: seeding took {:.1} s; the first start on the new database answered after {:.1} ms.",
        r.seed_time.as_secs_f64(),
        r.first_start.as_secs_f64() * 1e3
    );
    o
}
