//! Security headers on every kind of response.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::support::TestApp;

fn check_common(h: &HeaderMap, what: &str) {
    let csp = h
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("{what}: no CSP"));
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: {csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert_eq!(
        h.get("x-content-type-options").map(|v| v.as_bytes()),
        Some(&b"nosniff"[..]),
        "{what}"
    );
    assert!(h.contains_key("referrer-policy"), "{what}");
    assert!(h.contains_key("cross-origin-opener-policy"), "{what}");
    assert!(
        !h.contains_key("access-control-allow-origin"),
        "{what}: no CORS grant"
    );
    assert!(
        !h.contains_key("strict-transport-security"),
        "{what}: no HSTS over plain http"
    );
}

fn check_page_csp(h: &HeaderMap, what: &str) {
    let csp = h["content-security-policy"].to_str().expect("ascii");
    for directive in [
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: {directive} missing in {csp}"
        );
    }
}

fn no_store(h: &HeaderMap, what: &str) {
    assert_eq!(
        h.get("cache-control").map(|v| v.as_bytes()),
        Some(&b"no-store"[..]),
        "{what}"
    );
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let anon = app.browser();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"<html>".to_vec()).file_name("x.html"),
    );
    let up: serde_json::Value = alice
        .client
        .post(alice.url("general/api/send/"))
        .header("X-CSRFToken", &alice.csrf)
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    let pk = up["messages"][0]["pk"].as_i64().expect("pk");

    let (_, login_html) = anon.text("login/").await;
    let asset_start = login_html.find("/assets/m/").expect("script url");
    let asset_end = login_html[asset_start..].find('"').expect("end") + asset_start;
    let asset = login_html[asset_start + 1..asset_end].to_owned();

    let pages = [
        ("login page", anon.get("login/").await),
        ("room page", alice.get("general/").await),
        ("admin refusal", alice.get("admin/").await),
        ("404 page", alice.get("no/such/page").await),
        ("405 page", alice.get("logout/").await),
    ];
    for (what, r) in pages {
        check_common(r.headers(), what);
        check_page_csp(r.headers(), what);
        no_store(r.headers(), what);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .expect("ascii")
                .starts_with("text/html"),
            "{what}"
        );
    }
    let json = alice
        .client
        .post(alice.url("general/api/poll/"))
        .header("X-CSRFToken", &alice.csrf)
        .form(&[("last", "0")])
        .send()
        .await
        .expect("poll");
    let json_error = alice
        .client
        .post(alice.url("general/api/poll/"))
        .header("X-CSRFToken", &alice.csrf)
        .form(&[("last", "x")])
        .send()
        .await
        .expect("poll");
    assert_eq!(json_error.status(), StatusCode::BAD_REQUEST);
    let stream = alice
        .client
        .get(alice.url("general/api/events/"))
        .send()
        .await
        .expect("stream");
    for (what, r) in [
        ("JSON", &json),
        ("JSON error", &json_error),
        ("event stream", &stream),
    ] {
        check_common(r.headers(), what);
        no_store(r.headers(), what);
    }
    drop(stream);
    let static_file = anon.get(&asset).await;
    check_common(static_file.headers(), "static asset");
    let file = alice.get(&format!("general/file/{pk}/")).await;
    check_common(file.headers(), "uploaded file");
    assert!(
        file.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .starts_with("sandbox")
    );
    let health = anon.get("health").await;
    check_common(health.headers(), "health");
}

#[tokio::test]
async fn https_sites_get_hsts_and_secure_cookies() {
    let app =
        TestApp::start_with(|c| c.public_url = Some("https://chat.example.org".to_owned())).await;
    let r = app.browser().get("login/").await;
    assert!(
        r.headers()["strict-transport-security"]
            .to_str()
            .expect("ascii")
            .contains("max-age=")
    );
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_ascii_lowercase();
    assert!(cookie.contains("secure"), "{cookie}");
}

/// The `Set-Cookie` headers of an answer.
fn set_cookies(r: &reqwest::Response) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn https_sites_name_the_session_cookie_host_only_and_keep_sessions_from_before() {
    let app =
        TestApp::start_with(|c| c.public_url = Some("https://chat.example.org".to_owned())).await;
    app.with_room().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // The login form starts a session (for its CSRF token).
    let r = client.get(app.url("login/")).send().await.expect("GET");
    let cookies = set_cookies(&r);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-conversate_session="))
        .unwrap_or_else(|| panic!("a __Host- cookie: {cookies:?}"));
    let lower = session.to_ascii_lowercase();
    assert!(lower.contains("secure"), "{session}");
    assert!(
        lower.contains("path=/;") || lower.ends_with("path=/"),
        "{session}"
    );
    assert!(!lower.contains("domain="), "{session}");
    let id = session
        .trim_start_matches("__Host-conversate_session=")
        .split(';')
        .next()
        .expect("value")
        .to_owned();
    let html = r.text().await.expect("page");
    let token = crate::support::csrf_in(&html).expect("token");
    let r = client
        .post(app.url("login/"))
        .header("Cookie", format!("__Host-conversate_session={id}"))
        .form(&[
            ("csrfmiddlewaretoken", token.as_str()),
            ("username", "alice"),
            ("password", crate::support::PASSWORD),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    let logged_in = set_cookies(&r)
        .iter()
        .find_map(|c| c.strip_prefix("__Host-conversate_session="))
        .and_then(|c| c.split(';').next())
        .expect("the login's new id")
        .to_owned();

    // A browser that still has the plain cookie from before the upgrade
    // stays logged in, and is moved to the __Host- cookie.
    let r = client
        .get(app.url("general/"))
        .header("Cookie", format!("conversate_session={logged_in}"))
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), reqwest::StatusCode::OK, "still logged in");
    let cookies = set_cookies(&r);
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with(&format!("__Host-conversate_session={logged_in}"))),
        "{cookies:?}"
    );
    assert!(
        cookies.iter().any(|c| c.starts_with("conversate_session=")
            && c.to_ascii_lowercase().contains("max-age=0")),
        "the plain cookie is removed: {cookies:?}"
    );
}
