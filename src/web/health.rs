//! Health checks for load balancers and orchestrators.
//!
//! `/healthz` answers while the process serves. `/readyz` answers `200`
//! only while this node should get traffic: the database answers and is
//! migrated, file storage takes a write, and the node is not shutting
//! down. During a graceful shutdown `/readyz` fails first (for
//! `SHUTDOWN_DELAY_MS`), so a balancer takes the node out before its event
//! streams close (see `App::serve`).

use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::state::AppState;

/// `GET /healthz`: the process serves requests.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: `200 ready`, or `503` with the first check that failed.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match check(&state).await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(why) => not_ready(&why),
    }
}

fn not_ready(why: &str) -> Response {
    tracing::warn!(reason = why, "not ready");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("not ready: {why}\n"),
    )
        .into_response()
}

/// The checks in order; the first failure, as a line. Each may take
/// `READY_TIMEOUT_MS` (a pool or a file system that hangs would wait much
/// longer), and one that does not answer in time is named as such.
async fn check(state: &AppState) -> Result<(), String> {
    if state.draining.load(Ordering::Relaxed) {
        return Err("shutting down".to_owned());
    }
    let limit = Duration::from_millis(state.config.ready_timeout_ms);
    let late = |what: &str| {
        format!(
            "{what}: no answer within {} ms",
            state.config.ready_timeout_ms
        )
    };
    tokio::time::timeout(limit, state.chat.store.ping())
        .await
        .map_err(|_| late("database"))?
        .map_err(|e| format!("database: {}", crate::error_chain(&e)))?;
    tokio::time::timeout(limit, state.files.probe())
        .await
        .map_err(|_| late("file storage"))?
        .map_err(|e| format!("file storage: {e}"))?;
    if state.draining.load(Ordering::Relaxed) {
        return Err("shutting down".to_owned());
    }
    Ok(())
}
