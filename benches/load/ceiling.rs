//! The ceiling: a minimal axum server (this executable re-invoked with
//! [`CEILING_ARG`]) on the same core as the real server, answering every
//! POST with a fixed small JSON body, `GET /bytes/{n}` with n fixed bytes of
//! HTML (a page as big as the real one, sent from memory), and fanning
//! messages out over SSE from one broadcast channel. What the same client gets from it is the practical
//! best the real server is compared with.

use std::convert::Infallible;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::response::sse::{Event, Sse};
use axum::routing::{get, post};
use futures_util::{Stream, StreamExt};
use tokio::sync::broadcast;

use crate::process::{ServerProc, free_port};

/// The argument that turns this executable into the ceiling server.
pub const CEILING_ARG: &str = "__ceiling";

/// Starts the ceiling server and waits until it answers.
pub async fn start_ceiling(log: PathBuf) -> Result<(ServerProc, Duration)> {
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

struct Hub {
    tx: broadcast::Sender<Arc<str>>,
    next: AtomicU64,
}

/// Serves on the address in `args` until killed (the re-invoked executable).
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
        .route("/bytes/{n}", get(bytes))
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

/// The most `/bytes/{n}` sends.
const MAX_BYTES: usize = 1 << 20;

/// `n` bytes of HTML, made once: what sending a page costs by itself.
async fn bytes(Path(n): Path<usize>) -> impl IntoResponse {
    static BODY: std::sync::OnceLock<Bytes> = std::sync::OnceLock::new();
    let body = BODY.get_or_init(|| {
        let line = b"<li class=\"cv-message\">A page from memory, as long as the real one.</li>\n";
        Bytes::from(
            line.iter()
                .copied()
                .cycle()
                .take(MAX_BYTES)
                .collect::<Vec<u8>>(),
        )
    });
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body.slice(..n.min(MAX_BYTES)),
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

async fn events(State(hub): State<Arc<Hub>>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
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
