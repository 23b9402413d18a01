//! The Server-Sent Events stream: live delivery, resumption, presence.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Browser, TestApp};

/// One parsed SSE event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<String>,
    pub data: Value,
}

/// A minimal SSE reader over a streaming response.
pub struct EventReader {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
}

impl EventReader {
    pub async fn open(b: &Browser, path: &str, last_event_id: Option<&str>) -> Self {
        let mut request = b
            .client
            .get(b.url(path))
            .header("Accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let r = request.send().await.expect("stream opens");
        assert_eq!(r.status(), StatusCode::OK);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("text/event-stream")
        );
        Self {
            body: Box::pin(r.bytes_stream()),
            buffer: String::new(),
        }
    }

    /// The next event of the given kind (skipping comments and others), within 10 s.
    pub async fn next_of(&mut self, kind: &str) -> SseEvent {
        tokio::time::timeout(Duration::from_secs(10), self.try_next_of(kind))
            .await
            .expect("an event within 10 s")
            .expect("the stream stays open")
    }

    /// The next event of the given kind (`*`: any), or `None` when the
    /// stream ends or fails.
    pub async fn try_next_of(&mut self, kind: &str) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = String::from("message");
                let mut id = None;
                let mut data = String::new();
                let mut any = false;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                        any = true;
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim_start());
                        any = true;
                    }
                }
                if any && (kind == "*" || event == kind) {
                    return Some(SseEvent {
                        event,
                        id,
                        data: serde_json::from_str(&data).expect("JSON data"),
                    });
                }
                continue;
            }
            let chunk = self.body.next().await?.ok()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Opens a stream, returning `None` instead of failing when the server refuses.
    pub async fn try_open(b: &Browser, path: &str, last_event_id: Option<&str>) -> Option<Self> {
        let mut request = b
            .client
            .get(b.url(path))
            .header("Accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let r = request.send().await.ok()?;
        if r.status() != StatusCode::OK {
            return None;
        }
        Some(Self {
            body: Box::pin(r.bytes_stream()),
            buffer: String::new(),
        })
    }

    /// Waits (up to 20 s) until the server ends the stream.
    pub async fn expect_end(&mut self) {
        tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                match self.body.next().await {
                    None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                }
            }
        })
        .await
        .expect("the stream ends");
    }

    /// Whether another message event arrives within `wait`.
    async fn message_within(&mut self, wait: Duration) -> Option<SseEvent> {
        tokio::time::timeout(wait, self.next_of("message"))
            .await
            .ok()
    }
}

async fn send(b: &Browser, text: &str) -> i64 {
    let (status, body) = b.api("general/api/send/", &[("content", text)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["last"].as_i64().expect("id")
}

#[tokio::test]
async fn messages_arrive_live_in_order_with_ids() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let mut stream = EventReader::open(&bob, "general/api/events/", None).await;
    let users = stream.next_of("users").await;
    assert_eq!(users.event, "users");
    assert!(users.data["users"].as_array().expect("users").len() == 2);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(send(&alice, &format!("live {i}")).await);
    }
    for (i, id) in ids.iter().enumerate() {
        let e = stream.next_of("message").await;
        assert_eq!(e.id.as_deref(), Some(id.to_string().as_str()));
        assert_eq!(e.data["pk"], *id);
        assert_eq!(e.data["user"], "alice");
        assert_eq!(e.data["content"], format!("<p>live {i}</p>\n"));
    }
}

#[tokio::test]
async fn resuming_with_last_event_id_delivers_exactly_the_missed_messages() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let first = send(&alice, "before").await;
    let mut stream = EventReader::open(&bob, "general/api/events/", None).await;
    let seen = send(&alice, "seen live").await;
    assert_eq!(stream.next_of("message").await.data["pk"], seen);
    drop(stream);

    let mut missed = Vec::new();
    for i in 0..7 {
        missed.push(send(&alice, &format!("missed {i}")).await);
    }
    let mut resumed = EventReader::open(&bob, "general/api/events/", Some(&seen.to_string())).await;
    for id in &missed {
        let e = resumed.next_of("message").await;
        assert_eq!(e.data["pk"], *id, "in order, no gaps");
    }
    let after = send(&alice, "after").await;
    assert_eq!(
        resumed.next_of("message").await.data["pk"],
        after,
        "no duplicates, then live"
    );
    assert!(
        resumed
            .message_within(Duration::from_millis(300))
            .await
            .is_none()
    );
    assert!(first < seen);

    let mut from_query = EventReader::open(
        &bob,
        &format!("general/api/events/?last={}", missed[5]),
        None,
    )
    .await;
    assert_eq!(from_query.next_of("message").await.data["pk"], missed[6]);
    assert_eq!(from_query.next_of("message").await.data["pk"], after);
}

/// A stream resumed from far behind (more than two of the store's batches)
/// gets every missed message once, in order, and then the live ones: the
/// catch-up reads one batch at a time, each after the one before was sent.
#[tokio::test]
async fn a_stream_far_behind_gets_every_missed_message_once_in_order() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let batch = conversate::service::chat::BATCH_LIMIT as usize;
    let posted = crate::support::post_bulk(&app.store, room.id, "alice", 2 * batch + 37).await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let mut stream = EventReader::open(&bob, "general/api/events/", Some("0")).await;
    let mut got = Vec::new();
    while got.len() < posted.len() {
        let e = stream.next_of("message").await;
        got.push(e.data["pk"].as_i64().expect("pk"));
    }
    assert_eq!(got, posted, "every missed message once, in order");
    let live = send(&alice, "live after the catch-up").await;
    assert_eq!(stream.next_of("message").await.data["pk"], live);
    assert!(
        stream
            .message_within(Duration::from_millis(300))
            .await
            .is_none(),
        "nothing twice"
    );
}

#[tokio::test]
async fn presence_changes_are_pushed() {
    let app = TestApp::start().await;
    app.with_room().await;
    let bob = app.login("bob").await;
    let mut stream = EventReader::open(&bob, "general/api/events/", None).await;
    let initial = stream.next_of("users").await;
    let alice_before = initial.data["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == "alice")
        .cloned()
        .expect("alice");
    assert_eq!(alice_before["active"], false);
    let alice = app.login("alice").await;
    alice
        .api("general/api/poll/", &[("last", "0"), ("hasFocus", "true")])
        .await;
    loop {
        let e = stream.next_of("users").await;
        let a = e.data["users"]
            .as_array()
            .expect("users")
            .iter()
            .find(|u| u["username"] == "alice")
            .cloned()
            .expect("alice");
        if a["active"] == true {
            assert_eq!(a["has_focus"], true);
            break;
        }
    }
}

#[tokio::test]
async fn the_stream_refuses_strangers_and_bad_resume_ids() {
    let app = TestApp::start().await;
    app.with_room().await;
    let carol = app.login("carol").await;
    let r = carol.get("general/api/events/").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["success"], false);
    let anon = app.browser();
    assert_eq!(
        anon.get("general/api/events/").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let bob = app.login("bob").await;
    let r = bob
        .client
        .get(bob.url("general/api/events/"))
        .header("Last-Event-ID", "x")
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn shutdown_ends_open_streams() {
    let mut app = TestApp::start().await;
    app.with_room().await;
    let bob = app.login("bob").await;
    let mut stream = EventReader::open(&bob, "general/api/events/", None).await;
    stream.next_of("users").await;
    // Graceful shutdown must not hang on the open stream.
    app.shutdown().await;
}

#[tokio::test]
async fn the_stream_refuses_cross_site_requests_and_records_no_presence() {
    let app = TestApp::start().await;
    app.with_room().await;
    let bob = app.login("bob").await;
    for (name, value) in [
        ("Sec-Fetch-Site", "cross-site".to_owned()),
        ("Sec-Fetch-Site", "same-site".to_owned()),
        ("Origin", "https://evil.example".to_owned()),
    ] {
        let r = bob
            .client
            .get(bob.url("general/api/events/"))
            .header("Accept", "text/event-stream")
            .header(name, value.clone())
            .send()
            .await
            .expect("answer");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{name}: {value}");
    }
    let (room_id, bob_id) = (app.room_id("general").await, app.user_id("bob").await);
    let member = app
        .store
        .rooms()
        .member(room_id, bob_id)
        .await
        .expect("member");
    assert_eq!(
        member.presence.last_seen, None,
        "a refused stream is no sign of life"
    );
    // The same browser on the chat's own origin still gets its stream.
    let same = bob
        .client
        .get(bob.url("general/api/events/"))
        .header("Accept", "text/event-stream")
        .header("Sec-Fetch-Site", "same-origin")
        .send()
        .await
        .expect("answer");
    assert_eq!(same.status(), StatusCode::OK);
}
