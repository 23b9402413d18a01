//! The request's span in the log, and its request id.
//!
//! With `LOG_FORMAT=json`, every request gets an id (kept from a trusted
//! proxy's `X-Request-Id`, otherwise fresh), answered as `X-Request-Id`, and
//! an `info` span carrying it with the method, path and client address, so
//! every line logged while the request runs names them. In text format the
//! span stays at `debug`, as before: creating and formatting a span for
//! every request is a measurable part of a poll's cost, paid only when
//! someone ships the logs.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderValue, Request};
use tracing::Span;

use super::client;
use crate::config::Network;

/// The header that carries the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// The longest request id kept from a proxy.
const MAX_ID_LEN: usize = 64;

/// Makes each request's span.
#[derive(Clone)]
pub struct RequestSpan {
    /// JSON logs: the span is at `info`, with the id and client.
    pub json: bool,
    /// `TRUSTED_PROXIES`, for the client address.
    pub proxies: Arc<[Network]>,
}

impl<B> tower_http::trace::MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, request: &Request<B>) -> Span {
        if self.json {
            let id = request
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let client = client::of_request(&self.proxies, request)
                .map(|ip| ip.to_string())
                .unwrap_or_default();
            tracing::info_span!(
                "request",
                request_id = id,
                method = %request.method(),
                path = request.uri().path(),
                client,
            )
        } else {
            tracing::debug_span!(
                "request",
                method = %request.method(),
                uri = %request.uri(),
                version = ?request.version(),
            )
        }
    }
}

/// Gives a request its id: a trusted proxy's, if it sent a sensible one,
/// else a fresh random one.
pub fn assign_id(
    proxies: Arc<[Network]>,
) -> impl Fn(Request<Body>) -> Request<Body> + Clone + Send + Sync + 'static {
    move |mut request: Request<Body>| {
        let keep = request.headers().get(REQUEST_ID).is_some_and(|v| {
            v.len() <= MAX_ID_LEN
                && v.as_bytes().iter().all(u8::is_ascii_graphic)
                && client::peer(&request)
                    .is_some_and(|peer| proxies.iter().any(|net| net.contains(peer)))
        });
        if !keep {
            let id = format!("{:016x}", rand::random::<u64>());
            if let Ok(value) = HeaderValue::try_from(id) {
                request.headers_mut().insert(REQUEST_ID, value);
            }
        }
        request
    }
}
