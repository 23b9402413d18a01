//! Incoming webhooks (`docs/api.md`, Incoming webhooks): `POST /hooks/<token>/`
//! posts as a bot into its room; made and revoked by administrators, both
//! in the audit log; bad bodies and dead hooks change nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{Browser, TestApp, stored_messages};
use crate::tokens::secret_in;

/// An administrator `root` with a bot `notifier` and a webhook on room
/// `general` (of [`TestApp::with_room`]); answers root's browser and the
/// webhook's path.
async fn with_hook(app: &TestApp) -> (Browser, String) {
    app.with_room().await;
    app.create_user("root", true).await;
    let root = app.login("root").await;
    let r = root
        .post_form("admin/integrations/bots/", &[("username", "notifier")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = root
        .post_form(
            "admin/integrations/hooks/",
            &[("name", "CI"), ("room", "general"), ("bot", "notifier")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let address = secret_in(&r.text().await.expect("page")).expect("address shown once");
    let path = address
        .split_once("/hooks/")
        .map(|(_, rest)| format!("hooks/{rest}"))
        .expect("a hooks address");
    (root, path)
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

async fn post_json(app: &TestApp, path: &str, body: &Value) -> (StatusCode, Value) {
    let r = client()
        .post(app.url(path))
        .json(body)
        .send()
        .await
        .expect("POST");
    let status = r.status();
    (status, r.json().await.expect("JSON"))
}

async fn post_raw(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: &str,
) -> (StatusCode, Value) {
    let r = client()
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .expect("POST");
    let status = r.status();
    (status, r.json().await.expect("JSON"))
}

#[tokio::test]
async fn a_hook_posts_json_forms_and_slack_payloads_as_its_bot() {
    let app = TestApp::start().await;
    let (_root, path) = with_hook(&app).await;
    let room = app.room_id("general").await;

    let (status, body) = post_json(&app, &path, &json!({"text": "deploy *done*"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["success"], true);
    let r = client()
        .post(app.url(&path))
        .form(&[("text", "from a form")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::OK);
    let slack = json!({
        "username": "ignored",
        "icon_emoji": ":ghost:",
        "attachments": [{"fallback": "see <https://ci.example/1|build 1> &amp; logs"}]
    });
    let (status, _) = post_json(&app, &path, &slack).await;
    assert_eq!(status, StatusCode::OK);
    let payload = serde_json::to_string(&json!({"text": "legacy payload"})).expect("json");
    let r = client()
        .post(app.url(&path))
        .form(&[("payload", payload.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::OK);

    let messages = app
        .store
        .messages()
        .messages_after(room, 0, 10)
        .await
        .expect("messages");
    let texts: Vec<&str> = messages.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(
        texts,
        [
            "deploy *done*",
            "from a form",
            "see [build 1](https://ci.example/1) & logs",
            "legacy payload"
        ]
    );
    assert!(messages.iter().all(|m| m.username == "notifier"));
    assert!(
        messages[0].html.contains("<em>done</em>"),
        "rendered as Markdown"
    );
    // The bot became a member of the room with the hook.
    let members = app.store.rooms().members(room).await.expect("members");
    assert!(members.iter().any(|m| m.username == "notifier"));
}

#[tokio::test]
async fn a_hook_with_a_bad_body_answers_a_sentence_and_changes_nothing() {
    let app = TestApp::start().await;
    let (_root, path) = with_hook(&app).await;
    let room = app.room_id("general").await;
    for (content_type, body) in [
        ("application/json", "{\"text\": "),
        ("application/json", "[\"text\"]"),
        ("application/json", "{\"text\": 42}"),
        ("application/json", "{\"username\": \"x\"}"),
        ("application/json", "{\"text\": \"   \"}"),
        ("application/x-www-form-urlencoded", "other=1"),
        ("text/plain", "hello"),
    ] {
        let (status, answer) = post_raw(&app, &path, content_type, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["success"], false);
        let sentence = answer["error"].as_str().expect("a sentence");
        assert!(sentence.ends_with('.'), "{sentence}");
    }
    let long = "x".repeat(app.config.max_message_chars + 1);
    let (status, _) = post_json(&app, &path, &json!({ "text": long })).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(stored_messages(&app.store, room).await, 0);
}

#[tokio::test]
async fn a_revoked_or_wrong_hook_is_missing_and_both_changes_are_audited() {
    let app = TestApp::start().await;
    let (root, path) = with_hook(&app).await;
    let room = app.room_id("general").await;
    let wrong = format!("{}{}/", &path[..26], "0".repeat(64));
    for dead in [wrong.as_str(), "hooks/nothing/", "hooks/cv_0_0/"] {
        let (status, body) = post_json(&app, dead, &json!({"text": "x"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{dead}: {body}");
        assert_eq!(body["error"], "No such webhook.");
    }
    let (status, _) = post_json(&app, &path, &json!({"text": "before"})).await;
    assert_eq!(status, StatusCode::OK);

    let id = app.store.integrations().hooks().await.expect("hooks")[0]
        .id
        .to_string();
    let r = root
        .post_form("admin/integrations/hooks/revoke/", &[("id", &id)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, body) = post_json(&app, &path, &json!({"text": "after"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"], "No such webhook.");
    assert_eq!(stored_messages(&app.store, room).await, 1);

    let log = app.store.audit().audit_log(20).await.expect("audit");
    let hook_actions: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e.action.starts_with("hook."))
        .map(|e| (e.action.as_str(), e.actor_name.as_str()))
        .collect();
    assert_eq!(
        hook_actions,
        [("hook.revoke", "root"), ("hook.create", "root")]
    );
    let r = root
        .post_form("admin/integrations/hooks/revoke/", &[("id", &id)])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "already revoked");
}

#[tokio::test]
async fn a_hook_whose_bot_left_the_room_posts_nothing() {
    let app = TestApp::start().await;
    let (root, path) = with_hook(&app).await;
    let room = app.room_id("general").await;
    let r = root
        .post_form("admin/rooms/general/members/notifier/remove/", &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, body) = post_json(&app, &path, &json!({"text": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(stored_messages(&app.store, room).await, 0);
}

#[tokio::test]
async fn only_administrators_make_hooks_and_hooks_is_no_room_name() {
    let app = TestApp::start().await;
    let (root, _path) = with_hook(&app).await;
    let alice = app.login("alice").await;
    let r = alice
        .post_form(
            "admin/integrations/hooks/",
            &[("name", "x"), ("room", "general"), ("bot", "notifier")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.store.integrations().hooks().await.expect("hooks").len(),
        1
    );
    let r = root
        .post_form("admin/rooms/", &[("slug", "hooks"), ("title", "Hooks")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a reserved slug");
    // A hook for a person, not a bot, is refused.
    let r = root
        .post_form(
            "admin/integrations/hooks/",
            &[("name", "x"), ("room", "general"), ("bot", "alice")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
