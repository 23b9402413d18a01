//! Access or a session ended reaches open event streams and long-polls at
//! once: by another process (the command line; on SQLite the server
//! notices its commit, on PostgreSQL its notice comes through the relay),
//! and by a logout, a password change or reset, in this process.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::events::EventReader;
use crate::support::{Browser, PASSWORD, TestApp};

/// Well under the stream's 15 s heartbeat and any cache lifetime: the end
/// must come from the change itself.
const PROMPTLY: Duration = Duration::from_secs(5);

/// `b`'s event stream of room `general`, open and past its first event.
async fn watching(b: &Browser) -> EventReader {
    let mut stream = EventReader::open(b, "general/api/events/", None).await;
    stream.next_of("users").await;
    stream
}

async fn ends_promptly(stream: &mut EventReader, what: &str) {
    let started = Instant::now();
    tokio::time::timeout(PROMPTLY, stream.expect_end())
        .await
        .unwrap_or_else(|_| panic!("{what}: the stream was still open after {PROMPTLY:?}"));
    assert!(started.elapsed() < PROMPTLY);
}

#[tokio::test]
async fn a_member_removed_by_the_command_line_loses_their_open_stream_and_long_poll() {
    let app = TestApp::start().await;
    app.with_room().await;
    let bob = app.login("bob").await;
    let mut stream = watching(&bob).await;

    // A long-poll waiting for news at the same time.
    let poller = app.login("bob").await;
    let poll = tokio::spawn(async move {
        let r = poller
            .post_form(
                "general/api/poll/",
                &[("last", "0"), ("hasFocus", "1"), ("wait", "25")],
            )
            .await;
        let status = r.status();
        (status, r.json::<Value>().await.ok())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (ok, _, err) = app
        .cli(&["room", "remove-member", "general", "bob", "--yes"], "")
        .await;
    assert!(ok, "{err}");
    ends_promptly(&mut stream, "removed member").await;

    let (status, body) = tokio::time::timeout(PROMPTLY, poll)
        .await
        .expect("the long-poll answers promptly")
        .expect("poll task");
    assert_eq!(status, StatusCode::NOT_FOUND, "{body:?}");

    // And nothing more for bob in that room.
    let r = bob
        .post_form("general/api/poll/", &[("last", "0"), ("hasFocus", "1")])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_user_deactivated_by_the_command_line_loses_their_open_stream() {
    let app = TestApp::start().await;
    app.with_room().await;
    let bob = app.login("bob").await;
    let mut stream = watching(&bob).await;

    let (ok, _, err) = app.cli(&["user", "deactivate", "bob", "--yes"], "").await;
    assert!(ok, "{err}");
    ends_promptly(&mut stream, "deactivated user").await;
}

#[tokio::test]
async fn other_members_streams_stay_open_and_keep_delivering() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let mut stream = watching(&alice).await;

    let (ok, _, err) = app
        .cli(&["room", "remove-member", "general", "bob", "--yes"], "")
        .await;
    assert!(ok, "{err}");
    let r = alice
        .post_form(
            "general/api/send/",
            &[("content", "still here"), ("last", "0")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let m = stream.next_of("message").await;
    assert_eq!(m.data["content"], "<p>still here</p>\n");
}

/// A long-poll of `b`'s session waiting for news, as a task.
fn long_poll(b: &Browser) -> tokio::task::JoinHandle<(StatusCode, Option<Value>)> {
    let (client, url, csrf) = (b.client.clone(), b.url("general/api/poll/"), b.csrf.clone());
    tokio::spawn(async move {
        let r = client
            .post(url)
            .header("X-CSRFToken", csrf)
            .form(&[("last", "0"), ("hasFocus", "1"), ("wait", "25")])
            .send()
            .await
            .expect("poll");
        let status = r.status();
        (status, r.json::<Value>().await.ok())
    })
}

#[tokio::test]
async fn logging_out_ends_the_sessions_open_stream_and_long_poll_at_once() {
    let app = TestApp::start().await;
    app.with_room().await;
    let bob = app.login("bob").await;
    let mut stream = watching(&bob).await;
    let poll = long_poll(&bob);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let r = bob.post_form("logout/", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    ends_promptly(&mut stream, "logged out").await;
    let (status, body) = tokio::time::timeout(PROMPTLY, poll)
        .await
        .expect("the long-poll answers promptly")
        .expect("poll task");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body.expect("JSON")["messages"],
        Value::Array(vec![]),
        "and tells nothing"
    );
}

#[tokio::test]
async fn a_password_change_ends_the_users_other_sessions_streams() {
    let app = TestApp::start().await;
    app.with_room().await;
    let laptop = app.login("bob").await;
    let mut stream = watching(&laptop).await;

    let phone = app.login("bob").await;
    let r = phone
        .post_form(
            "account/password/",
            &[
                ("current", PASSWORD),
                ("password", "a new long password"),
                ("password2", "a new long password"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    ends_promptly(&mut stream, "password changed elsewhere").await;
}

#[tokio::test]
async fn an_admin_password_reset_ends_the_users_streams() {
    let app = TestApp::start().await;
    app.with_room().await;
    app.create_user("root", true).await;
    let bob = app.login("bob").await;
    let mut stream = watching(&bob).await;
    let root = app.login("root").await;
    let r = root
        .post_form(
            "admin/users/bob/password/",
            &[
                ("password", "reset by root"),
                ("password2", "reset by root"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    ends_promptly(&mut stream, "password reset").await;
}

#[tokio::test]
async fn a_logout_leaves_the_users_other_sessions_streams_open() {
    let app = TestApp::start().await;
    app.with_room().await;
    let laptop = app.login("bob").await;
    let mut stream = watching(&laptop).await;
    let phone = app.login("bob").await;
    phone.post_form("logout/", &[]).await;
    let alice = app.login("alice").await;
    alice
        .api("general/api/send/", &[("content", "for the laptop")])
        .await;
    let m = stream.next_of("message").await;
    assert_eq!(m.data["content"], "<p>for the laptop</p>\n");
}

#[tokio::test]
async fn a_stream_ends_when_its_session_runs_out() {
    // No cache, so the stream opens with the shortened lifetime below.
    let app = TestApp::start_with(|c| c.cache_ms = 0).await;
    app.with_room().await;
    let bob = app.login("bob").await;
    let soon = conversate::domain::now() + 3;
    crate::auth::raw_sql(
        &app,
        &format!("UPDATE sessions SET expires = {soon} RETURNING id"),
    )
    .await;
    // On SQLite the server notices this outside commit and re-checks open
    // streams; let that pass first, so the stream has to end by its timer.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let mut stream = watching(&bob).await;
    let started = std::time::Instant::now();
    stream.expect_end().await;
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "ended when the session ran out, not at a later heartbeat: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn revoking_a_token_ends_its_open_stream_and_long_poll_at_once() {
    use crate::tokens::{bearer_browser, make_token, token_id};
    let app = TestApp::start().await;
    app.with_room().await;
    let bob = app.login("bob").await;
    let revoked = make_token(&bob, "revoked", &["read"], "").await;
    let kept = make_token(&bob, "kept", &["read"], "").await;
    let with_revoked = bearer_browser(&app.base, &revoked);
    let mut stream = watching(&with_revoked).await;
    let mut other = watching(&bearer_browser(&app.base, &kept)).await;
    let poll = long_poll(&with_revoked);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let id = token_id(&bob, "revoked").await;
    let r = bob
        .post_form("account/tokens/revoke/", &[("id", &id)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    ends_promptly(&mut stream, "revoked token").await;
    let (status, _) = tokio::time::timeout(PROMPTLY, poll)
        .await
        .expect("the long-poll answers promptly")
        .expect("poll task");
    assert_eq!(status, StatusCode::OK);
    let (status, _) = long_poll(&with_revoked).await.expect("poll task");
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "and the next request is refused"
    );

    // The holder's other token keeps its stream.
    let alice = app.login("alice").await;
    let (status, _) = alice
        .api("general/api/send/", &[("content", "still here")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let m = other.next_of("message").await;
    assert_eq!(m.data["content"], "<p>still here</p>\n");
}
