//! The compatible JSON API: shapes and errors (`docs/api.md`).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{TestApp, stored_messages};

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test]
async fn poll_send_and_history_answer_the_original_shapes() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;

    let (status, body) = alice
        .api("general/api/poll/", &[("last", "0"), ("hasFocus", "true")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        keys(&body),
        ["changes", "last", "messages", "success", "time", "users"]
    );
    assert_eq!(body["success"], true);
    assert_eq!(body["last"], 0);
    assert_eq!(body["messages"], Value::Array(vec![]));
    let users = body["users"].as_array().expect("users");
    assert_eq!(users.len(), 2);
    assert_eq!(
        keys(&users[0]),
        [
            "active",
            "avatar",
            "colour",
            "display_name",
            "has_focus",
            "last_seen",
            "last_spoke",
            "username"
        ]
    );
    assert_eq!(users[0]["username"], "alice");
    assert_eq!(users[0]["active"], true);
    assert_eq!(users[0]["has_focus"], true);
    assert_eq!(users[0]["last_spoke"], -1);
    // Added without a colour: each got a palette colour of their own.
    let colour = |u: &Value| u["colour"].as_str().expect("colour").to_owned();
    assert!(
        conversate::domain::colour::PALETTE[1..]
            .iter()
            .any(|(hex, _)| *hex == colour(&users[0]))
    );
    assert_ne!(colour(&users[0]), colour(&users[1]));
    assert_eq!(users[1]["username"], "bob");
    assert_eq!(users[1]["active"], false);
    assert_eq!(users[1]["last_seen"], -1);

    let (status, body) = alice
        .api(
            "general/api/send/",
            &[
                ("content", "hello *world*"),
                ("last", "0"),
                ("hasFocus", "true"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        keys(&body),
        ["changes", "last", "messages", "success", "time", "users"]
    );
    let m = &body["messages"][0];
    // The original's four fields, and the later additions old clients ignore.
    assert_eq!(
        keys(m),
        [
            "content",
            "deleted",
            "edited",
            "mentions",
            "pk",
            "reactions",
            "reply",
            "reply_to",
            "time",
            "user"
        ]
    );
    assert_eq!(m["content"], "<p>hello <em>world</em></p>\n");
    assert_eq!(m["user"], "alice");
    let pk = m["pk"].as_i64().expect("pk");
    assert_eq!(body["last"], pk);
    // Seconds since she spoke, counted at the answer's `time`: 0 unless the
    // clock passed a second between the send and the answer.
    let (sent, answered) = (m["time"].as_i64(), body["time"].as_i64());
    let spoke = body["users"][0]["last_spoke"].as_i64().expect("last_spoke");
    assert_eq!(Some(spoke), answered.zip(sent).map(|(a, s)| a - s));
    assert!((0..5).contains(&spoke), "spoke {spoke} s before the answer");

    for i in 0..7 {
        alice
            .api("general/api/send/", &[("content", &format!("m{i}"))])
            .await;
    }
    let (_, body) = alice
        .api(
            "general/api/poll/",
            &[("last", &pk.to_string()), ("hasFocus", "false")],
        )
        .await;
    assert_eq!(body["messages"].as_array().expect("messages").len(), 7);
    let newest = body["last"].as_i64().expect("last");

    let (status, body) = alice
        .api("general/api/history/", &[("first", &newest.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&body), ["first", "messages", "remaining", "success"]);
    let msgs = body["messages"].as_array().expect("messages");
    assert_eq!(msgs.len(), 5, "a page (PAGE_SIZE = 5)");
    assert_eq!(body["first"], msgs[0]["pk"]);
    assert_eq!(body["remaining"], 2);
    assert!(
        msgs.windows(2)
            .all(|w| w[0]["pk"].as_i64() < w[1]["pk"].as_i64()),
        "oldest first"
    );
}

/// Path, fields, expected status, expected words in the error.
type ErrorCase<'a> = (&'a str, Vec<(&'a str, &'a str)>, StatusCode, &'a str);

#[tokio::test]
async fn every_error_has_the_original_shape_and_a_fitting_status() {
    let app = TestApp::start_with(|c| c.max_message_chars = 50).await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let long_content = "z".repeat(51);
    let long_client_id = "c".repeat(65);
    let cases: Vec<ErrorCase> = vec![
        (
            "general/api/poll/",
            vec![],
            StatusCode::BAD_REQUEST,
            "The field 'last' is required.",
        ),
        (
            "general/api/poll/",
            vec![("last", "abc")],
            StatusCode::BAD_REQUEST,
            "The field 'last' must be a message id",
        ),
        (
            "general/api/poll/",
            vec![("last", "-1")],
            StatusCode::BAD_REQUEST,
            "The field 'last' must be a message id",
        ),
        (
            "general/api/poll/",
            vec![("last", "99999999999999999999999")],
            StatusCode::BAD_REQUEST,
            "must be a message id",
        ),
        (
            "general/api/poll/",
            vec![("last", "0"), ("wait", "x")],
            StatusCode::BAD_REQUEST,
            "The field 'wait'",
        ),
        (
            "general/api/history/",
            vec![],
            StatusCode::BAD_REQUEST,
            "The field 'first' is required.",
        ),
        (
            "general/api/history/",
            vec![("first", "1.5")],
            StatusCode::BAD_REQUEST,
            "The field 'first' must be a message id",
        ),
        (
            "general/api/send/",
            vec![("content", "")],
            StatusCode::BAD_REQUEST,
            "The message is empty.",
        ),
        (
            "general/api/send/",
            vec![("content", &long_content)],
            StatusCode::PAYLOAD_TOO_LARGE,
            "longer than 50 characters",
        ),
        (
            "general/api/send/",
            vec![("content", "x"), ("last", "x")],
            StatusCode::BAD_REQUEST,
            "The field 'last'",
        ),
        (
            "general/api/send/",
            vec![("content", "x"), ("client_id", &long_client_id)],
            StatusCode::BAD_REQUEST,
            "client_id",
        ),
        (
            "nope/api/poll/",
            vec![("last", "0")],
            StatusCode::NOT_FOUND,
            "No such room.",
        ),
        (
            "general/api/nothing/",
            vec![],
            StatusCode::NOT_FOUND,
            "Page not found.",
        ),
    ];
    for (path, fields, status, error) in cases {
        let (got, body) = alice.api(path, &fields).await;
        assert_eq!(got, status, "{path} {fields:?}: {body}");
        assert_eq!(keys(&body), ["error", "success"], "{path}");
        assert_eq!(body["success"], false);
        assert!(
            body["error"].as_str().expect("error").contains(error),
            "{path} {fields:?}: {body}"
        );
    }
    let anon = app.browser();
    let (status, body) = anon.api("general/api/poll/", &[("last", "0")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no session, no token");
    assert_eq!(body["success"], false);
    let mut anon = app.browser();
    anon.refresh_csrf().await;
    let (_, html) = anon.text("login/").await;
    anon.csrf = crate::support::csrf_in(&html).expect("token");
    let (status, body) = anon.api("general/api/poll/", &[("last", "0")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "You are not logged in.");
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
}

#[tokio::test]
async fn a_repeated_send_with_the_same_client_id_stores_one_message() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let fields = [
        ("content", "only once"),
        ("client_id", "abc-123"),
        ("last", "0"),
    ];
    let (_, first) = alice.api("general/api/send/", &fields).await;
    let (_, second) = alice.api("general/api/send/", &fields).await;
    assert_eq!(first["messages"], second["messages"]);
    assert_eq!(stored_messages(&app.store, room.id).await, 1);
    let bob = app.login("bob").await;
    bob.api("general/api/send/", &fields).await;
    assert_eq!(
        stored_messages(&app.store, room.id).await,
        2,
        "client ids are per member"
    );
}

#[tokio::test]
async fn a_poll_from_far_behind_gets_a_bounded_batch() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let chat_batch = conversate::service::chat::BATCH_LIMIT as usize;
    crate::support::post_bulk(&app.store, room.id, "alice", chat_batch + 10).await;
    let alice = app.login("alice").await;
    let (_, body) = alice.api("general/api/poll/", &[("last", "0")]).await;
    let got = body["messages"].as_array().expect("messages");
    assert_eq!(got.len(), chat_batch);
    assert_eq!(body["last"], got[chat_batch - 1]["pk"]);
    let (_, rest) = alice
        .api("general/api/poll/", &[("last", &body["last"].to_string())])
        .await;
    assert_eq!(rest["messages"].as_array().expect("messages").len(), 10);
}

#[tokio::test]
async fn long_poll_answers_as_soon_as_a_message_arrives() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let started = Instant::now();
    let waiter = tokio::spawn(async move {
        alice
            .api("general/api/poll/", &[("last", "0"), ("wait", "20")])
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    bob.api("general/api/send/", &[("content", "wake up")])
        .await;
    let (status, body) = waiter.await.expect("joined");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["messages"][0]["content"], "<p>wake up</p>\n");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "did not wait for the full 20 s"
    );
}

#[tokio::test]
async fn long_poll_with_nothing_new_ends_after_the_wait() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let started = Instant::now();
    let (status, body) = alice
        .api("general/api/poll/", &[("last", "0"), ("wait", "1")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["messages"], Value::Array(vec![]));
    assert!(started.elapsed() >= Duration::from_millis(900));
}

fn contents(answer: &Value) -> Vec<String> {
    answer["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["content"].as_str().expect("content").trim().to_owned())
        .collect()
}

#[tokio::test]
async fn a_send_answers_with_everything_since_the_senders_last_message_and_nothing_cleared() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;

    let (_, first) = alice
        .api("general/api/send/", &[("content", "a1"), ("last", "0")])
        .await;
    let first_pk = first["last"].as_i64().expect("last");
    for i in 0..3 {
        bob.api("general/api/send/", &[("content", &format!("b{i}"))])
            .await;
    }
    let (_, answer) = alice
        .api(
            "general/api/send/",
            &[("content", "a2"), ("last", &first_pk.to_string())],
        )
        .await;
    assert_eq!(
        contents(&answer),
        ["<p>b0</p>", "<p>b1</p>", "<p>b2</p>", "<p>a2</p>"],
        "others' messages since alice's last, then hers, in order"
    );
    let stored: Vec<i64> = app
        .store
        .messages()
        .messages_after(room.id, first_pk, 100)
        .await
        .expect("read")
        .iter()
        .map(|m| m.id)
        .collect();
    let answered: Vec<i64> = answer["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["pk"].as_i64().expect("pk"))
        .collect();
    assert_eq!(answered, stored, "the answer is what the database holds");
    assert_eq!(answer["last"], stored[stored.len() - 1]);

    app.create_user("root", true).await;
    let root = app.login("root").await;
    let (status, html) = root.text("admin/rooms/general/clear/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Please confirm"));
    let r = root.post_form("admin/rooms/general/clear/", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, answer) = alice
        .api(
            "general/api/send/",
            &[("content", "a3"), ("last", &first_pk.to_string())],
        )
        .await;
    assert_eq!(
        contents(&answer),
        ["<p>a3</p>"],
        "after a clear no cleared message comes back"
    );
}

#[tokio::test]
async fn a_send_answer_always_holds_the_senders_own_message_even_past_a_gap_in_memory() {
    // Another sender's message of the same group commit may not have
    // passed through this node's hub yet when the sender's own has: the
    // in-memory window then has a gap before the sender's message.
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let (_, first) = alice
        .api("general/api/send/", &[("content", "a1"), ("last", "0")])
        .await;
    let first_pk = first["last"].as_i64().expect("last");
    bob.api("general/api/send/", &[("content", "b1")]).await;
    // Stored, but never published to the hub: the gap.
    let bob_id = app.user_id("bob").await;
    crate::store::post(&app.store, room.id, bob_id, "unseen").await;

    let (status, answer) = alice
        .api(
            "general/api/send/",
            &[("content", "a2"), ("last", &first_pk.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        contents(&answer),
        ["<p>b1</p>", "<p>unseen</p>", "<p>a2</p>"],
        "everything since alice's last, through her own message"
    );
}
