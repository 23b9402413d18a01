//! Catch-up: read cursors, unread and mention counts, where a room opens,
//! mentions, notification levels, typing (`docs/api.md`, Catch-up).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::events::EventReader;
use crate::support::{Browser, TestApp};

async fn send(b: &Browser, text: &str) -> i64 {
    let (status, body) = b.api("general/api/send/", &[("content", text)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["last"].as_i64().expect("id")
}

/// `GET /api/rooms/` as JSON.
async fn rooms(b: &Browser) -> Value {
    let r = b.get("api/rooms/").await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.expect("JSON");
    assert_eq!(body["success"], true);
    body
}

/// (unread, mentions, last_id) of room `general` for `b`.
async fn news(b: &Browser) -> (i64, i64, i64) {
    let body = rooms(b).await;
    let room = body["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .find(|r| r["slug"] == "general")
        .expect("general is listed");
    (
        room["unread"].as_i64().expect("unread"),
        room["mentions"].as_i64().expect("mentions"),
        room["last_id"].as_i64().expect("last_id"),
    )
}

async fn read(b: &Browser, last: i64) -> (StatusCode, Value) {
    b.api("general/api/read/", &[("last", &last.to_string())])
        .await
}

#[tokio::test]
async fn unread_and_mention_counts_follow_messages_reading_elsewhere_and_clearing() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob_phone = app.login("bob").await;
    let bob_laptop = app.login("bob").await;

    let body = rooms(&bob_phone).await;
    assert_eq!(
        body["rooms"][0].as_object().expect("room").len(),
        6,
        "slug, title, direct, unread, mentions, last_id: {body}"
    );
    assert_eq!(body["rooms"][0]["title"], "General");
    assert_eq!(news(&bob_phone).await, (0, 0, 0));

    let first = send(&alice, "one").await;
    let second = send(&alice, "two, @bob").await;
    let third = send(&alice, "three @BOB.").await;
    assert_eq!(news(&bob_phone).await, (3, 2, third));
    assert_eq!(
        news(&alice).await,
        (0, 0, third),
        "a poster has read what they answered"
    );

    // Reading on the laptop shows on the phone.
    let (status, body) = read(&bob_laptop, second).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        serde_json::json!({"success": true, "last_read": second})
    );
    assert_eq!(news(&bob_phone).await, (1, 1, third));

    // The cursor never moves backwards; beyond the newest it stops there.
    let (_, body) = read(&bob_phone, first).await;
    assert_eq!(body["last_read"], second);
    assert_eq!(news(&bob_laptop).await, (1, 1, third));
    let (_, body) = read(&bob_phone, third + 1_000).await;
    assert_eq!(body["last_read"], third);
    assert_eq!(news(&bob_laptop).await, (0, 0, third));

    // Bad input changes nothing.
    for bad in ["", "-1", "x", "1e3"] {
        let (status, body) = bob_phone.api("general/api/read/", &[("last", bad)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
        assert_eq!(body["success"], false);
    }
    assert_eq!(news(&bob_laptop).await, (0, 0, third));

    // A cleared room has nothing unread, and counts again from there.
    send(&alice, "four @bob").await;
    assert_eq!(news(&bob_phone).await.0, 1);
    let room = app.room_id("general").await;
    app.store.rooms().clear_room(room).await.expect("cleared");
    app.store.forget(None);
    assert_eq!(news(&bob_phone).await, (0, 0, 0));
    let fifth = send(&alice, "five").await;
    assert_eq!(news(&bob_phone).await, (1, 0, fifth));
}

#[tokio::test]
async fn a_poll_delivering_to_a_focused_window_reads_and_an_unfocused_one_does_not() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let id = send(&alice, "hello").await;

    let (status, _) = bob
        .api("general/api/poll/", &[("last", "0"), ("hasFocus", "false")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(news(&bob).await, (1, 0, id), "not looked at: still unread");
    bob.api("general/api/poll/", &[("last", "0"), ("hasFocus", "true")])
        .await;
    assert_eq!(news(&bob).await, (0, 0, id));
}

#[tokio::test]
async fn non_members_learn_nothing_from_the_rooms_list_or_the_read_cursor() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    send(&alice, "secret").await;
    let carol = app.login("carol").await;

    assert_eq!(rooms(&carol).await["rooms"], serde_json::json!([]));
    let (status, body) = read(&carol, 1).await;
    let (missing_status, missing_body) =
        carol.api("no-such-room/api/read/", &[("last", "1")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!((status, body), (missing_status, missing_body));
    let (status, _) = carol.api("general/api/typing/", &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let stranger = app.browser();
    assert_eq!(
        stranger.get("api/rooms/").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_room_opens_at_the_first_unread_message_with_a_summary() {
    let app = TestApp::start().await; // five messages a page
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    send(&alice, "seen before").await;
    bob.get("general/").await;

    let mut ids = Vec::new();
    for i in 1..=12 {
        let text = if i == 3 || i == 9 {
            format!("news {i} for @bob")
        } else {
            format!("news {i}")
        };
        ids.push(send(&alice, &text).await);
    }
    let (status, html) = bob.text("general/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("12 new messages from alice since"),
        "summary: {html}"
    );
    assert!(html.contains("2 mentions of you"));
    // More than a page unread: the page starts at the first unread message,
    // after the divider, and links to the newer ones.
    let divider = html.find("id=\"cv-unread\"").expect("the divider");
    let first = html
        .find(&format!("id=\"cv-m-{}\"", ids[0]))
        .expect("the first unread is shown");
    assert!(divider < first);
    assert!(!html.contains("seen before"), "starts after what was read");
    assert!(html.contains(&format!("?after={}", ids[4])));
    assert!(
        html.contains(&format!("href=\"#cv-m-{}\"", ids[2])),
        "a jump to the mention"
    );
    assert!(html.contains("cv-mentions-me"));
    assert_eq!(news(&bob).await.0, 7, "what the page showed is read");

    // The newer page (the no-JavaScript reader's way on) reads on.
    let (_, html) = bob.text(&format!("general/?after={}", ids[4])).await;
    assert!(html.contains("news 6") && html.contains("news 10"));
    assert!(!html.contains("id=\"cv-unread\""));
    assert_eq!(news(&bob).await.0, 2);

    // Fewer unread than a page: the newest page, divider before the first.
    let (_, html) = bob.text("general/").await;
    assert!(html.contains("2 new messages from alice"));
    let divider = html.find("id=\"cv-unread\"").expect("divider");
    assert!(divider < html.find("news 11").expect("news 11"));
    assert!(html.find("news 10").expect("news 10") < divider);
    assert_eq!(news(&bob).await.0, 0);
    let (_, html) = bob.text("general/").await;
    assert!(!html.contains("cv-unread") && !html.contains("cv-catchup"));
}

#[tokio::test]
async fn mentions_are_marked_up_listed_in_json_and_highlighted_for_the_viewer() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;

    let (_, body) = alice
        .api(
            "general/api/send/",
            &[(
                "content",
                "hi @BOB, see `@bob` and [@bob](https://x.example) and @carol",
            )],
        )
        .await;
    let m = &body["messages"][0];
    assert_eq!(
        m["mentions"],
        serde_json::json!(["bob"]),
        "carol is not a member"
    );
    let content = m["content"].as_str().expect("content");
    assert_eq!(
        content.matches("class=\"cv-mention\"").count(),
        1,
        "not in code or links: {content}"
    );
    assert!(content.contains("<span class=\"cv-mention\" data-user=\"bob\">@BOB</span>"));

    let (_, body) = alice
        .api("general/api/send/", &[("content", "@everyone lunch?")])
        .await;
    assert_eq!(
        body["messages"][0]["mentions"],
        serde_json::json!(["alice", "bob"])
    );

    let (_, html) = bob.text("general/").await;
    assert_eq!(
        html.matches("cv-mention cv-mention-me").count(),
        2,
        "{html}"
    );
    assert_eq!(html.matches("cv-message cv-mentions-me").count(), 2);
    let (_, html) = alice.text("general/").await;
    assert_eq!(
        html.matches("cv-mention-me").count(),
        0,
        "her own @everyone does not call for her attention"
    );

    // Typed markup cannot pass for a mention.
    let (_, body) = alice
        .api(
            "general/api/send/",
            &[(
                "content",
                "<span class=\"cv-mention\" data-user=\"bob\">x</span>",
            )],
        )
        .await;
    assert_eq!(body["messages"][0]["mentions"], serde_json::json!([]));
    assert!(
        !body["messages"][0]["content"]
            .as_str()
            .expect("content")
            .contains("<span")
    );
}

#[tokio::test]
async fn the_notification_level_is_saved_and_bad_levels_change_nothing() {
    let app = TestApp::start().await;
    app.with_room().await;
    let bob = app.login("bob").await;
    let r = bob
        .post_form("general/settings/", &[("alert", "on"), ("notify", "loud")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("all, mentions or none")
    );
    let (_, html) = bob.text("general/").await;
    assert!(html.contains("<option value=\"all\" selected>"));

    let r = bob
        .post_form(
            "general/settings/",
            &[("alert", "on"), ("notify", "mentions")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = bob.text("general/").await;
    assert!(html.contains("<option value=\"mentions\" selected>"));
    let data = &html[html.find("conversate-data").expect("data")..];
    assert!(
        data[..data.find("</script>").expect("end")].contains("\"notify\": \"mentions\""),
        "the page's script knows: {}",
        &data[..400]
    );
}

#[tokio::test]
async fn typing_reaches_other_event_streams_and_is_not_repeated_too_often() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let mut stream = EventReader::open(&bob, "general/api/events/", None).await;

    let (status, body) = alice.api("general/api/typing/", &[]).await;
    assert_eq!(
        (status, body["success"].clone()),
        (StatusCode::OK, Value::Bool(true))
    );
    let event = stream.next_of("typing").await;
    assert_eq!(event.data, serde_json::json!({"user": "alice"}));

    // A second signal at once is dropped; a message still comes through next.
    alice.api("general/api/typing/", &[]).await;
    send(&alice, "done typing").await;
    let next = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let e = stream.try_next_of("*").await.expect("stream open");
            if e.event != "users" {
                return e;
            }
        }
    })
    .await
    .expect("an event");
    assert_eq!(
        next.event, "message",
        "the repeated typing signal was dropped"
    );
}

#[tokio::test]
async fn the_notification_page_lists_decisions_for_mentions() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    send(&alice, "@bob are you there?").await;
    // Decisions are written off the send's path.
    let mut html = String::new();
    for _ in 0..100 {
        html = bob.text("account/notifications/").await.1;
        if html.contains("class=\"cv-notification\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(html.contains("e-mail alerts off"), "{html}");
    assert!(html.contains("no open window"));
    let (_, html) = alice.text("account/notifications/").await;
    assert!(
        !html.contains("class=\"cv-notification\""),
        "nothing about alice"
    );
    assert_eq!(
        app.browser().get("account/notifications/").await.status(),
        StatusCode::SEE_OTHER
    );
}
