//! The soak's operations, one per kind of request: a poll with nothing new,
//! a durable send, an upload of a small file, a search, and a whole form
//! login. The single-request kinds share keep-alive connections from a
//! pool, and open a new one when every pooled connection is busy.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};

use super::drive::{Op, OpFuture};
use super::streams::{SENT_AT, SharedDeliveries, deliveries};
use crate::http::{Auth, Conn, find, get_request, json_number, post_request};
use crate::search::QUERIES;
use crate::server::login;
use crate::{LIVE_ROOM, search};

/// A pooled connection idle longer than this is closed rather than used:
/// the server closes connections that send no request for ten seconds.
const IDLE_LIMIT: Duration = Duration::from_secs(5);

/// Bytes of each uploaded file.
pub const UPLOAD_BYTES: usize = 1024;

/// Keep-alive connections to the server, most recently used on top.
pub struct Pool {
    addr: SocketAddr,
    idle: Mutex<Vec<(Conn, Instant)>>,
}

impl Pool {
    pub fn new(addr: SocketAddr) -> Arc<Self> {
        Arc::new(Self {
            addr,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// Sends `request` on a pooled or new connection and hands the answer's
    /// status and body to `check`; the connection goes back to the pool
    /// when the exchange itself worked.
    async fn exchange<T>(
        &self,
        request: &[u8],
        check: impl FnOnce(u16, &[u8]) -> Result<T>,
    ) -> Result<T> {
        let pooled = loop {
            let top = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            match top {
                Some((conn, since)) if since.elapsed() < IDLE_LIMIT => break Some(conn),
                Some(_) => {}
                None => break None,
            }
        };
        let mut conn = match pooled {
            Some(conn) => conn,
            None => Conn::connect(self.addr).await?,
        };
        let status = conn.exchange(request).await?;
        let checked = check(status, &conn.body);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((conn, Instant::now()));
        checked
    }
}

/// A `200` whose JSON says `"success":true`.
fn success(status: u16, body: &[u8]) -> Result<()> {
    ensure!(
        status == 200 && find(body, b"\"success\":true").is_some(),
        "answer {status}: {}",
        String::from_utf8_lossy(&body[..body.len().min(200)])
    );
    Ok(())
}

/// A successful send's message id (its answer starts at the new message).
fn sent_id(status: u16, body: &[u8]) -> Result<i64> {
    success(status, body)?;
    json_number(body, "pk").ok_or_else(|| anyhow::anyhow!("the send's answer has no `pk`"))
}

/// The microseconds since `origin`, for a message's `sent at`.
fn micros_since(origin: Instant) -> u128 {
    origin.elapsed().as_micros()
}

/// `POST /SLUG/api/poll/` with the room's newest cursor: nothing new.
pub fn poll(pool: Arc<Pool>, auths: &[Auth], room: &str, last: i64) -> Op {
    let path = format!("/{room}/api/poll/");
    let body = format!("last={last}&hasFocus=true");
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        auths
            .iter()
            .map(|a| post_request(pool.addr, &path, a, &body))
            .collect(),
    );
    let next = Arc::new(AtomicU64::new(0));
    Arc::new(move || -> OpFuture {
        let (pool, requests) = (pool.clone(), requests.clone());
        let i = next.fetch_add(1, Ordering::Relaxed) as usize;
        Box::pin(async move {
            pool.exchange(&requests[i % requests.len()], |status, body| {
                success(status, body)?;
                ensure!(
                    find(body, b"\"messages\":[]").is_some(),
                    "a poll with nothing new answered messages"
                );
                Ok(())
            })
            .await
        })
    })
}

/// `POST /live/api/send/`: a line of text saying when it was sent, with a
/// unique `client_id`; the acknowledged message is recorded.
pub fn send(pool: Arc<Pool>, auths: &[Auth], origin: Instant, delivered: SharedDeliveries) -> Op {
    let path = format!("/{LIVE_ROOM}/api/send/");
    let auths: Arc<Vec<Auth>> = Arc::new(auths.to_vec());
    let next = Arc::new(AtomicU64::new(0));
    Arc::new(move || -> OpFuture {
        let (pool, auths, delivered) = (pool.clone(), auths.clone(), delivered.clone());
        let n = next.fetch_add(1, Ordering::Relaxed);
        let path = path.clone();
        Box::pin(async move {
            let content = format!("Soak message {n}, {SENT_AT}{} us", micros_since(origin));
            let body = serde_urlencoded::to_string([
                ("content", content.as_str()),
                ("hasFocus", "true"),
                ("client_id", &format!("soak-send-{n}")),
            ])?;
            let auth = &auths[n as usize % auths.len()];
            let request = post_request(pool.addr, &path, auth, &body);
            let id = pool.exchange(&request, sent_id).await?;
            deliveries(&delivered).acknowledged(id);
            Ok(())
        })
    })
}

/// `POST /live/api/send/` with a small file (multipart, as the page's file
/// field sends it); the acknowledged message is recorded.
pub fn upload(pool: Arc<Pool>, auths: &[Auth], origin: Instant, delivered: SharedDeliveries) -> Op {
    let auths: Arc<Vec<Auth>> = Arc::new(auths.to_vec());
    let next = Arc::new(AtomicU64::new(0));
    Arc::new(move || -> OpFuture {
        let (pool, auths, delivered) = (pool.clone(), auths.clone(), delivered.clone());
        let n = next.fetch_add(1, Ordering::Relaxed);
        Box::pin(async move {
            let auth = &auths[n as usize % auths.len()];
            let request = upload_request(pool.addr, auth, n, origin);
            let id = pool.exchange(&request, sent_id).await?;
            deliveries(&delivered).acknowledged(id);
            Ok(())
        })
    })
}

fn upload_request(addr: SocketAddr, auth: &Auth, n: u64, origin: Instant) -> Vec<u8> {
    let boundary = "conversate-soak-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\n\
         Soak upload {n}, {SENT_AT}{} us\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"hasFocus\"\r\n\r\ntrue\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\nsoak-upload-{n}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes-{n}.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n",
        micros_since(origin)
    )
    .into_bytes();
    let line = format!("line of upload {n}\n");
    body.extend(line.bytes().cycle().take(UPLOAD_BYTES));
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut request = format!(
        "POST /{LIVE_ROOM}/api/send/ HTTP/1.1\r\nHost: {addr}\r\nCookie: {}\r\nX-CSRFToken: {}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\n\r\n",
        auth.cookie,
        auth.csrf,
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    request
}

/// `GET /api/search/?q=…`: the queries of (j) in turn, by each member in
/// turn; each must find something.
pub fn search(pool: Arc<Pool>, auths: &[Auth]) -> Op {
    let requests: Arc<Vec<Vec<u8>>> = Arc::new(
        auths
            .iter()
            .flat_map(|auth| QUERIES.iter().map(move |(_, query)| (auth, query)))
            .map(|(auth, query)| {
                let path = format!(
                    "/api/search/?{}",
                    serde_urlencoded::to_string([("q", query)]).unwrap_or_default()
                );
                get_request(pool.addr, &path, Some(auth))
            })
            .collect(),
    );
    let next = Arc::new(AtomicU64::new(0));
    Arc::new(move || -> OpFuture {
        let (pool, requests) = (pool.clone(), requests.clone());
        let i = next.fetch_add(1, Ordering::Relaxed) as usize;
        Box::pin(async move {
            pool.exchange(&requests[i % requests.len()], |status, body| {
                ensure!(
                    status == 200 && search::is_results(body),
                    "answer {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                );
                Ok(())
            })
            .await
        })
    })
}

/// A whole form login, as a browser does it on a new connection: the login
/// form for its token, the form posted (`303`), then the index.
pub fn login_op(addr: SocketAddr, users: &[String]) -> Op {
    let users: Arc<Vec<String>> = Arc::new(users.to_vec());
    let next = Arc::new(AtomicU64::new(0));
    Arc::new(move || -> OpFuture {
        let users = users.clone();
        let n = next.fetch_add(1, Ordering::Relaxed) as usize;
        Box::pin(async move {
            login(addr, &users[n % users.len()]).await?;
            Ok(())
        })
    })
}
