//! API tokens and bot accounts (`docs/api.md`, API tokens): made on the
//! account page and shown once, stored hashed, used with
//! `Authorization: Bearer` instead of the cookie and the CSRF token,
//! limited by scope and room, throttled, revoked.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Browser, TestApp, stored_messages};

/// The secret shown once on a page, if any.
pub fn secret_in(html: &str) -> Option<String> {
    let marker = "<code class=\"cv-secret\">";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find("</code>")?;
    Some(html[start..start + end].to_owned())
}

/// Makes a personal token through the account page; answers it.
pub async fn make_token(b: &Browser, name: &str, scopes: &[&str], room: &str) -> String {
    let mut fields = vec![("name", name), ("room", room)];
    for s in scopes {
        fields.push((s, "on"));
    }
    let r = b.post_form("account/tokens/", &fields).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("page");
    secret_in(&html).expect("the new token is shown")
}

/// A browser-like client for the site at `base` that sends `token` as
/// `Authorization: Bearer` on every request (and keeps no session).
pub fn bearer_browser(base: &str, token: &str) -> Browser {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    Browser {
        client: reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        jar: std::sync::Arc::new(reqwest::cookie::Jar::default()),
        base: base.to_owned(),
        csrf: String::new(),
    }
}

/// The id of `user`'s token named `name`, from the account page.
pub async fn token_id(b: &Browser, name: &str) -> String {
    let (_, page) = b.text("account/").await;
    let at = page
        .find(&format!("<td>{name}</td>"))
        .expect("the token is listed");
    let marker = "data-token-id=\"";
    // The row's id comes before its name.
    let start = page[..at].rfind(marker).expect("its id") + marker.len();
    page[start..start + page[start..].find('"').expect("id")].to_owned()
}

/// A plain client with no cookies.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// POSTs a form to the API with a bearer token (and no CSRF token).
pub async fn bearer_post(
    app: &TestApp,
    token: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let r = client()
        .post(app.url(path))
        .bearer_auth(token)
        .form(fields)
        .send()
        .await
        .expect("POST");
    let status = r.status();
    (status, r.json().await.expect("JSON"))
}

async fn bearer_get(app: &TestApp, token: &str, path: &str) -> (StatusCode, Value) {
    let r = client()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET");
    let status = r.status();
    (status, r.json().await.expect("JSON"))
}

#[tokio::test]
async fn a_token_is_shown_once_stored_hashed_and_listed_with_its_last_use() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let token = make_token(&alice, "laptop script", &["read", "post"], "").await;
    assert!(token.starts_with("cv_"), "{token}");

    let (_, page) = alice.text("account/").await;
    assert!(secret_in(&page).is_none(), "shown only once");
    assert!(!page.contains(&token));
    assert!(page.contains("laptop script") && page.contains("never"));

    let selector = &token[3..19];
    let secret = &token[20..];
    let stored = app
        .store
        .integrations()
        .token_by_selector(selector)
        .await
        .expect("stored");
    assert_ne!(stored.secret_hash, secret, "not stored in the clear");
    assert!(!stored.secret_hash.contains(secret));
    assert_eq!(stored.last_used_at, None);

    let (status, body) = bearer_get(&app, &token, "api/rooms/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["rooms"][0]["slug"], "general");
    let used = app
        .store
        .integrations()
        .token_by_selector(selector)
        .await
        .expect("stored")
        .last_used_at;
    assert!(used.is_some(), "its use is recorded");
    // A second use within the minute writes nothing new.
    bearer_get(&app, &token, "api/rooms/").await;
    let (_, page) = alice.text("account/").await;
    assert!(!page.contains(">never<"), "the list shows the last use");
}

#[tokio::test]
async fn with_a_token_cookies_are_ignored_and_no_csrf_token_is_needed() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let bob_token = make_token(&bob, "bot", &["read", "post"], "").await;

    // Alice's browser, with her cookies, sends bob's token and no CSRF token.
    let r = alice
        .client
        .post(alice.url("general/api/send/"))
        .bearer_auth(&bob_token)
        .form(&[("content", "from the token")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers().get("set-cookie").is_none(),
        "no session is written"
    );
    let body: Value = r.json().await.expect("JSON");
    let sent = body["messages"]
        .as_array()
        .expect("messages")
        .last()
        .expect("one");
    assert_eq!(sent["user"], "bob", "the token's holder sends, not alice");

    // A wrong token with good cookies is refused: the cookie does not count.
    let r = alice
        .client
        .post(alice.url("general/api/poll/"))
        .bearer_auth("cv_0000000000000000_nope")
        .header("X-CSRFToken", &alice.csrf)
        .form(&[("last", "0")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().get("www-authenticate").is_some());
    assert_eq!(stored_messages(&app.store, room.id).await, 1);
}

#[tokio::test]
async fn wrong_malformed_and_revoked_tokens_are_refused_and_change_nothing() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let token = make_token(&alice, "t", &["read", "post"], "").await;
    let wrong_secret = format!("{}{}", &token[..20], "0".repeat(64));
    for bad in [wrong_secret.as_str(), "cv_", "hello", ""] {
        let (status, body) = bearer_post(&app, bad, "general/api/send/", &[("content", "x")]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad:?}: {body}");
        assert_eq!(body["success"], false);
    }
    assert_eq!(stored_messages(&app.store, room.id).await, 0);

    let id = app
        .store
        .integrations()
        .token_by_selector(&token[3..19])
        .await
        .expect("stored")
        .id
        .to_string();
    // Bob cannot revoke alice's token.
    let bob = app.login("bob").await;
    let r = bob
        .post_form("account/tokens/revoke/", &[("id", &id)])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, _) = bearer_post(&app, &token, "general/api/send/", &[("content", "ok")]).await;
    assert_eq!(status, StatusCode::OK);

    let r = alice
        .post_form("account/tokens/revoke/", &[("id", &id)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, body) =
        bearer_post(&app, &token, "general/api/send/", &[("content", "after")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked at once: {body}");
    assert_eq!(stored_messages(&app.store, room.id).await, 1);
    let r = alice
        .post_form("account/tokens/revoke/", &[("id", &id)])
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "already revoked");
    let (_, page) = alice.text("account/").await;
    assert!(page.contains("revoked "), "listed as revoked");
}

#[tokio::test]
async fn a_token_is_held_to_its_scopes() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let reader = make_token(&alice, "reader", &["read"], "").await;
    let poster = make_token(&alice, "poster", &["post"], "").await;

    let (status, _) = bearer_post(&app, &reader, "general/api/poll/", &[("last", "0")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) =
        bearer_post(&app, &reader, "general/api/send/", &[("content", "no")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["error"],
        "This token may not post; it lacks the 'post' scope."
    );
    let (status, _) = bearer_post(&app, &reader, "general/api/typing/", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(stored_messages(&app.store, room.id).await, 0);

    let (status, _) = bearer_post(&app, &poster, "general/api/send/", &[("content", "yes")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = bearer_post(&app, &poster, "general/api/poll/", &[("last", "0")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body["error"],
        "This token may not read; it lacks the 'read' scope."
    );
    let (status, _) = bearer_get(&app, &poster, "api/rooms/").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_token_limited_to_a_room_sees_every_other_room_as_missing() {
    let app = TestApp::start().await;
    app.with_room().await;
    app.create_room("other", "Other").await;
    app.add_member("other", "alice").await;
    let alice = app.login("alice").await;
    let token = make_token(&alice, "general only", &["read", "post"], "general").await;

    let (status, _) = bearer_post(&app, &token, "general/api/poll/", &[("last", "0")]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, other) = bearer_post(&app, &token, "other/api/poll/", &[("last", "0")]).await;
    let (missing_status, missing) =
        bearer_post(&app, &token, "nosuch/api/poll/", &[("last", "0")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!((status, &other), (missing_status, &missing), "same answer");
    let (status, _) = bearer_post(&app, &token, "other/api/send/", &[("content", "x")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        stored_messages(&app.store, app.room_id("other").await).await,
        0
    );

    let (_, body) = bearer_get(&app, &token, "api/rooms/").await;
    let slugs: Vec<&str> = body["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .filter_map(|r| r["slug"].as_str())
        .collect();
    assert_eq!(slugs, ["general"]);
    let (status, body) = bearer_get(&app, &token, "api/search/?q=hello").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // A room the user is not in cannot be chosen.
    let r = alice
        .post_form(
            "account/tokens/",
            &[("name", "x"), ("read", "on"), ("room", "secret")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.expect("page");
    assert!(html.contains("There is no room"));
    assert!(secret_in(&html).is_none());
}

#[tokio::test]
async fn the_token_form_refuses_bad_input_with_a_sentence_and_makes_nothing() {
    let app = TestApp::start_with(|c| c.limits.tokens_per_user = 1).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let alice_id = app.user_id("alice").await;
    for (fields, sentence) in [
        (
            vec![("name", "no scope")],
            "Please choose at least one scope",
        ),
        (
            vec![("name", "  "), ("read", "on")],
            "Please give it a name.",
        ),
    ] {
        let r = alice.post_form("account/tokens/", &fields).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let html = r.text().await.expect("page");
        assert!(html.contains(sentence), "{sentence}");
    }
    let long = "n".repeat(81);
    let r = alice
        .post_form("account/tokens/", &[("name", &long), ("read", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        app.store
            .integrations()
            .tokens_of(alice_id)
            .await
            .expect("list")
            .is_empty()
    );
    make_token(&alice, "one", &["read"], "").await;
    let r = alice
        .post_form("account/tokens/", &[("name", "two"), ("read", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "TOKENS_PER_USER");
    // Without the CSRF token, the form is refused.
    let mut forged = app.login("alice").await;
    forged.csrf = "x".to_owned();
    let r = forged
        .post_form("account/tokens/", &[("name", "f"), ("read", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.store
            .integrations()
            .tokens_of(alice_id)
            .await
            .expect("list")
            .len(),
        1
    );
}

#[tokio::test]
async fn a_token_is_throttled_like_a_member() {
    let app = TestApp::start_with(|c| c.limits.sends_per_minute = 2).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let token = make_token(&alice, "fast", &["post"], "").await;
    for n in 0..2 {
        let (status, _) = bearer_post(
            &app,
            &token,
            "general/api/send/",
            &[("content", &format!("{n}"))],
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let r = client()
        .post(app.url("general/api/send/"))
        .bearer_auth(&token)
        .form(&[("content", "third")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    // The same member's browser shares the limit.
    let (status, _) = alice.api("general/api/send/", &[("content", "b")]).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_admin_makes_bots_that_cannot_log_in_and_act_through_tokens() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    app.create_user("root", true).await;
    let root = app.login("root").await;
    let r = root
        .post_form("admin/integrations/bots/", &[("username", "ci-bot")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = root
        .post_form("admin/integrations/bots/", &[("username", "ci-bot")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "taken");
    let r = root
        .post_form("admin/rooms/general/members/", &[("username", "ci-bot")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let r = root
        .post_form(
            "admin/integrations/bots/ci-bot/tokens/",
            &[("name", "ci"), ("post", "on"), ("room", "general")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let token = secret_in(&r.text().await.expect("page")).expect("shown once");
    let (status, body) = bearer_post(
        &app,
        &token,
        "general/api/send/",
        &[("content", "build green")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let messages = app
        .store
        .messages()
        .messages_after(room.id, 0, 10)
        .await
        .expect("messages");
    assert_eq!(messages[0].username, "ci-bot");

    // A bot has no password that works, and makes no tokens of its own.
    let mut b = app.browser();
    for password in ["", "!bot", "ci-bot"] {
        let r = b.login("ci-bot", password).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // Someone not a bot cannot be given a bot token.
    let r = root
        .post_form(
            "admin/integrations/bots/alice/tokens/",
            &[("name", "x"), ("read", "on")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let log = app.store.audit().audit_log(20).await.expect("audit");
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"bot.create") && actions.contains(&"token.create"));
    let (_, page) = root.text("admin/integrations/").await;
    assert!(page.contains("ci-bot") && page.contains("root"));
    assert!(secret_in(&page).is_none());
}

#[tokio::test]
async fn the_event_stream_takes_a_token() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let token = make_token(&alice, "stream", &["read"], "").await;
    let r = client()
        .get(app.url("general/api/events/"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/event-stream")
    );
    let other = app.create_room("other", "Other").await;
    let _ = other;
    let r = client()
        .get(app.url("other/api/events/"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "not a member");
}

#[tokio::test]
async fn the_command_line_makes_a_token_shown_once() {
    let app = TestApp::start().await;
    app.with_room().await;
    let (ok, out, err) = app
        .cli(&["user", "token", "alice", "--name", "cron", "--read"], "")
        .await;
    assert!(ok, "{err}");
    assert!(err.is_empty(), "{err}");
    let token = out.trim();
    let (status, body) = bearer_get(&app, token, "api/rooms/").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = bearer_post(&app, token, "general/api/send/", &[("content", "x")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "read only");
    let (ok, _, err) = app
        .cli(&["user", "token", "alice", "--name", "none"], "")
        .await;
    assert!(!ok);
    assert!(err.contains("at least one scope"), "{err}");
}
