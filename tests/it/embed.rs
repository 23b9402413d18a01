//! Conversate mounted in a host site with the host's own logins: the very
//! site of `examples/embed.rs`, served in this process on a real listener.
//! Host login → chat page → send → the other host user receives it live;
//! host logout → the chat refuses at once (page, API and an open stream);
//! a request without a host user is sent to the host's login.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::events::EventReader;
use crate::support::{Browser, TestData, csrf_in};

#[allow(dead_code, clippy::all, clippy::pedantic)]
#[path = "../../examples/embed.rs"]
mod example;

/// Well under the stream's 15-second heartbeat: an end must come from the
/// logout itself.
const PROMPTLY: Duration = Duration::from_secs(5);

/// The example's host site on a random port, and its chat.
struct Site {
    root: String,
    chat: Arc<conversate::App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    _data: TestData,
}

impl Site {
    async fn start() -> Self {
        let data = TestData::fresh();
        let mut config = data.config();
        config.url_prefix = "/chat/".to_owned();
        config.sign_in.login_url = Some("/login".to_owned());
        let (site, chat) = example::host_site(config)
            .await
            .expect("the host site starts");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let root = format!("http://{}/", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let background = chat.start(async move {
            let _ = stopped.await;
        });
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                site.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
            drop(background);
        });
        Self {
            root,
            chat,
            stop: Some(stop),
            _data: data,
        }
    }

    /// A browser whose relative paths are under the chat's `/chat/`.
    fn browser(&self) -> Browser {
        Browser::new(&format!("{}chat/", self.root))
    }

    /// Logs `b` in at the host (not at Conversate), then learns the
    /// chat's CSRF token from the room page.
    async fn host_login(&self, b: &mut Browser, name: &str, password: &str) {
        let r = b
            .client
            .post(format!("{}login", self.root))
            .form(&[("username", name), ("password", password)])
            .send()
            .await
            .expect("POST /login");
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "the host logs {name} in");
        let (status, html) = b.text("lobby/").await;
        assert_eq!(status, StatusCode::OK, "{name} sees the room: {html}");
        b.csrf = csrf_in(&html).expect("the room page has a token");
    }

    async fn host_logout(&self, b: &Browser) {
        let r = b
            .client
            .post(format!("{}logout", self.root))
            .send()
            .await
            .expect("POST /logout");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[tokio::test]
async fn a_visitor_without_a_host_user_is_sent_to_the_hosts_login() {
    let site = Site::start().await;
    let b = site.browser();
    let r = b.get("lobby/").await;
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(status, StatusCode::SEE_OTHER, "{:?}", r.text().await);
    assert_eq!(location.as_deref(), Some("/login?next=%2Fchat%2Flobby%2F"));
    // The JSON API and the event stream say 401 instead of redirecting.
    let r = b.get("api/rooms/").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body: Value = r.json().await.expect("JSON");
    assert_eq!(body["success"], Value::Bool(false));
    assert_eq!(
        b.get("lobby/api/events/").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Conversate's own login, setup and password forms are gone (`login/`
    // reads as a room address, which sends the visitor to the host).
    for path in ["login/", "account/password/", "setup/abc/"] {
        let (_, html) = b.text(path).await;
        assert!(!html.contains("type=\"password\""), "{path}: {html}");
    }
    assert_eq!(
        b.get("setup/abc/").await.status(),
        StatusCode::NOT_FOUND,
        "no setup page"
    );
    // The host's own pages are the host's.
    let home = b
        .client
        .get(&site.root)
        .send()
        .await
        .expect("GET /")
        .text()
        .await
        .expect("body");
    assert!(home.contains("The host site"), "{home}");
}

#[tokio::test]
async fn host_users_chat_live_and_a_host_logout_ends_the_chat_at_once() {
    let site = Site::start().await;
    let mut alice = site.browser();
    let mut bob = site.browser();
    site.host_login(&mut alice, "alice", "alice-pass").await;
    site.host_login(&mut bob, "bob", "bob-pass").await;

    // The chat shows alice as herself, with no Conversate login or logout.
    let (status, html) = alice.text("").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("cv-whoami\">alice<"), "{html}");
    assert!(!html.contains("/chat/logout/"), "{html}");
    assert!(!html.contains("/chat/login/"), "{html}");
    // The host said alice administers the chat; bob does not.
    assert!(html.contains("/chat/admin/"), "{html}");
    assert_eq!(
        bob.get("admin/").await.status(),
        StatusCode::FORBIDDEN,
        "bob is no administrator"
    );

    // Bob listens; alice sends; bob hears it.
    let mut bobs_stream = EventReader::open(&bob, "lobby/api/events/", None).await;
    bobs_stream.next_of("users").await;
    let (status, body) = alice
        .api(
            "lobby/api/send/",
            &[("content", "hello from the host site")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let event = bobs_stream.next_of("message").await;
    let message = &event.data;
    assert_eq!(message["user"], "alice");
    assert!(
        message["content"]
            .as_str()
            .is_some_and(|h| h.contains("hello from the host site")),
        "{message}"
    );

    // Alice has a stream open too; she logs out at the host.
    let mut alices_stream = EventReader::open(&alice, "lobby/api/events/", None).await;
    alices_stream.next_of("users").await;
    site.host_logout(&alice).await;
    let started = Instant::now();
    tokio::time::timeout(PROMPTLY, alices_stream.expect_end())
        .await
        .expect("alice's stream ends at once after the host logout");
    assert!(started.elapsed() < PROMPTLY);
    // Her page and her API calls are refused from now on.
    let r = alice.get("lobby/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        r.headers()["location"]
            .to_str()
            .expect("ascii")
            .starts_with("/login?next="),
        "{:?}",
        r.headers()
    );
    let (status, _) = alice
        .api("lobby/api/send/", &[("content", "after logout")])
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = alice.api("lobby/api/poll/", &[("last", "0")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Bob is untouched: his stream still delivers.
    let (status, body) = bob
        .api("lobby/api/send/", &[("content", "still here")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let event = bobs_stream.next_of("message").await;
    assert_eq!(
        event.data["content"]
            .as_str()
            .map(|c| c.contains("still here")),
        Some(true),
        "{}",
        event.data
    );
    // And nothing alice tried after her logout was stored.
    let room = site
        .chat
        .store()
        .rooms()
        .room_by_slug("lobby")
        .await
        .expect("room");
    assert_eq!(
        crate::support::stored_messages(site.chat.store(), room.id).await,
        2
    );
}

#[tokio::test]
async fn the_plain_form_works_for_host_users_too() {
    let site = Site::start().await;
    let mut bob = site.browser();
    site.host_login(&mut bob, "bob", "bob-pass").await;
    let r = bob.send("lobby", "sent without JavaScript").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = bob.text("lobby/").await;
    assert!(html.contains("sent without JavaScript"), "{html}");
}

#[tokio::test]
async fn the_host_decides_e_mail_and_administrator_on_every_visit() {
    let site = Site::start().await;
    let store = site.chat.store();
    let alice = store.accounts().user_by_name("alice").await.expect("alice");
    assert!(alice.is_admin);
    assert_eq!(alice.email.as_deref(), Some("alice@example.org"));
    // The account cannot be entered with a password.
    assert!(
        conversate::service::accounts::authenticate(store, "alice", "alice-pass")
            .await
            .expect("authenticate")
            .is_none()
    );
    // A later visit with other details updates the account; the link
    // follows the host's id, not the name.
    let changed = conversate::HostUser {
        id: "1".to_owned(),
        username: "alice".to_owned(),
        display_name: Some("Alice".to_owned()),
        email: Some("alice@elsewhere.example".to_owned()),
        admin: Some(false),
    };
    let user = site.chat.provision(&changed).await.expect("provision");
    assert_eq!(user.id, alice.id);
    assert!(!user.is_admin);
    let stored = store.accounts().user_by_id(alice.id).await.expect("alice");
    assert_eq!(stored.email.as_deref(), Some("alice@elsewhere.example"));
    // Another host user may not take alice's account by her name.
    let impostor = conversate::HostUser {
        id: "99".to_owned(),
        ..changed
    };
    let refused = site.chat.provision(&impostor).await;
    assert!(
        matches!(refused, Err(conversate::service::ServiceError::Conflict(_))),
        "{refused:?}"
    );
}
