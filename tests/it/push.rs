//! Web Push end to end, against the test push service (`push_service.rs`):
//! who is pushed, coalescing, a gone subscription, hidden content, retries
//! across a restart, two nodes; and the subscriptions' own life (API, the
//! account page's no-JavaScript twin, logging out).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::push_service::{Device, PushService};
use crate::support::{Browser, TestApp};

/// Subscribes `device` for the user logged in on `b`.
pub(crate) async fn subscribe(b: &Browser, device: &Device) -> (StatusCode, Value) {
    let (p256dh, auth) = device.keys();
    b.api(
        "api/push/subscribe/",
        &[
            ("endpoint", &device.endpoint),
            ("p256dh", &p256dh),
            ("auth", &auth),
        ],
    )
    .await
}

/// The site's VAPID public key, as the page gets it.
pub(crate) async fn vapid_key(b: &Browser) -> String {
    let response = b.get("api/push/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.expect("json");
    body["key"].as_str().expect("key").to_owned()
}

/// A server whose pushes may reach the test push service on 127.0.0.1.
async fn push_app(delay: u64, tweak: impl FnOnce(&mut conversate::Config)) -> TestApp {
    TestApp::start_with(move |c| {
        c.push_delay = delay;
        c.push_retry_secs = 1;
        c.outbound_allow_networks =
            conversate::config::Network::parse_list("127.0.0.1/32").expect("network");
        c.chat.disconnect_at = 60;
        tweak(c);
    })
    .await
}

/// The push outbox's counts once they equal `expected`, or after 15 s.
async fn outbox_settles(app: &TestApp, expected: &[(&str, i64)]) -> Vec<(String, i64)> {
    let expected: Vec<(String, i64)> = expected
        .iter()
        .map(|(s, n)| ((*s).to_owned(), *n))
        .collect();
    let start = Instant::now();
    loop {
        let counts = app.store.push().push_counts().await.expect("counts");
        if counts == expected || start.elapsed() > Duration::from_secs(15) {
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn away_members_get_one_coalesced_push_active_ones_none_and_410_removes() {
    let service = PushService::start().await;
    // Long enough for the three sends to land in one window on a loaded
    // machine (at 2 s, a slow third send became a second notification).
    let app = push_app(5, |_| {}).await;
    app.with_room().await;
    app.create_user("dave", false).await;
    app.add_member("general", "carol").await;
    app.add_member("general", "dave").await;
    let alice = app.login("alice").await;
    service.expect_vapid_key(&vapid_key(&alice).await);
    let (bob, carol, dave) = (
        app.login("bob").await,
        app.login("carol").await,
        app.login("dave").await,
    );
    let bob_phone = service.device("bob-phone");
    let carol_phone = service.device("carol-phone");
    let dave_phone = service.device("dave-phone");
    let alice_phone = service.device("alice-phone");
    for (b, d) in [
        (&bob, &bob_phone),
        (&carol, &carol_phone),
        (&dave, &dave_phone),
        (&alice, &alice_phone),
    ] {
        let (status, body) = subscribe(b, d).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Dave's browser has dropped the subscription: the service says 410.
    service.script("dave-phone", &[410]);
    // Carol is in the room, with the window focused.
    let (status, _) = carol
        .api("general/api/poll/", &[("last", "0"), ("hasFocus", "true")])
        .await;
    assert_eq!(status, StatusCode::OK);

    for text in ["first", "second", "third @bob"] {
        let (status, _) = alice.api("general/api/send/", &[("content", text)]).await;
        assert_eq!(status, StatusCode::OK);
    }

    let got = service.wait_for("bob-phone", 1, 15).await;
    assert_eq!(got[0].status, 201, "{:?}", got[0].refused);
    let n = &got[0].payload;
    assert_eq!(n["title"], "General");
    assert_eq!(n["body"], "alice: third @bob\n(3 new messages)");
    assert_eq!(n["tag"], "cv-room-general");
    assert_eq!(n["renotify"], true, "a mention alerts again");
    assert_eq!(
        n["url"], "/general/#cv-unread",
        "the room at the first unread"
    );
    assert_eq!(n["unread"], 3, "the badge counts bob's unread messages");
    assert_eq!(got[0].headers["urgency"], "high");
    assert!(
        got[0].headers["topic"].len() <= 32,
        "RFC 8030 §5.4: at most 32 characters"
    );

    dave_phone_gone(&app, &service).await;
    // Every row is settled: bob's sent; dave's went with his subscription.
    assert_eq!(
        outbox_settles(&app, &[("sent", 1)]).await,
        vec![("sent".to_owned(), 1)]
    );
    assert_eq!(
        service.received("bob-phone").len(),
        1,
        "one push for the burst"
    );
    assert!(
        service.received("carol-phone").is_empty(),
        "carol is active in the room"
    );
    assert!(
        service.received("alice-phone").is_empty(),
        "nothing for one's own messages"
    );

    // The account page shows when bob's device was last used.
    let (_, page) = bob.text("account/").await;
    assert!(page.contains("last notified"), "{page}");
}

async fn dave_phone_gone(app: &TestApp, service: &PushService) {
    let got = service.wait_for("dave-phone", 1, 15).await;
    assert_eq!(got[0].status, 410);
    let dave = app.user_id("dave").await;
    let start = Instant::now();
    while !app
        .store
        .push()
        .subscriptions(dave)
        .await
        .expect("subs")
        .is_empty()
    {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "a 410 removes the subscription"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn hidden_content_leaves_author_and_text_out_of_the_push() {
    let service = PushService::start().await;
    let app = push_app(0, |c| c.push_content = false).await;
    app.with_room().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let phone = service.device("bob-phone");
    assert_eq!(subscribe(&bob, &phone).await.0, StatusCode::OK);
    alice
        .api("general/api/send/", &[("content", "the secret plan")])
        .await;
    let got = service.wait_for("bob-phone", 1, 15).await;
    let n = &got[0].payload;
    assert_eq!(n["title"], "General");
    assert_eq!(n["body"], "1 new message");
    assert!(!n.to_string().contains("secret") && !n.to_string().contains("alice"));
}

#[tokio::test]
async fn a_failing_push_service_is_retried_until_it_takes_the_push() {
    let service = PushService::start().await;
    let app = push_app(0, |_| {}).await;
    app.with_room().await;
    let (alice, bob) = (app.login("alice").await, app.login("bob").await);
    let phone = service.device("bob-phone");
    assert_eq!(subscribe(&bob, &phone).await.0, StatusCode::OK);
    service.script("bob-phone", &[503, 500]);
    alice
        .api("general/api/send/", &[("content", "hello")])
        .await;
    let got = service.wait_for("bob-phone", 3, 20).await;
    assert_eq!(
        got.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![503, 500, 201]
    );
    assert_eq!(got[2].payload["body"], "alice: hello");
    assert_eq!(
        outbox_settles(&app, &[("sent", 1)]).await,
        vec![("sent".to_owned(), 1)]
    );
}

#[tokio::test]
async fn subscriptions_are_checked_listed_and_removed_without_javascript() {
    let service = PushService::start().await;
    let app = push_app(0, |_| {}).await;
    app.with_room().await;
    let bob = app.login("bob").await;
    let phone = service.device("bob-phone");
    let (p256dh, auth) = phone.keys();

    // Logged out: refused.
    let anonymous = app.browser();
    let response = anonymous.get("api/push/").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    // Malformed subscriptions: one sentence, nothing stored.
    for (endpoint, key, secret, why) in [
        (
            "ftp://push.example/x",
            p256dh.as_str(),
            auth.as_str(),
            "https",
        ),
        (phone.endpoint.as_str(), "AAAA", auth.as_str(), "keys"),
        (
            phone.endpoint.as_str(),
            p256dh.as_str(),
            "AAAA",
            "auth secret",
        ),
    ] {
        let (status, body) = bob
            .api(
                "api/push/subscribe/",
                &[("endpoint", endpoint), ("p256dh", key), ("auth", secret)],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["success"], false);
        assert!(
            body["error"].as_str().expect("error").contains(why),
            "{body}"
        );
    }
    let bob_id = app.user_id("bob").await;
    assert!(
        app.store
            .push()
            .subscriptions(bob_id)
            .await
            .expect("subs")
            .is_empty()
    );

    // Without the CSRF token: refused.
    let response = bob
        .client
        .post(bob.url("api/push/subscribe/"))
        .form(&[
            ("endpoint", phone.endpoint.as_str()),
            ("p256dh", &p256dh),
            ("auth", &auth),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let (status, body) = subscribe(&bob, &phone).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["device"]["id"].as_i64().expect("id");
    let (_, listed) = bob.text("api/push/").await;
    let listed: Value = serde_json::from_str(&listed).expect("json");
    assert_eq!(listed["devices"].as_array().expect("devices").len(), 1);
    assert_eq!(listed["devices"][0]["endpoint"], phone.endpoint.as_str());
    let (_, page) = bob.text("account/").await;
    assert!(
        page.contains("not notified yet"),
        "the account page lists it"
    );

    // Someone else cannot remove it: the same 404 as a missing device.
    app.create_user("eve", false).await;
    let eve = app.login("eve").await;
    let response = eve
        .post_form("account/push/remove/", &[("id", &id.to_string())])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.store
            .push()
            .subscriptions(bob_id)
            .await
            .expect("subs")
            .len(),
        1
    );

    // The form removes it and goes back to the account page.
    let response = bob
        .post_form("account/push/remove/", &[("id", &id.to_string())])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response.headers()["location"]
            .to_str()
            .expect("location")
            .ends_with("/account/#cv-push")
    );
    assert!(
        app.store
            .push()
            .subscriptions(bob_id)
            .await
            .expect("subs")
            .is_empty()
    );
}

#[tokio::test]
async fn logging_out_on_a_device_removes_that_devices_subscription_only() {
    let service = PushService::start().await;
    let app = push_app(0, |_| {}).await;
    app.with_room().await;
    let phone_session = app.login("bob").await;
    let laptop_session = app.login("bob").await;
    let (phone, laptop) = (service.device("phone"), service.device("laptop"));
    assert_eq!(subscribe(&phone_session, &phone).await.0, StatusCode::OK);
    assert_eq!(subscribe(&laptop_session, &laptop).await.0, StatusCode::OK);
    let response = phone_session.post_form("logout/", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let left = app
        .store
        .push()
        .subscriptions(app.user_id("bob").await)
        .await
        .expect("subs");
    assert_eq!(
        left.iter().map(|s| s.endpoint.as_str()).collect::<Vec<_>>(),
        vec![laptop.endpoint.as_str()]
    );
}

#[tokio::test]
async fn devices_per_member_are_limited() {
    let service = PushService::start().await;
    let app = push_app(0, |c| c.push_max_devices = 2).await;
    app.with_room().await;
    let bob = app.login("bob").await;
    for i in 0..2 {
        assert_eq!(
            subscribe(&bob, &service.device(&format!("d{i}"))).await.0,
            StatusCode::OK
        );
    }
    // The same browser again replaces itself rather than counting twice.
    let again = service.device("d1");
    assert_eq!(subscribe(&bob, &again).await.0, StatusCode::OK);
    let (status, body) = subscribe(&bob, &service.device("d2")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]
            .as_str()
            .expect("error")
            .contains("most allowed"),
        "{body}"
    );
}

#[tokio::test]
async fn with_push_off_nothing_is_offered_or_taken() {
    let service = PushService::start().await;
    let app = push_app(0, |c| c.push = false).await;
    app.with_room().await;
    let bob = app.login("bob").await;
    let (_, page) = bob.text("account/").await;
    assert!(!page.contains("cv-push-key"));
    assert!(!page.contains("Notifications on your devices"));
    let (status, _) = subscribe(&bob, &service.device("d")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_app_lives_at_the_mount_point_and_the_offline_page_is_the_same_for_all() {
    let app = TestApp::start_with(|c| c.url_prefix = "/chat/".to_owned()).await;
    app.with_room().await;
    let bob = app.login("bob").await;

    let response = bob.get("manifest.webmanifest").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/manifest+json"
    );
    let manifest: Value = response.json().await.expect("json");
    assert_eq!(manifest["start_url"], "/chat/");
    assert_eq!(manifest["scope"], "/chat/");
    assert_eq!(manifest["display"], "standalone");
    for icon in manifest["icons"].as_array().expect("icons") {
        assert!(
            icon["src"]
                .as_str()
                .expect("src")
                .starts_with("/chat/assets/icon-"),
            "{icon}"
        );
    }

    let response = bob.get("sw.js").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/javascript")
    );
    assert_eq!(response.headers()["cache-control"], "no-cache");
    let script = response.text().await.expect("text");
    let settings: Value = serde_json::from_str(
        script
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("const CV = "))
            .and_then(|l| l.strip_suffix(';'))
            .expect("the settings line"),
    )
    .expect("json");
    assert_eq!(settings["scope"], "/chat/");
    assert_eq!(settings["offline"], "/chat/offline/");
    for url in settings["precache"].as_array().expect("precache") {
        let url = url.as_str().expect("url");
        assert!(
            url == "/chat/offline/" || url.starts_with("/chat/assets/"),
            "{url}"
        );
    }

    // Logged in or not, the offline page names no one and no room.
    let (status, page) = bob.text("offline/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("unsent draft is kept"));
    assert!(!page.contains("bob") && !page.contains("General"));
    let (_, anonymous) = app.browser().text("offline/").await;
    assert_eq!(page, anonymous);

    // Every page links the manifest.
    for path in ["", "general/", "account/"] {
        let (_, html) = bob.text(path).await;
        assert!(
            html.contains(r#"<link rel="manifest" href="/chat/manifest.webmanifest">"#),
            "{path}"
        );
    }
}

#[test]
fn the_apps_paths_cannot_be_room_slugs() {
    for word in ["offline", "sw.js", "manifest.webmanifest"] {
        assert!(conversate::domain::RoomSlug::parse(word).is_err(), "{word}");
    }
}
