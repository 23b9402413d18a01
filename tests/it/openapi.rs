//! The OpenAPI description (`GET /api/openapi.json`): generated from the
//! code, public, and true to the routes: every described operation is
//! routed, under any mount point. (CI also runs Schemathesis against it:
//! `.ci/schemathesis`.)

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::TestApp;
use crate::tokens::make_token;

async fn description(app: &TestApp) -> Value {
    let r = reqwest::get(app.url("api/openapi.json"))
        .await
        .expect("GET");
    assert_eq!(r.status(), StatusCode::OK, "public, no login needed");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("application/json")
    );
    r.json().await.expect("JSON")
}

#[tokio::test]
async fn the_description_is_served_and_covers_the_json_api() {
    let app = TestApp::start().await;
    let doc = description(&app).await;
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/{slug}/api/poll/",
        "/{slug}/api/send/",
        "/{slug}/api/history/",
        "/{slug}/api/presence/",
        "/{slug}/api/events/",
        "/{slug}/api/read/",
        "/{slug}/api/typing/",
        "/{slug}/api/edit/",
        "/{slug}/api/delete/",
        "/{slug}/api/react/",
        "/api/rooms/",
        "/api/search/",
        "/hooks/{token}/",
        "/api/push/",
        "/api/push/subscribe/",
        "/api/push/unsubscribe/",
        "/api/openapi.json",
    ] {
        assert!(paths.contains_key(path), "{path} is described");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );
    // The answers are described by the types the handlers serialise.
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for name in [
        "News",
        "MessageView",
        "UserView",
        "ErrorAnswer",
        "PushAnswer",
        "SubscribeAnswer",
    ] {
        assert!(schemas.contains_key(name), "{name}");
    }
    assert_eq!(doc["servers"][0]["url"], "/");
}

/// Every described operation answers from its handler, not from the
/// router's "no such page" or "no such method".
#[tokio::test]
async fn every_described_operation_is_routed_under_any_mount_point() {
    for prefix in ["/", "/chat/"] {
        let app = TestApp::start_with(|c| c.url_prefix = prefix.to_owned()).await;
        app.with_room().await;
        let alice = app.login("alice").await;
        let token = make_token(&alice, "routes", &["read", "post"], "").await;
        let doc = description(&app).await;
        let server = if prefix == "/" { "/" } else { "/chat" };
        assert_eq!(doc["servers"][0]["url"], server);
        let client = reqwest::Client::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            if path.contains("/events/") {
                continue; // a stream that does not end; tested in events.rs
            }
            let concrete = path.replace("{slug}", "general").replace("{token}", "x");
            for method in item.as_object().expect("item").keys() {
                let url = app.url(concrete.trim_start_matches('/'));
                let request = match method.as_str() {
                    "get" => client.get(&url),
                    "post" => client.post(&url).form(&[("x", "1")]),
                    other => panic!("{other} on {path}"),
                };
                let r = request.bearer_auth(&token).send().await.expect("request");
                let status = r.status();
                let body = r.text().await.expect("body");
                assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
                assert!(
                    !body.contains("Page not found."),
                    "{prefix}: {method} {path} is routed: {status} {body}"
                );
            }
        }
    }
}
