//! The soak's event streams on the live room: some open for the whole run,
//! each timing every message's arrival from the moment it was sent (the
//! message says when); others closed and opened again every few seconds
//! with `Last-Event-ID`, as a phone on a poor network does. Every stream
//! counts the messages it received, so that each one acknowledged during
//! the run can be checked to have reached every stream.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::chunked::Body;
use super::record::{Kind, Recorder, Shared, lock};
use crate::LIVE_ROOM;
use crate::http::{Auth, find, json_number};

/// What marks a message's sending time in its text: `sent at N us`, N
/// microseconds after the soak's origin.
pub const SENT_AT: &str = "sent at ";

/// The messages acknowledged during the run, and how many streams of each
/// sort received each message.
#[derive(Debug, Default)]
pub struct Deliveries {
    /// Message id → streams open all along, reconnecting streams.
    received: HashMap<i64, [u32; 2]>,
    /// From when acknowledged messages count (the soak's start).
    counting_from: Option<Instant>,
    /// Acknowledged during the soak: id and when.
    acknowledged: Vec<(i64, Instant)>,
}

impl Deliveries {
    /// Acknowledged messages count from `epoch` on.
    pub fn count_from(&mut self, epoch: Instant) {
        self.counting_from = Some(epoch);
    }

    /// A send or upload answered `200` with its message `id`.
    pub fn acknowledged(&mut self, id: i64) {
        let now = Instant::now();
        if self.counting_from.is_some_and(|from| now >= from) {
            self.acknowledged.push((id, now));
        }
    }

    fn received(&mut self, id: i64, reconnecting: bool) {
        self.received.entry(id).or_default()[usize::from(reconnecting)] += 1;
    }

    /// Messages acknowledged during the soak.
    pub fn acknowledged_count(&self) -> usize {
        self.acknowledged.len()
    }

    /// Whether every acknowledged message has reached every stream.
    pub fn complete(&self, long: usize, reconnecting: usize) -> bool {
        self.acknowledged.iter().all(|(id, _)| {
            self.received
                .get(id)
                .is_some_and(|c| c[0] as usize >= long && c[1] as usize >= reconnecting)
        })
    }

    /// Records, in each message's period, the streams it did not reach (as
    /// errors of `stream` and `reconnect`); answers their total.
    pub fn record_misses(&self, long: usize, reconnecting: usize, r: &mut Recorder) -> u64 {
        let mut total = 0;
        for (id, at) in &self.acknowledged {
            let got = self.received.get(id).copied().unwrap_or_default();
            let period = r.period_of(*at);
            for (kind, expected, got) in [
                (Kind::Stream, long, got[0]),
                (Kind::Reconnect, reconnecting, got[1]),
            ] {
                let missed = (expected as u64).saturating_sub(u64::from(got));
                if missed > 0 {
                    r.add_errors(kind, period, missed);
                    total += missed;
                }
            }
        }
        total
    }
}

pub type SharedDeliveries = Arc<Mutex<Deliveries>>;

pub fn deliveries(d: &Mutex<Deliveries>) -> MutexGuard<'_, Deliveries> {
    d.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The streams and how they behave.
#[derive(Debug, Clone)]
pub struct StreamPlan {
    /// Open for the whole run.
    pub long: usize,
    /// Closed and opened again every `every`.
    pub reconnecting: usize,
    pub every: Duration,
}

/// What the streams share.
#[derive(Clone)]
pub struct StreamShared {
    pub addr: SocketAddr,
    /// When the messages' `sent at` count from.
    pub origin: Instant,
    pub recorder: Shared,
    pub deliveries: SharedDeliveries,
    /// The soak's start and end, once known: reconnecting streams wait for
    /// it before they begin to reconnect.
    pub window: watch::Receiver<Option<(Instant, Instant)>>,
}

/// Opens every stream of `plan`, spread over the members' sessions, each
/// resuming after `cursor`; returns their tasks once every stream has
/// had its first event.
pub async fn open(
    plan: &StreamPlan,
    auths: &[Auth],
    cursor: i64,
    shared: &StreamShared,
) -> Result<Vec<JoinHandle<()>>> {
    let total = plan.long + plan.reconnecting;
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<Result<()>>();
    let mut tasks = Vec::with_capacity(total);
    for i in 0..total {
        let reconnecting = i >= plan.long;
        // Reconnections spread evenly over each interval.
        let offset = if reconnecting {
            plan.every
                .mul_f64((i - plan.long) as f64 / plan.reconnecting as f64)
        } else {
            Duration::ZERO
        };
        let stream = Stream {
            reconnecting,
            offset,
            every: plan.every,
            cookie: auths[i % auths.len()].cookie.clone(),
            cursor,
            last_id: cursor,
            shared: shared.clone(),
        };
        let ready = ready_tx.clone();
        tasks.push(tokio::spawn(stream.run(ready)));
    }
    drop(ready_tx);
    for opened in 0..total {
        match tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await {
            Ok(Some(Ok(()))) => {}
            Ok(Some(Err(e))) => bail!("stream {opened} of {total} could not open: {e:#}"),
            Ok(None) => bail!("the stream tasks ended"),
            Err(_) => bail!("only {opened} of {total} streams opened within 60 s"),
        }
    }
    Ok(tasks)
}

/// One stream's state, kept across its connections.
struct Stream {
    reconnecting: bool,
    offset: Duration,
    every: Duration,
    cookie: String,
    /// The `id:` of the last event: where a new connection resumes.
    cursor: i64,
    /// The newest message id received.
    last_id: i64,
    shared: StreamShared,
}

impl Stream {
    fn kind(&self) -> Kind {
        if self.reconnecting {
            Kind::Reconnect
        } else {
            Kind::Stream
        }
    }

    async fn run(mut self, ready: mpsc::UnboundedSender<Result<()>>) {
        let mut ready = Some(ready);
        loop {
            let asked = Instant::now();
            let (socket, body, rest) = match self.connect().await {
                Ok(opened) => opened,
                Err(e) => {
                    if let Some(ready) = ready.take() {
                        let _ = ready.send(Err(e));
                        return;
                    }
                    lock(&self.shared.recorder).error(self.kind(), asked, &format!("{e:#}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            if let Some(ready) = ready.take() {
                let _ = ready.send(Ok(()));
            } else if self.reconnecting {
                lock(&self.shared.recorder).latency(Kind::Reconnect, asked, asked.elapsed());
            }
            if let Err(e) = self.read(socket, body, rest).await {
                lock(&self.shared.recorder).error(self.kind(), Instant::now(), &format!("{e:#}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Opens a connection that resumes after the cursor, and reads up to the
    /// end of its first event; answers the socket, its body's decoder, and
    /// the events read so far.
    async fn connect(&mut self) -> Result<(TcpStream, Body, Vec<u8>)> {
        let addr = self.shared.addr;
        let request = format!(
            "GET /{LIVE_ROOM}/api/events/ HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\n\
             Accept: text/event-stream\r\nLast-Event-ID: {}\r\n\r\n",
            self.cookie, self.cursor
        );
        let mut socket = TcpStream::connect(addr).await?;
        socket.set_nodelay(true)?;
        socket.write_all(request.as_bytes()).await?;
        let mut buf = Vec::with_capacity(4096);
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            let n = socket.read(&mut chunk).await?;
            ensure!(n > 0, "the server closed the stream before answering");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(i) = find(&buf, b"\r\n\r\n") {
                break i + 4;
            }
        };
        ensure!(
            buf.starts_with(b"HTTP/1.1 200"),
            "the stream answered {}",
            String::from_utf8_lossy(&buf[..head_end.min(200)]).trim()
        );
        let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
        let mut body = Body::new(head.contains("transfer-encoding: chunked"));
        let mut events = Vec::new();
        body.push(&buf[head_end..], &mut events)?;
        // The first event (`users`, or the first message missed) is part of
        // opening; it is handled like every later one.
        while find(&events, b"\n\n").is_none() {
            let n = socket.read(&mut chunk).await?;
            ensure!(n > 0, "the server closed the stream before its first event");
            body.push(&chunk[..n], &mut events)?;
        }
        Ok((socket, body, events))
    }

    /// Reads events until it is time to reconnect (a reconnecting stream) or
    /// the connection fails (an error).
    async fn read(
        &mut self,
        mut socket: TcpStream,
        mut body: Body,
        mut buf: Vec<u8>,
    ) -> Result<()> {
        let mut chunk = vec![0u8; 16 * 1024];
        let far = tokio::time::Instant::now() + Duration::from_secs(365 * 24 * 3600);
        let mut next = self.next_reconnect();
        let wake = tokio::time::sleep_until(next.map_or(far, Into::into));
        tokio::pin!(wake);
        let mut window = self.shared.window.clone();
        // Whether the soak's window may still change (a reconnecting stream
        // waits for it to learn when to reconnect).
        let mut watching = self.reconnecting && next.is_none();
        loop {
            self.take_events(&mut buf);
            tokio::select! {
                n = socket.read(&mut chunk) => {
                    let n = n.context("reading the stream")?;
                    ensure!(n > 0, "the server closed the stream");
                    body.push(&chunk[..n], &mut buf)?;
                }
                () = &mut wake => {
                    if next.is_some() {
                        return Ok(());
                    }
                    wake.as_mut().reset(far);
                }
                changed = window.changed(), if watching => {
                    next = self.next_reconnect();
                    watching = changed.is_ok() && next.is_none();
                    wake.as_mut().reset(next.map_or(far, Into::into));
                }
            }
        }
    }

    /// When a reconnecting stream next reconnects: at its offset into each
    /// interval of the soak, never after the soak's end.
    fn next_reconnect(&self) -> Option<Instant> {
        if !self.reconnecting {
            return None;
        }
        let (epoch, end) = (*self.shared.window.borrow())?;
        let now = Instant::now();
        let mut at = epoch + self.offset;
        if at <= now {
            let behind = (now - at).as_secs_f64() / self.every.as_secs_f64();
            at += self.every.mul_f64(behind.floor() + 1.0);
        }
        (at < end).then_some(at)
    }

    /// Handles every complete event in `buf` and removes them.
    fn take_events(&mut self, buf: &mut Vec<u8>) {
        let mut from = 0;
        while let Some(i) = find(&buf[from..], b"\n\n") {
            self.event(&buf[from..from + i]);
            from += i + 2;
        }
        buf.drain(..from);
    }

    fn event(&mut self, block: &[u8]) {
        let mut name: &[u8] = b"";
        let mut data: &[u8] = b"";
        for line in block.split(|b| *b == b'\n') {
            if let Some(v) = line.strip_prefix(b"event: ") {
                name = v;
            } else if let Some(v) = line.strip_prefix(b"id: ") {
                if let Some(id) = std::str::from_utf8(v).ok().and_then(|v| v.parse().ok()) {
                    self.cursor = id;
                }
            } else if let Some(v) = line.strip_prefix(b"data: ") {
                data = v;
            }
        }
        if name != b"message" {
            return;
        }
        let Some(id) = json_number(data, "pk") else {
            return;
        };
        // A message seen again (it cannot be, but a resumed stream would
        // show it here) is not counted twice.
        if id <= self.last_id {
            return;
        }
        self.last_id = id;
        let arrived = Instant::now();
        deliveries(&self.shared.deliveries).received(id, self.reconnecting);
        if self.reconnecting {
            return;
        }
        let window = *self.shared.window.borrow();
        let epoch = window.map(|(epoch, _)| epoch);
        if let (Some(epoch), Some(micros)) = (epoch, sent_at(data)) {
            let sent = self.shared.origin + Duration::from_micros(micros);
            // Messages sent before the soak (while capacity was measured)
            // are counted, not timed.
            if sent >= epoch {
                lock(&self.shared.recorder).latency(
                    Kind::Stream,
                    sent,
                    arrived.saturating_duration_since(sent),
                );
            }
        }
    }
}

/// The `sent at N` a message's text carries, if any.
fn sent_at(data: &[u8]) -> Option<u64> {
    let at = find(data, SENT_AT.as_bytes())? + SENT_AT.len();
    let digits: String = data[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .map(|b| char::from(*b))
        .collect();
    digits.parse().ok()
}
