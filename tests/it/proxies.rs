//! `TRUSTED_PROXIES`: forwarding headers are believed from those proxies
//! only, for the client's address (login throttle) and for HTTPS (Secure
//! cookies).

use reqwest::StatusCode;

use crate::support::{Browser, TestApp, csrf_in};

/// One failed login, sent with `headers` (as a proxy would add them).
async fn failed_login(b: &Browser, username: &str, headers: &[(&str, &str)]) -> StatusCode {
    let (_, html) = b.text("login/").await;
    let csrf = csrf_in(&html).expect("token");
    let mut request = b.client.post(b.url("login/")).form(&[
        ("csrfmiddlewaretoken", csrf.as_str()),
        ("username", username),
        ("password", "not the password"),
    ]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("POST").status()
}

async fn app(trusted: &str) -> TestApp {
    let trusted = conversate::config::Network::parse_list(trusted).expect("list");
    TestApp::start_with(move |c| {
        c.limits.login_per_ip = 3;
        c.limits.login_per_account = 1_000;
        c.trusted_proxies = trusted;
    })
    .await
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_from_untrusted_peers() {
    let app = app("").await;
    let b = app.browser();
    for n in 1..=3 {
        let client = format!("203.0.113.{n}");
        let status = failed_login(&b, &format!("user{n}"), &[("X-Forwarded-For", &client)]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = failed_login(&b, "user4", &[("X-Forwarded-For", "203.0.113.4")]).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "every attempt counts against the connection's address, whatever the header says"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_is_throttled_on_its_own() {
    let app = app("127.0.0.1").await;
    let b = app.browser();
    // The leftmost entries are the client's own claims and change at will;
    // the address the proxy appended is what counts.
    for n in 1..=3 {
        let chain = format!("198.51.100.{n}, 203.0.113.1");
        let status = failed_login(&b, &format!("a{n}"), &[("X-Forwarded-For", &chain)]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = failed_login(
        &b,
        "a4",
        &[("X-Forwarded-For", "198.51.100.9, 203.0.113.1")],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "client 203.0.113.1 is limited"
    );
    let status = failed_login(&b, "b1", &[("X-Forwarded-For", "203.0.113.2")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "another client is not");
    let status = failed_login(&b, "c1", &[("Forwarded", "for=\"[2001:db8::7]:4711\"")]).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "Forwarded names a client too"
    );
    for n in 2..=3 {
        let status = failed_login(
            &b,
            &format!("c{n}"),
            &[("Forwarded", "for=\"[2001:db8::7]\"")],
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = failed_login(&b, "c4", &[("Forwarded", "for=\"[2001:db8::7]:1\"")]).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the same client through Forwarded"
    );
}

/// The session cookie a login form's answer sets, with `headers` sent.
async fn session_cookie(app: &TestApp, headers: &[(&str, &str)]) -> String {
    let client = reqwest::Client::new();
    let mut request = client.get(app.url("login/"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = request.send().await.expect("GET");
    answer
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii").to_owned())
        .find(|c| c.contains("conversate_session="))
        .expect("the login form starts a session")
}

#[tokio::test]
async fn a_trusted_proxys_https_makes_the_cookie_secure() {
    let app = app("127.0.0.1").await;
    let cookie = session_cookie(&app, &[("X-Forwarded-Proto", "https")]).await;
    assert!(
        cookie.starts_with("__Host-conversate_session=") && cookie.contains("Secure"),
        "{cookie}"
    );
    let cookie = session_cookie(&app, &[]).await;
    assert!(
        cookie.starts_with("conversate_session=") && !cookie.contains("Secure"),
        "plain HTTP without the header: {cookie}"
    );
}

#[tokio::test]
async fn an_untrusted_https_claim_changes_nothing() {
    // Proxies are trusted, but this request (from 127.0.0.1) is not from one.
    for trusted in ["", "10.0.0.0/8"] {
        let app = app(trusted).await;
        let cookie = session_cookie(&app, &[("X-Forwarded-Proto", "https")]).await;
        assert!(
            cookie.starts_with("conversate_session=") && !cookie.contains("Secure"),
            "trusted {trusted:?}: {cookie}"
        );
    }
}
