//! The HTTP server loop.
//!
//! Our own instead of `axum::serve` because that one sets no timer, so
//! hyper's header-read timeout never fires and a client that trickles its
//! headers (slowloris) holds a connection forever. Here every connection
//! gets a deadline for its headers, and shutdown drains connections
//! gracefully with a bound.
//!
//! HTTP/1.1 only. Browsers speak HTTP/2 only over TLS, which a reverse
//! proxy in front terminates, and such proxies talk HTTP/1.1 to the app.
//! Detecting cleartext HTTP/2 (hyper-util's `auto` builder) also cost every
//! connection 8 KiB: its 24-byte preface read made hyper's first read short
//! of a full request, and the read buffer grew from 8 to 16 KiB for good.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The most a connection buffers, each way. hyper's default (about 400
/// KiB) let a download the client stopped reading hold that much of the
/// file in memory per connection; the file is read in 64 KiB chunks, so
/// one chunk in flight keeps a download at full speed.
const CONNECTION_BUFFER: usize = 64 * 1024;

/// Seconds a client has to send a request's headers.
pub const HEADER_READ_TIMEOUT_SECS: u64 = 10;
/// Seconds open connections get to finish after shutdown starts.
pub const DRAIN_SECS: u64 = 30;

/// Serves `router` on `listener` until `shutdown` resolves, then drains.
///
/// # Errors
/// Never in practice: accept errors (out of file descriptors, say) are
/// logged and retried.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = router
            .clone()
            .map_request(move |request: hyper::Request<Incoming>| {
                let mut request = request.map(Body::new);
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection = http1::Builder::new()
            .max_buf_size(CONNECTION_BUFFER)
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(HEADER_READ_TIMEOUT_SECS))
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(DRAIN_SECS)) => {
            tracing::warn!("connections still open after {DRAIN_SECS} s; closing");
        }
    }
    Ok(())
}

/// The client's address, when the server loop recorded it.
#[must_use]
pub fn peer(parts: &axum::http::request::Parts) -> Option<SocketAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0)
}
