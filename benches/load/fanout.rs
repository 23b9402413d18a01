//! (c) Fan-out: N event streams (`GET /live/api/events/`) open on the live
//! room, then a few messages are sent one after the other from another
//! connection, and each stream's arrival of each message is timed from the
//! start of its send. The same run reads the server's RSS before and with the
//! streams open (see `sse_memory.rs`).

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::closed_loop::is_success;
use crate::http::{Auth, Conn, find, post_request};
use crate::process::ServerProc;
use crate::stats::{Sample, mib, ms, thousands};
use crate::{LIVE_ROOM, Params, Results};

/// What a fan-out run saw.
#[derive(Debug, Clone, Default)]
pub struct FanoutResult {
    pub clients: usize,
    /// Time to open every stream (each has had its first event).
    pub connect: Duration,
    pub rss_before_kib: u64,
    pub rss_connected_kib: u64,
    pub rss_peak_kib: u64,
    /// Per client and message: from the send request to the event's arrival.
    pub delivery: Sample,
    /// Per message: how long the send request took to be answered.
    pub ack: Sample,
    /// The servers' CPU use, in percent of one core, in each half second
    /// while the streams sat idle (heartbeats only), when watched.
    pub idle_cpu: Vec<f64>,
}

/// How CPU use is sampled while the streams sit idle.
const CPU_WINDOW: Duration = Duration::from_millis(500);

/// Opens `n` event streams to the live room, spread evenly over `servers`
/// (the nodes of a cluster, or one server), then sends `rounds` messages
/// one after the other through the first and times each stream's arrival
/// of each. Memory figures are the servers' sum. With a non-zero `idle`,
/// the servers' CPU use is sampled that long first, with every stream open
/// and nothing sent: the heartbeats' cost, and whether it comes in spikes.
pub async fn fanout(
    servers: &mut [ServerProc],
    auths: &[Auth],
    sender: &Auth,
    n: usize,
    rounds: usize,
    idle: Duration,
) -> Result<FanoutResult> {
    ensure!(!servers.is_empty(), "fan-out needs a server");
    let addr = servers[0].addr;
    let nodes: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    // requests[node][member]
    let requests: Vec<Vec<Arc<[u8]>>> = nodes
        .iter()
        .map(|node| {
            auths
                .iter()
                .map(|a| {
                    Arc::from(
                        format!(
                            "GET /{LIVE_ROOM}/api/events/ HTTP/1.1\r\nHost: {node}\r\nCookie: {}\r\n\
                             Accept: text/event-stream\r\n\r\n",
                            a.cookie
                        )
                        .into_bytes(),
                    )
                })
                .collect()
        })
        .collect();
    let rss =
        |servers: &[ServerProc]| -> Result<u64> { servers.iter().map(ServerProc::rss_kib).sum() };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before_kib = rss(servers)?;
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<Result<()>>();
    let (arrive_tx, mut arrive_rx) = mpsc::unbounded_channel::<(usize, Instant)>();
    // Connections are opened 200 at a time, as a crowd arriving would.
    let gate = Arc::new(tokio::sync::Semaphore::new(200));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for client in 0..n {
        let node = client % nodes.len();
        let request = requests[node][(client / nodes.len()) % auths.len()].clone();
        let addr = nodes[node];
        let ready = ready_tx.clone();
        let arrive = arrive_tx.clone();
        let gate = gate.clone();
        tasks.push(tokio::spawn(async move {
            let permit = gate.acquire_owned().await;
            let opened = open_stream(client, addr, &request).await;
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
        for server in servers.iter_mut() {
            server.check_alive()?;
        }
        let rss_connected_kib = rss(servers)?;
        let mut rss_peak_kib = rss_connected_kib;
        let idle_cpu = idle_cpu(servers, idle).await?;
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
            rss_peak_kib = rss_peak_kib.max(rss(servers)?);
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
            idle_cpu,
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

/// The servers' CPU use in each [`CPU_WINDOW`] for `idle`, in percent of
/// one core.
async fn idle_cpu(servers: &[ServerProc], idle: Duration) -> Result<Vec<f64>> {
    let ticks =
        |servers: &[ServerProc]| -> Result<u64> { servers.iter().map(ServerProc::cpu_ticks).sum() };
    let mut windows = Vec::new();
    let started = Instant::now();
    let mut before = ticks(servers)?;
    let mut at = Instant::now();
    while started.elapsed() < idle {
        tokio::time::sleep(CPU_WINDOW).await;
        let now = ticks(servers)?;
        let took = at.elapsed();
        at = Instant::now();
        // Clock ticks are hundredths of a second on Linux, so ticks per
        // second are percent of one core.
        windows.push((now - before) as f64 / took.as_secs_f64());
        before = now;
    }
    Ok(windows)
}

/// Opens an event stream: sends the request and reads up to the end of the
/// first event. Returns the socket and whatever was read past that.
async fn open_stream(
    client: usize,
    addr: SocketAddr,
    request: &[u8],
) -> Result<(TcpStream, Vec<u8>)> {
    let mut stream = connect_from(client, addr).await?;
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

/// Source addresses the clients connect from, in turn: each loopback
/// address has its own ~28,000 ephemeral ports towards the server's one
/// address, so 100,000 streams need several (all of 127.0.0.0/8 reaches
/// the loopback interface on Linux).
const SOURCE_ADDRESSES: u8 = 16;

/// Connects to `addr` from loopback address 127.0.0.(2 + `client` mod
/// [`SOURCE_ADDRESSES`]), on an ephemeral port.
async fn connect_from(client: usize, addr: SocketAddr) -> Result<TcpStream> {
    let last = 2 + u8::try_from(client % usize::from(SOURCE_ADDRESSES)).unwrap_or(0);
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, last], 0)))?;
    Ok(socket.connect(addr).await?)
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

/// The report's section (c).
pub fn section(o: &mut String, p: &Params, r: &Results) {
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
}
