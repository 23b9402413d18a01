//! The message lifecycle: edits, deletions, replies, reactions, permalinks
//! and moderation, on every transport and without JavaScript.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::events::EventReader;
use crate::storage::Storage;
use crate::support::{Browser, TestApp};

crate::on_each_storage! {
    deleted_file => a_deleted_messages_file_is_gone_from_storage,
        a_deleted_messages_file_is_gone_from_storage_on_s3;
}

/// Sends `content` to `general` through the API; answers the new message.
pub async fn send(b: &Browser, content: &str) -> Value {
    let (status, body) = b.api("general/api/send/", &[("content", content)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let messages = body["messages"].as_array().expect("messages");
    messages
        .iter()
        .rev()
        .find(|m| m["content"].as_str().is_some_and(|c| c.contains(content)))
        .cloned()
        .expect("the new message is in the answer")
}

fn pk(m: &Value) -> String {
    m["pk"].as_i64().expect("pk").to_string()
}

/// A poll of `general` after cursor `last`: (messages, changes, last).
pub async fn poll(b: &Browser, last: &str) -> (Vec<Value>, Vec<Value>, i64) {
    let (status, body) = b
        .api(
            "general/api/poll/",
            &[("last", last), ("hasFocus", "false")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (
        body["messages"].as_array().expect("messages").clone(),
        body["changes"].as_array().expect("changes").clone(),
        body["last"].as_i64().expect("last"),
    )
}

fn contents(list: &[Value]) -> Vec<&str> {
    list.iter()
        .map(|m| m["content"].as_str().expect("content"))
        .collect()
}

#[tokio::test]
async fn edits_and_deletions_reach_streams_long_polls_and_polls_once_in_order() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let one = send(&alice, "one").await;
    let two = send(&alice, "two").await;
    let start = pk(&two);

    // Bob listens three ways from the same cursor.
    let mut stream = EventReader::open(&bob, "general/api/events/", Some(&start)).await;
    let held = {
        let bob = Browser {
            client: bob.client.clone(),
            jar: bob.jar.clone(),
            base: bob.base.clone(),
            csrf: bob.csrf.clone(),
        };
        let start = start.clone();
        tokio::spawn(async move {
            bob.api(
                "general/api/poll/",
                &[
                    ("last", start.as_str()),
                    ("hasFocus", "false"),
                    ("wait", "20"),
                ],
            )
            .await
        })
    };
    // Let the long-poll be held before the edit (it answers either way).
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (status, edited) = alice
        .api(
            "general/api/edit/",
            &[("id", &pk(&one)), ("content", "one, *fixed*")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["message"]["content"], "<p>one, <em>fixed</em></p>\n");
    assert!(edited["message"]["edited"].as_i64().is_some());
    assert_eq!(edited["message"]["deleted"], false);

    let (status, long) = held.await.expect("long-poll");
    assert_eq!(status, StatusCode::OK, "{long}");
    assert_eq!(long["messages"], Value::Array(Vec::new()), "{long}");
    assert_eq!(
        contents(long["changes"].as_array().expect("changes")),
        ["<p>one, <em>fixed</em></p>\n"]
    );
    let edit_cursor = long["last"].as_i64().expect("last");
    assert!(edit_cursor > two["pk"].as_i64().expect("pk"));

    let three = send(&alice, "three").await;
    let (status, deleted) = alice.api("general/api/delete/", &[("id", &pk(&two))]).await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["message"]["deleted"], true);

    // The stream: the edit, the new message, the deletion, in that order.
    let mut seen = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..3 {
        let e = stream.next_of("*").await;
        if e.event == "users" || e.event == "typing" {
            continue;
        }
        ids.push(
            e.id.clone()
                .expect("id")
                .parse::<i64>()
                .expect("numeric id"),
        );
        seen.push((
            e.event.clone(),
            e.data["pk"].as_i64().expect("pk"),
            e.data["deleted"] == true,
        ));
    }
    while seen.len() < 3 {
        let e = stream.next_of("*").await;
        if e.event == "message" || e.event == "change" {
            ids.push(
                e.id.clone()
                    .expect("id")
                    .parse::<i64>()
                    .expect("numeric id"),
            );
            seen.push((
                e.event.clone(),
                e.data["pk"].as_i64().expect("pk"),
                e.data["deleted"] == true,
            ));
        }
    }
    let n = |m: &Value| m["pk"].as_i64().expect("pk");
    assert_eq!(
        seen,
        vec![
            ("change".to_owned(), n(&one), false),
            ("message".to_owned(), n(&three), false),
            ("change".to_owned(), n(&two), true),
        ]
    );
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids rise: {ids:?}");
    assert_eq!(ids[0], edit_cursor);

    // A later poll from the same cursor: each once; nothing after.
    let (messages, changes, last) = poll(&bob, &start).await;
    assert_eq!(contents(&messages), ["<p>three</p>\n"]);
    let changed: Vec<(i64, bool)> = changes
        .iter()
        .map(|m| (n(m), m["deleted"] == true))
        .collect();
    assert_eq!(changed, vec![(n(&one), false), (n(&two), true)]);
    assert_eq!(last, ids[2]);
    let (messages, changes, again) = poll(&bob, &last.to_string()).await;
    assert!(messages.is_empty() && changes.is_empty());
    assert_eq!(again, last);

    // A stream resuming at the cursor replays the same three, once.
    let mut resumed = EventReader::open(&bob, "general/api/events/", Some(&start)).await;
    let mut replay = Vec::new();
    while replay.len() < 3 {
        let e = resumed.next_of("*").await;
        if e.event == "message" || e.event == "change" {
            replay.push(e.id.expect("id").parse::<i64>().expect("numeric"));
        }
    }
    assert_eq!(replay, ids);

    // A client from the start sees the current state, as new messages.
    let (messages, changes, _) = poll(&bob, "0").await;
    assert!(changes.is_empty());
    assert_eq!(
        contents(&messages),
        [
            "<p>one, <em>fixed</em></p>\n",
            "<p class=\"cv-tombstone\"><em>message deleted</em></p>\n",
            "<p>three</p>\n"
        ]
    );
    // A reload shows the same.
    let (_, html) = bob.text("general/").await;
    assert!(html.contains("one, <em>fixed</em>"));
    assert!(html.contains("cv-edited"));
    assert!(html.contains("message deleted"));
    assert!(!html.contains("<p>two</p>"));
}

#[tokio::test]
async fn only_the_author_edits_and_only_the_author_or_an_admin_deletes() {
    let app = TestApp::start().await;
    app.with_room().await;
    app.create_user("root", true).await;
    app.create_room("other", "Other").await;
    app.add_member("other", "alice").await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let carol = app.login("carol").await;
    let root = app.login("root").await;
    let m = send(&alice, "mine").await;
    let id = pk(&m);

    let (status, body) = bob
        .api("general/api/edit/", &[("id", &id), ("content", "his")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "Only its author can edit a message.");
    let (status, body) = bob.api("general/api/delete/", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["error"],
        "Only its author or an administrator can delete a message."
    );
    // An admin may not put words in someone's mouth either.
    let (status, _) = root
        .api("general/api/edit/", &[("id", &id), ("content", "x")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Strangers get the missing room's answer, whatever they ask.
    let missing = carol
        .api("nosuch/api/edit/", &[("id", &id), ("content", "x")])
        .await;
    for path in [
        "general/api/edit/",
        "general/api/delete/",
        "general/api/react/",
    ] {
        let answer = carol
            .api(path, &[("id", &id), ("content", "x"), ("emoji", "👍")])
            .await;
        assert_eq!(answer.0, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.1, missing.1, "{path}");
    }
    // A message of another room is no message here.
    let (status, _) = alice
        .api("other/api/send/", &[("content", "elsewhere")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let other = app
        .store
        .messages()
        .newest_cursor(app.room_id("other").await)
        .await
        .expect("id");
    let (status, body) = alice
        .api(
            "general/api/edit/",
            &[("id", &other.to_string()), ("content", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "No such message.");
    // Bad input, one sentence each.
    let (status, body) = alice
        .api("general/api/edit/", &[("id", &id), ("content", "  ")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "The message is empty.");
    let (status, _) = alice.api("general/api/edit/", &[("content", "x")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Without the CSRF token nothing changes.
    let r = alice
        .client
        .post(alice.url("general/api/delete/"))
        .form(&[("id", id.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The admin removes it; the audit log says so; it cannot be edited now.
    let (status, body) = root.api("general/api/delete/", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let log = app.store.audit().audit_log(10).await.expect("audit");
    assert!(
        log.iter().any(|e| e.action == "message.delete"
            && e.actor_name == "root"
            && e.target == format!("general/{id}")),
        "{log:?}"
    );
    let (status, body) = alice
        .api("general/api/edit/", &[("id", &id), ("content", "back")])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(body["error"], "That message was deleted.");
    // Deleting again changes nothing and is no error.
    let (status, _) = alice.api("general/api/delete/", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_edit_window_closes_editing_but_not_deleting() {
    let app = TestApp::start_with(|c| c.edit_window = 1).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let m = send(&alice, "quick").await;
    let id = pk(&m);
    let (status, _) = alice
        .api("general/api/edit/", &[("id", &id), ("content", "quicker")])
        .await;
    assert_eq!(status, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = alice
        .api("general/api/edit/", &[("id", &id), ("content", "too late")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["error"],
        "Messages can be edited for 1 second after sending; this one no longer can."
    );
    let (status, _) = alice.api("general/api/delete/", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::OK);
}

async fn deleted_file(storage: Storage) {
    let app = TestApp::start_with(|c| storage.apply(c)).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let (status, body) = alice
        .upload("notes.txt", b"private notes".to_vec(), "see")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = pk(&body["messages"][0]);
    assert_eq!(storage.stored(&app.config).await.len(), 1);
    let (status, _) = alice.text(&format!("general/file/{id}/")).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = alice.api("general/api/delete/", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        storage.stored(&app.config).await.is_empty(),
        "the file's bytes are removed"
    );
    let gone = alice.text(&format!("general/file/{id}/")).await;
    assert_eq!(gone.0, StatusCode::NOT_FOUND);
    assert_eq!(gone, alice.text("general/file/999999/").await);
    // Nothing of the text is left in the database either.
    let stored = app
        .store
        .messages()
        .message(app.room_id("general").await, id.parse().expect("id"))
        .await
        .expect("tombstone");
    assert!(stored.content.is_empty() && stored.html.is_empty() && stored.file.is_none());
    assert!(stored.deleted.is_some());
}

#[tokio::test]
async fn reactions_toggle_without_double_counts_under_concurrent_clicks() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let m = send(&alice, "react to me").await;
    let id = pk(&m);
    // Alice clicks five times, bob four, all at once.
    let by_alice = [("id", id.as_str()), ("emoji", ":thumbsup:")];
    let by_bob = [("id", id.as_str()), ("emoji", "👍")];
    let clicks = (0..5)
        .map(|_| alice.api("general/api/react/", &by_alice))
        .chain((0..4).map(|_| bob.api("general/api/react/", &by_bob)));
    for (status, body) in futures_util::future::join_all(clicks).await {
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (messages, _, _) = poll(&bob, "0").await;
    let reactions = &messages[0]["reactions"];
    assert_eq!(
        reactions,
        &serde_json::json!([{"emoji": "👍", "name": "thumbs up", "count": 1, "users": ["alice"]}])
    );
    // Once more each: alice's goes, bob's comes.
    alice
        .api("general/api/react/", &[("id", &id), ("emoji", "👍")])
        .await;
    let (_, body) = bob
        .api("general/api/react/", &[("id", &id), ("emoji", "👍")])
        .await;
    assert_eq!(
        body["message"]["reactions"][0]["users"],
        serde_json::json!(["bob"])
    );
    // Only emoji.
    let (status, body) = bob
        .api("general/api/react/", &[("id", &id), ("emoji", "<b>hi</b>")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"],
        "A reaction is one emoji, or a shortcode such as :thumbsup:."
    );
    // Without JavaScript: the form toggles and answers with the permalink.
    let r = bob
        .post_form("general/react/", &[("id", &id), ("emoji", "🎉")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/general/m/{id}/"));
    let (_, html) = bob.text(&format!("general/m/{id}/")).await;
    assert!(
        html.contains("aria-label=\"party popper: 1, bob\""),
        "{html}"
    );
}

#[tokio::test]
async fn a_reply_quotes_the_message_it_answers() {
    let app = TestApp::start().await;
    app.with_room().await;
    app.create_room("other", "Other").await;
    app.add_member("other", "alice").await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let question = send(&alice, "Lunch at noon?").await;
    let (status, body) = bob
        .api(
            "general/api/send/",
            &[("content", "Yes!"), ("reply_to", &pk(&question))],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let reply = body["messages"]
        .as_array()
        .expect("messages")
        .last()
        .cloned()
        .expect("reply");
    assert_eq!(reply["reply_to"], question["pk"]);
    assert_eq!(
        reply["reply"],
        serde_json::json!({"pk": question["pk"], "user": "alice", "excerpt": "Lunch at noon?", "deleted": false})
    );
    // Only to messages of the same room.
    let (_, other) = alice
        .api("other/api/send/", &[("content", "elsewhere")])
        .await;
    let elsewhere = pk(&other["messages"][0]);
    let (status, body) = bob
        .api(
            "general/api/send/",
            &[("content", "no"), ("reply_to", &elsewhere)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error"],
        "The message you are replying to is not in this room."
    );
    // Without JavaScript: ?reply= quotes it in the form, which sends it on.
    let (_, html) = bob.text(&format!("general/?reply={}", pk(&question))).await;
    assert!(html.contains(&format!("name=\"reply_to\" value=\"{}\"", pk(&question))));
    assert!(html.contains("Replying to"));
    // The page links the quote to the original's permalink.
    assert!(html.contains(&format!(
        "href=\"/general/m/{}/\" data-reply-to",
        pk(&question)
    )));
    // A deleted original shows as deleted in the reply.
    alice
        .api("general/api/delete/", &[("id", &pk(&question))])
        .await;
    let (messages, _, _) = poll(&bob, "0").await;
    assert_eq!(messages[1]["reply"]["deleted"], true);
    assert_eq!(messages[1]["reply"]["excerpt"], "");
}

#[tokio::test]
async fn permalinks_open_the_room_at_the_message_for_members_only() {
    let app = TestApp::start().await;
    app.with_room().await;
    app.create_room("other", "Other").await;
    app.add_member("other", "alice").await;
    let alice = app.login("alice").await;
    let carol = app.login("carol").await;
    let m = send(&alice, "remember this").await;
    let id = pk(&m);
    let (status, html) = alice.text(&format!("general/m/{id}/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("id=\"cv-m-{id}\"")));
    assert!(html.contains("cv-highlight"));
    assert!(html.contains("remember this"));

    let missing = carol.text("nosuch/").await;
    assert_eq!(missing.0, StatusCode::NOT_FOUND);
    assert_eq!(carol.text(&format!("general/m/{id}/")).await, missing);
    let (_, other) = alice
        .api("other/api/send/", &[("content", "elsewhere")])
        .await;
    let elsewhere = pk(&other["messages"][0]);
    assert_eq!(
        alice.text(&format!("general/m/{elsewhere}/")).await,
        alice.text("nosuch/").await
    );
    assert_eq!(
        alice.text("general/m/99999999/").await,
        alice.text("nosuch/").await
    );
    assert_eq!(
        alice.text("general/m/x/").await,
        alice.text("nosuch/").await
    );
    // Logged out: to the login page, as for any room URL.
    let r = app.browser().get(&format!("general/m/{id}/")).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn without_javascript_edit_and_delete_go_through_forms_with_a_confirmation() {
    let app = TestApp::start().await;
    app.with_room().await;
    app.create_user("root", true).await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let root = app.login("root").await;
    let r = alice.send("general", "tpyo").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let room = app.room_id("general").await;
    let id = app
        .store
        .messages()
        .newest_cursor(room)
        .await
        .expect("id")
        .to_string();

    // The page offers the author edit and delete, others neither.
    let (_, page) = alice.text("general/").await;
    assert!(page.contains(&format!("href=\"/general/m/{id}/edit/\"")));
    assert!(page.contains(&format!("href=\"/general/m/{id}/delete/\"")));
    let (_, page) = bob.text("general/").await;
    assert!(!page.contains(&format!("/general/m/{id}/edit/")));
    assert!(!page.contains(&format!("/general/m/{id}/delete/")));
    assert_eq!(
        bob.text(&format!("general/m/{id}/edit/")).await.0,
        StatusCode::FORBIDDEN
    );

    let (status, form) = alice.text(&format!("general/m/{id}/edit/")).await;
    assert_eq!(status, StatusCode::OK);
    // A newline right after <textarea> is not part of its value (HTML),
    // so text that starts with one keeps it.
    assert!(form.contains(">\ntpyo</textarea>"), "{form}");
    let r = alice
        .post_form("general/edit/", &[("id", &id), ("content", "typo")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/general/m/{id}/"));
    let (_, page) = bob.text(&format!("general/m/{id}/")).await;
    assert!(page.contains("<p>typo</p>") && page.contains("cv-edited"));

    // Edit history: administrators only.
    assert_eq!(
        bob.text(&format!("general/m/{id}/history/")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, history) = root.text(&format!("general/m/{id}/history/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(history.contains("tpyo") && history.contains("typo"));

    // Delete asks first; the form then removes it.
    let (status, confirm) = alice.text(&format!("general/m/{id}/delete/")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(confirm.contains("Delete this message?"));
    assert!(confirm.contains("action=\"/general/delete/\""));
    let r = alice.post_form("general/delete/", &[("id", &id)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = bob.text("general/").await;
    assert!(page.contains("message deleted") && !page.contains("<p>typo</p>"));
    // The history went with the text.
    let (_, history) = root.text(&format!("general/m/{id}/history/")).await;
    assert!(!history.contains("tpyo"));
}

#[tokio::test]
async fn deactivating_an_account_for_abuse_can_remove_all_its_messages() {
    let app = TestApp::start().await;
    app.with_room().await;
    app.create_user("root", true).await;
    app.create_user("mallory", false).await;
    app.add_member("general", "mallory").await;
    let mallory = app.login("mallory").await;
    let bob = app.login("bob").await;
    let root = app.login("root").await;
    send(&mallory, "spam one").await;
    let (status, _) = mallory
        .upload("spam.txt", b"spam".to_vec(), "spam two")
        .await;
    assert_eq!(status, StatusCode::OK);
    send(&bob, "an honest message").await;
    let mut stream = EventReader::open(&bob, "general/api/events/", None).await;
    stream.next_of("users").await;

    // The confirmation offers it, unticked.
    let (status, page) = root.text("admin/users/mallory/deactivate/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("type=\"checkbox\" name=\"remove_messages\" value=\"on\">"));
    assert!(!page.contains("checked"));
    let r = root
        .post_form(
            "admin/users/mallory/deactivate/",
            &[("remove_messages", "on")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Both went, live, and their file with them; bob's message stays.
    for _ in 0..2 {
        let e = stream.next_of("change").await;
        assert_eq!(e.data["user"], "mallory");
        assert_eq!(e.data["deleted"], true);
    }
    let (messages, _, _) = poll(&bob, "0").await;
    let shown: Vec<(&str, bool)> = messages
        .iter()
        .map(|m| (m["user"].as_str().expect("user"), m["deleted"] == true))
        .collect();
    assert_eq!(
        shown,
        vec![("mallory", true), ("mallory", true), ("bob", false)]
    );
    assert!(Storage::Local.stored(&app.config).await.is_empty());
    let log = app.store.audit().audit_log(10).await.expect("audit");
    assert!(
        log.iter().any(|e| e.action == "user.remove_messages"
            && e.target == "mallory"
            && e.detail == "2 messages deleted"),
        "{log:?}"
    );
}

#[tokio::test]
async fn a_deleted_message_is_left_out_of_the_alert_email() {
    use crate::mail::{SmtpSink, away, mail_app, opt_in, smtp_available};
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = mail_app(port, 2).await;
    app.with_room().await;
    opt_in(&app, "bob").await;
    let alice = app.login("alice").await;
    away().await;
    let oops = send(&alice, "the wrong secret").await;
    send(&alice, "never mind").await;
    let (status, _) = alice
        .api("general/api/delete/", &[("id", &pk(&oops))])
        .await;
    assert_eq!(status, StatusCode::OK);
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert!(mails[0].contains("never mind"));
    assert!(!mails[0].contains("wrong secret"), "{}", mails[0]);
}
