//! `GET /{slug}/api/events/`: Server-Sent Events for one room.
//!
//! Messages arrive in cursor order with `id:` set to their cursor position
//! (`rev`: a new message's id, or a later number for a change), so a
//! browser resumes with `Last-Event-ID` and gets exactly what it missed. A
//! message the client has (id at most its cursor) that changed comes as
//! `event: change`. Each event carries its room position (`pos`); a stream
//! that sees a position it did not expect (a lagged channel, out-of-order
//! publishing) refills from the store instead of guessing.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::sync::broadcast::{self, error::RecvError};

use super::open;
use crate::domain;
use crate::domain::{Member, Message};
use crate::live::RoomEvent;
use crate::service::chat::{Access, BATCH_LIMIT};
use crate::web::auth::Viewer;
use crate::web::error::{ApiError, AppError};
use crate::web::state::AppState;
use crate::web::views::{MessageView, UserView};

/// Seconds between heartbeats (a comment line, and a presence keepalive).
pub const HEARTBEAT_SECS: u64 = 15;

/// The `Retry-After` of a refused stream (too many open). The cap has no
/// natural wait: a slot frees when one of the user's streams ends, and the
/// server notices a stream the client closed at its next write, at the
/// latest one heartbeat later.
pub const STREAM_REFUSED_RETRY_AFTER: Duration = Duration::from_secs(HEARTBEAT_SECS);

/// The last frame of a stream closed by a shutdown: SSE's `retry:` field,
/// which sets how long the browser's `EventSource` waits before it
/// reconnects (with `Last-Event-ID`): one second, by when the load balancer
/// sends it to another node.
const SHUTDOWN_FRAME: Bytes = Bytes::from_static(b"retry: 1000\n\n");

/// The heartbeat: an empty SSE comment.
const HEARTBEAT: Bytes = Bytes::from_static(b":\n\n");

/// Frames a stream's queue keeps room for once it is empty: a message and
/// the presence that came with it. After a catch-up (up to a batch of
/// frames) the rest is given back: a stream that fell behind once, as
/// every stream does when the server stalls, kept 8 KiB (a batch) or more
/// for as long as it lived (BENCHMARKS.md, fifteenth part).
const PENDING_KEPT: usize = 4;

/// One SSE frame. Frames are built here rather than with axum's `Event` so
/// that a message's frame is built once and the same bytes, shared, go to
/// every stream of the room. `data` is JSON, so it has no line breaks of its
/// own; any it had would become separate `data:` lines, as SSE requires.
fn frame(event: &str, id: Option<i64>, data: &str) -> Bytes {
    let mut out = String::with_capacity(data.len() + event.len() + 40);
    out.push_str("event: ");
    out.push_str(event);
    out.push('\n');
    if let Some(id) = id {
        out.push_str("id: ");
        out.push_str(&id.to_string());
        out.push('\n');
    }
    for line in data.lines() {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    Bytes::from(out)
}

/// Query of the stream: where to resume when no `Last-Event-ID` is sent.
#[derive(Debug, serde::Deserialize)]
pub struct EventsQuery {
    last: Option<String>,
}

struct StreamState {
    state: AppState,
    access: Access,
    events: broadcast::Receiver<RoomEvent>,
    shutdown: tokio::sync::watch::Receiver<bool>,
    heartbeat: tokio::time::Interval,
    /// The client's cursor position: what it has.
    last_id: i64,
    /// The room position at that cursor (or less; see `Messages::pos_at`).
    last_pos: i64,
    pending: VecDeque<Bytes>,
    /// The last read of the store filled a batch: more may follow, read
    /// once `pending` has been sent.
    behind: bool,
    done: bool,
    /// The session the stream was opened with; it ends with it.
    session_id: Option<String>,
    /// When that session runs out, unless it is extended meanwhile.
    expiry: std::pin::Pin<Box<tokio::time::Sleep>>,
    /// The selector of the API token the stream was opened with, if any;
    /// the stream ends when the token is revoked.
    token: Option<String>,
    /// With a host identity hook: the request the stream was opened with,
    /// to ask the hook again whether it still signs the user in.
    /// (Boxed: most sites have no hook, and every stream holds this.)
    host: Option<Box<crate::identity::OwnedHead>>,
    /// Frees the user's stream slot when the stream ends.
    _slot: crate::web::throttle::StreamSlot,
    /// Counts the stream as open while it lives.
    _open: crate::metrics::Held,
}

/// Opens the stream.
#[utoipa::path(
    get,
    path = "/{slug}/api/events/",
    tag = "messages",
    params(
        ("slug" = String, Path, description = "The room's slug"),
        ("last" = Option<i64>, Query, description = "Resume after this cursor (or send `Last-Event-ID`)", minimum = 0)
    ),
    responses(
        (status = 200, description = "Server-Sent Events: `message`, `change`, `users`, `typing` (docs/api.md)", content_type = "text/event-stream", body = String),
        crate::web::openapi::RoomErrors
    )
)]
#[tracing::instrument(level = "debug", skip_all, fields(slug = %slug))]
pub async fn stream(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<EventsQuery>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if crate::web::csrf::is_cross_site(&headers) {
        return Err(AppError::Forbidden(
            "The event stream cannot be opened from another site.".to_owned(),
        )
        .into());
    }
    let access = open(&state, &viewer, &slug).await?;
    let slot =
        state
            .throttle
            .open_stream(access.user.id)
            .ok_or_else(|| AppError::TooManyRequests {
                message: "You have too many open connections. Close some tabs and try again."
                    .to_owned(),
                wait: STREAM_REFUSED_RETRY_AFTER,
            })?;
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .or(q.last.as_deref())
        .filter(|v| !v.trim().is_empty());
    // Subscribe before reading the store, so nothing falls in between.
    let events = state.chat.hub.subscribe(access.room.id);
    let resume = match resume {
        Some(raw) => Some(
            raw.trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    AppError::BadRequest("Last-Event-ID must be an event id.".to_owned())
                })?,
        ),
        None => None,
    };
    let (last_id, last_pos) = state.chat.stream_start(&access, resume).await?;
    state.chat.seen(&access, true).await?;
    // The first heartbeat comes at a random point of the second half of
    // the period: streams opened together (every client reconnecting after
    // a restart) would otherwise beat together for as long as they live,
    // a spike of work every period instead of an even trickle.
    let period = Duration::from_secs(HEARTBEAT_SECS);
    let first = period.mul_f64(rand::random_range(0.5..1.0));
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + first, period);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let session_id = viewer.session.id();
    let expiry = Box::pin(tokio::time::sleep_until(instant_at(
        viewer.session.expires(),
    )));
    let open = crate::metrics::Held::new(&state.chat.metrics.open_streams);
    let host = state.identity.as_ref().map(|_| {
        Box::new(crate::identity::OwnedHead::of(
            crate::identity::RequestHead {
                method: &axum::http::Method::GET,
                uri: &uri,
                headers: &headers,
                peer: peer.map(|p| p.0.0.ip()),
            },
        ))
    });
    let token = viewer.grant.as_ref().map(|g| g.token.selector.clone());
    let mut s = StreamState {
        token,
        host,
        session_id,
        expiry,
        shutdown: state.shutdown.clone(),
        state,
        access: kept(access),
        events,
        heartbeat,
        last_id,
        last_pos,
        pending: VecDeque::new(),
        behind: false,
        done: false,
        _slot: slot,
        _open: open,
    };
    // Catch up first, then the current members.
    s.refill().await?;
    let members = s.state.chat.members(s.access.room.id).await?;
    s.push_users(domain::now(), &members);
    let frames = futures_util::stream::unfold(Box::new(s), next_frame).map(Ok::<Bytes, Infallible>);
    let mut response = Body::from_stream(frames).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    // Authenticated content is never stored by caches.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The stream's next frame. This future is what an idle stream holds, one
/// per open stream, so it is kept small: the state lives in a box of its
/// own (an async fn's argument is stored twice in its future), and work
/// that waits on the store is boxed when it starts (inline, the largest
/// such future sized every idle stream's). The future was 2,384 bytes; now
/// it is 288, and the state's box 896. The next message in line, the
/// common event, waits on nothing and allocates nothing.
async fn next_frame(mut s: Box<StreamState>) -> Option<(Bytes, Box<StreamState>)> {
    loop {
        if let Some(frame) = s.pending.pop_front() {
            if s.pending.is_empty() && s.pending.capacity() > PENDING_KEPT {
                // A catch-up grew the queue; a stream keeps its capacity
                // for as long as it lives, and most of that is idle.
                s.pending.shrink_to(PENDING_KEPT);
            }
            return Some((frame, s));
        }
        if s.done {
            return None;
        }
        if s.behind {
            // The next batch of a catch-up, before anything live.
            if *s.shutdown.borrow() {
                s.done = true;
                return Some((SHUTDOWN_FRAME, s));
            }
            Box::pin(s.handle(Wait::Gap)).await;
            continue;
        }
        tokio::select! {
            _ = s.shutdown.changed() => {
                s.done = true;
                return Some((SHUTDOWN_FRAME, s));
            }
            _ = s.heartbeat.tick() => {
                // A host that logged its user out without telling us
                // (`App::identity_ended`), or a revocation whose notice was
                // lost, is noticed here at the latest.
                if (s.host.is_some() || s.token.is_some()) && !Box::pin(s.session_holds()).await {
                    return None;
                }
                match Box::pin(s.state.chat.keepalive(&s.access)).await {
                    Ok(()) => {}
                    Err(crate::service::ServiceError::NoSuchRoom) => return None,
                    Err(e) => tracing::warn!(error = %crate::error_chain(&e), "stream keepalive failed"),
                }
                return Some((HEARTBEAT, s));
            }
            () = &mut s.expiry => {
                if !Box::pin(s.session_holds()).await {
                    return None;
                }
            }
            received = s.events.recv() => {
                if let Some(wait) = s.take(received) {
                    Box::pin(s.handle(wait)).await;
                }
            }
        }
    }
}

/// What an event needs the store for (see [`StreamState::take`]).
enum Wait {
    /// Something committed that the stream has not seen yet: read it.
    Gap,
    /// The user's sessions ended: does the stream's still hold?
    SessionsEnded,
    /// Something changed elsewhere: access first, then what was missed.
    Resync,
}

/// What a stream keeps of its access: all of it but the user's password
/// hash, which a stream never reads and need not hold for days (nor its
/// bytes, one copy per open stream).
fn kept(mut access: Access) -> Access {
    access.user.password_hash = String::new();
    access
}

/// The moment of a Unix time (far ahead when there is none).
fn instant_at(unix: Option<i64>) -> tokio::time::Instant {
    const FAR: Duration = Duration::from_secs(365 * 24 * 3600);
    let wait = unix.map_or(FAR, |at| {
        Duration::from_secs(u64::try_from(at - domain::now()).unwrap_or(0))
    });
    tokio::time::Instant::now() + wait.min(FAR)
}

impl StreamState {
    /// Whether the stream's session still signs its user in; if so, the
    /// expiry timer follows the session's current end.
    async fn session_holds(&mut self) -> bool {
        if let Some(selector) = &self.token {
            return match crate::service::tokens::still_live(&self.state.chat.store, selector).await
            {
                Ok(live) => live,
                Err(e) => {
                    // Unknown is not ended: the next change or heartbeat asks again.
                    tracing::warn!(error = %crate::error_chain(&e), "checking a stream's token failed");
                    true
                }
            };
        }
        if let (Some(host), Some(seam)) = (&self.host, &self.state.identity) {
            return seam
                .still(&self.state, host.head(), self.access.user.id)
                .await;
        }
        let Some(id) = &self.session_id else {
            return true;
        };
        match crate::web::auth::session_still_valid(&self.state, id, self.access.user.id).await {
            Ok(Some(expires)) => {
                let at = instant_at(Some(expires));
                self.expiry.as_mut().reset(at);
                true
            }
            Ok(None) => false,
            Err(e) => {
                // Unknown is not ended: the next change or expiry asks again.
                tracing::warn!(error = ?e, "checking a stream's session failed");
                self.expiry
                    .as_mut()
                    .reset(tokio::time::Instant::now() + Duration::from_secs(HEARTBEAT_SECS));
                true
            }
        }
    }

    /// Takes an event that needs no waiting (the common case: the next
    /// message in line), or says what [`Self::handle`] must wait for.
    fn take(&mut self, received: Result<RoomEvent, RecvError>) -> Option<Wait> {
        match received {
            Ok(RoomEvent::Message(m)) if m.rev <= self.last_id => {}
            // Next in line: a change comes to a stream that had the message
            // (its posting came earlier in the same run), a new one is new.
            Ok(RoomEvent::Message(m))
                if m.pos == self.last_pos + 1 && (m.id <= self.last_id) == m.changed() =>
            {
                let slug = &self.access.room.slug;
                let wire = m.wire.get_or_init(|| {
                    let view = MessageView::new(&self.state, slug, &m.message);
                    frame(
                        event_name(&m.message, self.last_id),
                        Some(m.rev),
                        &serde_json::to_string(&view).unwrap_or_default(),
                    )
                });
                self.pending.push_back(wire.clone());
                self.last_id = m.rev;
                self.last_pos = m.pos;
            }
            Ok(RoomEvent::Presence {
                time,
                members,
                wire,
            }) => {
                let wire = wire.get_or_init(|| {
                    frame(
                        "users",
                        None,
                        &users_json(self.state.prefix(), time, &members),
                    )
                });
                self.pending.push_back(wire.clone());
            }
            Ok(RoomEvent::AccessRevoked { user_id }) => {
                if user_id == self.access.user.id {
                    self.done = true;
                }
            }
            Ok(RoomEvent::SessionsEnded { user_id }) if user_id != self.access.user.id => {}
            Ok(RoomEvent::Closed) | Err(RecvError::Closed) => self.done = true,
            Ok(RoomEvent::Typing { username, .. }) => {
                let data = serde_json::json!({ "user": &*username }).to_string();
                self.pending.push_back(frame("typing", None, &data));
            }
            // A gap: something committed that this stream has not seen yet.
            Ok(RoomEvent::Message(_)) | Err(RecvError::Lagged(_)) => return Some(Wait::Gap),
            Ok(RoomEvent::SessionsEnded { .. }) => return Some(Wait::SessionsEnded),
            Ok(RoomEvent::Resync) => return Some(Wait::Resync),
        }
        None
    }

    /// Does what [`Self::take`] left waiting.
    async fn handle(&mut self, wait: Wait) {
        let result = match wait {
            Wait::SessionsEnded => {
                if !self.session_holds().await {
                    self.done = true;
                }
                Ok(())
            }
            // Something changed elsewhere: access first, then what was missed.
            Wait::Resync => match self.state.chat.recheck(&self.access).await {
                Ok(_) if !self.session_holds().await => {
                    self.done = true;
                    Ok(())
                }
                Ok(access) => {
                    self.access = kept(access);
                    self.refill().await
                }
                Err(crate::service::ServiceError::NoSuchRoom) => {
                    self.done = true;
                    Ok(())
                }
                Err(e) => Err(e.into()),
            },
            Wait::Gap => self.refill().await,
        };
        if let Err(e) = result {
            // The client reconnects with Last-Event-ID and resumes from the store.
            tracing::warn!(error = %e.0, "stream refill failed; closing");
            self.done = true;
        }
    }

    /// Reads the next batch of what the stream has not seen. A stream far
    /// behind catches up one batch at a time, each read once the one before
    /// has been sent (see `behind`): reading all of it at once held a frame
    /// of every missed message in memory, in every stream that had missed
    /// them.
    async fn refill(&mut self) -> Result<(), ApiError> {
        let batch = self.state.chat.since(&self.access, self.last_id).await?;
        self.behind = batch.len() >= BATCH_LIMIT as usize;
        for m in &batch {
            self.push_message(m);
        }
        Ok(())
    }

    fn push_message(&mut self, m: &Message) {
        let view = MessageView::new(&self.state, &self.access.room.slug, m);
        if let Ok(json) = serde_json::to_string(&view) {
            let event = event_name(m, self.last_id);
            self.pending.push_back(frame(event, Some(m.rev), &json));
        }
        self.last_id = m.rev;
        self.last_pos = m.pos;
    }

    fn push_users(&mut self, time: i64, members: &[Member]) {
        let wire = users_json(self.state.prefix(), time, members);
        self.pending.push_back(frame("users", None, &wire));
    }
}

/// The event a message is sent as to a client whose cursor is `cursor`:
/// `change` when the client has it (its id is at most the cursor), else
/// `message` (a new message, perhaps changed since it was sent).
fn event_name(m: &Message, cursor: i64) -> &'static str {
    if m.id <= cursor { "change" } else { "message" }
}

/// The `users` event's data: the members as the API shows them, at `time`.
fn users_json(prefix: &str, time: i64, members: &[Member]) -> String {
    let users: Vec<UserView> = members
        .iter()
        .map(|m| UserView::new(prefix, m, time))
        .collect();
    serde_json::json!({ "time": time, "users": users }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_follow_the_event_stream_format() {
        assert_eq!(
            frame("message", Some(7), r#"{"a":1}"#),
            Bytes::from_static(b"event: message\nid: 7\ndata: {\"a\":1}\n\n")
        );
        assert_eq!(
            frame("users", None, "one\ntwo"),
            Bytes::from_static(b"event: users\ndata: one\ndata: two\n\n")
        );
    }
}
