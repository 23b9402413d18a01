//! `/metrics`: the Prometheus exposition, and the layer that counts
//! requests.
//!
//! Metrics are off unless asked for, and never public by accident: with
//! `METRICS_BIND` they are served on that separate address only; with
//! `METRICS_TOKEN` also at `/metrics` on the main address, to requests
//! that carry the token (anyone else gets the same `404` as for any
//! unknown page).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::state::AppState;
use crate::metrics::{HttpMetrics, ROUTE_KINDS, Scraped};

/// The exposition format `prometheus-client` writes.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How long the database may take for the scrape-time figures.
const SCRAPE_DB_TIMEOUT: Duration = Duration::from_secs(2);

/// `GET /metrics` on the separate metrics address.
pub async fn open(State(state): State<AppState>) -> Response {
    render(&state).await
}

/// `GET /metrics` on the main address: only with the token.
pub async fn with_token(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else {
        return super::error::AppError::NotFound("Page not found.".to_owned()).into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !bool::from(given.as_bytes().ct_eq(token.0.as_bytes())) {
        return super::error::AppError::NotFound("Page not found.".to_owned()).into_response();
    }
    render(&state).await
}

async fn render(state: &AppState) -> Response {
    let store = &state.chat.store;
    let mut scraped = Scraped {
        pools: store.pools(),
        resident_bytes: crate::metrics::resident_bytes(),
        ..Scraped::default()
    };
    let outbox = async {
        let counts = store.outbox().outbox_counts().await?;
        let oldest = store.outbox().oldest_pending_alert().await?;
        Ok::<_, crate::store::StoreError>((counts, oldest))
    };
    match tokio::time::timeout(SCRAPE_DB_TIMEOUT, outbox).await {
        Ok(Ok((counts, oldest))) => {
            // Every status, at 0 too: a series that appears only once
            // something happened is hard to alert on.
            scraped.outbox = ["cancelled", "pending", "sent"]
                .map(|status| ("mail", status.to_owned(), 0))
                .to_vec();
            for (status, n) in counts {
                match scraped.outbox.iter_mut().find(|(_, s, _)| *s == status) {
                    Some(known) => known.2 = n,
                    None => scraped.outbox.push(("mail", status, n)),
                }
            }
            let age = oldest.map_or(0, |due| (crate::domain::now() - due).max(0));
            scraped.outbox_age = vec![("mail", age)];
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %crate::error_chain(&e), "metrics: outbox figures failed")
        }
        Err(_) => tracing::warn!("metrics: the database did not answer for the outbox figures"),
    }
    let body = state.metrics.render(&scraped);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        body,
    )
        .into_response()
}

/// The kind of route a path (below the mount point) belongs to: an index
/// into [`ROUTE_KINDS`]. String checks only; no routing twice.
#[must_use]
pub fn route_kind(path: &str) -> usize {
    let kind = if path.starts_with("assets/") {
        "asset"
    } else if path.starts_with("admin/") {
        "admin"
    } else if matches!(path, "healthz" | "readyz" | "health" | "metrics") {
        "ops"
    } else if path.ends_with("/api/poll/") {
        "poll"
    } else if path.ends_with("/api/send/") || path.ends_with("/send/") {
        "send"
    } else if path.ends_with("/api/events/") {
        "events"
    } else if path.contains("/api/") {
        "api"
    } else if path.contains("/file/") {
        "file"
    } else {
        "page"
    };
    ROUTE_KINDS.iter().position(|k| *k == kind).unwrap_or(0)
}

/// Counts every request by kind and status, with the time to its headers.
#[derive(Clone)]
pub struct CountLayer {
    /// The handles.
    pub http: Arc<HttpMetrics>,
    /// The mount point, stripped before the path is classified.
    pub prefix: Arc<str>,
}

impl<S> tower::Layer<S> for CountLayer {
    type Service = Count<S>;
    fn layer(&self, inner: S) -> Count<S> {
        Count {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`CountLayer`] makes.
#[derive(Clone)]
pub struct Count<S> {
    inner: S,
    layer: CountLayer,
}

impl<S, B> tower::Service<Request> for Count<S>
where
    S: tower::Service<Request, Response = axum::http::Response<B>>,
{
    type Response = axum::http::Response<B>;
    type Error = S::Error;
    type Future = Counted<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let path = request.uri().path();
        let kind = route_kind(path.strip_prefix(&*self.layer.prefix).unwrap_or(path));
        Counted {
            inner: self.inner.call(request),
            kind,
            started: Instant::now(),
            http: self.layer.http.clone(),
        }
    }
}

pin_project_lite::pin_project! {
    /// A request's answer, counted when it is ready.
    pub struct Counted<F> {
        #[pin]
        inner: F,
        kind: usize,
        started: Instant,
        http: Arc<HttpMetrics>,
    }
}

impl<F, B, E> Future for Counted<F>
where
    F: Future<Output = Result<axum::http::Response<B>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        if let Ok(response) = &result {
            this.http.observe(
                *this.kind,
                response.status().as_u16(),
                this.started.elapsed(),
            );
        }
        Poll::Ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fall_into_their_kinds() {
        let kind = |p| ROUTE_KINDS[route_kind(p)];
        assert_eq!(kind("general/api/poll/"), "poll");
        assert_eq!(kind("general/api/send/"), "send");
        assert_eq!(kind("general/send/"), "send");
        assert_eq!(kind("general/api/events/"), "events");
        assert_eq!(kind("general/api/history/"), "api");
        assert_eq!(kind("general/file/3/"), "file");
        assert_eq!(kind("assets/conversate.0a1b.js"), "asset");
        assert_eq!(kind("admin/rooms/"), "admin");
        assert_eq!(kind("readyz"), "ops");
        assert_eq!(kind("general/"), "page");
        assert_eq!(kind(""), "page");
    }
}
