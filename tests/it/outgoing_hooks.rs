//! Outgoing webhooks (`docs/integrations.md`): a bot's URL hears of its
//! mentions and direct messages, signed; its `{"text": …}` answer is
//! posted as the bot; failures are retried, refusals are not; the outbound
//! guard applies; two nodes deliver each message once.
//!
//! The receiver is a real HTTP server started by each test, which checks
//! the signature with the documented scheme using its own HMAC code.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::response::IntoResponse;
use conversate::config::Network;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::StatusCode;
use serde_json::Value;

use crate::events::EventReader;
use crate::process::{Node, cli, login_at, spawn};
use crate::support::{Browser, PASSWORD, TestApp, TestData};
use crate::tokens::secret_in;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    timestamp: String,
    signature: String,
    delivery: String,
    raw: Bytes,
    body: Value,
}

#[derive(Clone, Default)]
struct Shared {
    got: Arc<Mutex<Vec<Received>>>,
    /// Answers to give, in order; then `200` with an empty body.
    script: Arc<Mutex<VecDeque<(u16, String)>>>,
}

/// A bot's receiver on 127.0.0.1.
struct Receiver {
    port: u16,
    shared: Shared,
}

async fn receive(
    State(shared): State<Shared>,
    headers: HeaderMap,
    raw: Bytes,
) -> impl IntoResponse {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    shared.got.lock().expect("lock").push(Received {
        timestamp: header("x-conversate-timestamp"),
        signature: header("x-conversate-signature"),
        delivery: header("x-conversate-delivery"),
        raw,
        body,
    });
    let (status, answer) = shared
        .script
        .lock()
        .expect("lock")
        .pop_front()
        .unwrap_or((200, String::new()));
    (
        AxumStatus::from_u16(status).expect("status"),
        [("content-type", "application/json")],
        answer,
    )
}

impl Receiver {
    async fn start(script: &[(u16, &str)]) -> Self {
        let shared = Shared::default();
        shared
            .script
            .lock()
            .expect("lock")
            .extend(script.iter().map(|(s, b)| (*s, (*b).to_owned())));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { port, shared }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    fn got(&self) -> Vec<Received> {
        self.shared.got.lock().expect("lock").clone()
    }

    /// The requests once there are at least `n`, within 15 s.
    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.got();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "{n} deliveries expected, {} arrived",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Checks a delivery the way docs/integrations.md tells receivers to:
/// HMAC-SHA256 keyed by the secret over `timestamp + "." + body`, hex,
/// after `sha256=`, and a timestamp within the replay window.
fn verify(secret: &str, r: &Received) {
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(r.timestamp.as_bytes());
    mac.update(b".");
    mac.update(&r.raw);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(r.signature, format!("sha256={expected}"), "signed");
    let stamp: i64 = r.timestamp.parse().expect("a Unix time");
    assert!(
        (conversate::domain::now() - stamp).abs() < 300,
        "within the replay window"
    );
}

fn allow_loopback(c: &mut conversate::config::Config) {
    c.outbound_allow_networks = Network::parse_list("127.0.0.0/8").expect("networks");
    c.outgoing_retry_secs = 1;
}

/// Room `general` with alice and bob, the administrator root, and the bot
/// deploybot in the room; answers root's browser.
async fn with_bot(app: &TestApp) -> Browser {
    app.with_room().await;
    app.create_user("root", true).await;
    let root = app.login("root").await;
    make_bot(&root).await;
    root
}

async fn make_bot(root: &Browser) {
    let r = root
        .post_form("admin/integrations/bots/", &[("username", "deploybot")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = root
        .post_form("admin/rooms/general/members/", &[("username", "deploybot")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// Sets deploybot's outgoing URL; answers the secret shown once.
async fn set_url(root: &Browser, url: &str) -> String {
    let r = root
        .post_form(
            "admin/integrations/bots/deploybot/outgoing/",
            &[("url", url)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("page");
    let secret = secret_in(&page).expect("the secret is shown");
    let (_, again) = root.text("admin/integrations/").await;
    assert!(secret_in(&again).is_none(), "shown once only");
    assert!(again.contains(url), "the URL is listed");
    secret
}

/// The delivery counts (status, rows, attempts) once `done` says so, or
/// after 15 s.
async fn counts_when(
    store: &conversate::store::Store,
    done: impl Fn(&[(String, i64, i64)]) -> bool,
) -> Vec<(String, i64, i64)> {
    let start = Instant::now();
    loop {
        let counts = store.outgoing().delivery_counts().await.expect("counts");
        if done(&counts) || start.elapsed() > Duration::from_secs(15) {
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn a_mention_is_delivered_signed_and_the_answer_is_posted_as_the_bot() {
    let receiver = Receiver::start(&[(200, r#"{"text": "Deploying now."}"#)]).await;
    let app = TestApp::start_with(allow_loopback).await;
    let root = with_bot(&app).await;
    let secret = set_url(&root, &receiver.url()).await;

    let alice = app.login("alice").await;
    let mut bob_stream =
        EventReader::open(&app.login("bob").await, "general/api/events/", None).await;
    let (status, _) = alice
        .api("general/api/send/", &[("content", "no one named")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, sent) = alice
        .api("general/api/send/", &[("content", "@deploybot ship it")])
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let id = sent["messages"]
        .as_array()
        .expect("messages")
        .last()
        .expect("the message")["pk"]
        .as_i64()
        .expect("id");

    let got = receiver.wait_for(1).await;
    let d = &got[0];
    verify(&secret, d);
    assert!(!d.delivery.is_empty(), "a delivery id");
    assert_eq!(d.body["type"], "message");
    assert_eq!(d.body["bot"], "deploybot");
    let m = &d.body["message"];
    assert_eq!(m["id"], id);
    assert_eq!(m["room"], "general");
    assert_eq!(m["direct"], false);
    assert_eq!(m["user"]["username"], "alice");
    assert_eq!(m["user"]["display_name"], Value::Null);
    assert_eq!(m["text"], "@deploybot ship it");
    assert!(m["time"].as_i64().expect("time") > 0);
    assert!(
        m["url"]
            .as_str()
            .expect("permalink")
            .ends_with(&format!("/general/m/{id}/"))
    );
    assert!(
        d.body["reply_url"]
            .as_str()
            .expect("reply url")
            .ends_with("/general/api/send/")
    );

    // The answer reaches everyone's stream as the bot's reply.
    let reply = loop {
        let e = bob_stream.next_of("message").await;
        if e.data["user"] == "deploybot" {
            break e;
        }
    };
    assert_eq!(reply.data["content"], "<p>Deploying now.</p>\n");
    assert_eq!(reply.data["reply_to"], id);

    // The message that named no one, and the bot's own reply, went nowhere.
    let counts = counts_when(&app.store, |c| {
        c.iter().any(|(s, n, _)| s == "sent" && *n == 1)
    })
    .await;
    assert_eq!(counts, vec![("sent".to_owned(), 1, 1)]);
    assert_eq!(receiver.got().len(), 1);
    let (_, page) = root.text("admin/integrations/").await;
    assert!(
        page.contains("delivered (200)"),
        "the last attempt is shown: {page}"
    );
}

#[tokio::test]
async fn a_message_in_a_direct_room_with_the_bot_is_delivered() {
    let receiver = Receiver::start(&[]).await;
    let app = TestApp::start_with(allow_loopback).await;
    let root = with_bot(&app).await;
    let secret = set_url(&root, &receiver.url()).await;

    let alice = app.login("alice").await;
    let r = alice
        .post_form("rooms/direct/", &[("username", "deploybot")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    let slug = location
        .trim_matches('/')
        .rsplit('/')
        .next()
        .expect("slug")
        .to_owned();
    let (status, body) = alice
        .api(&format!("{slug}/api/send/"), &[("content", "status?")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let got = receiver.wait_for(1).await;
    verify(&secret, &got[0]);
    let m = &got[0].body["message"];
    assert_eq!(m["room"], slug.as_str());
    assert_eq!(m["direct"], true);
    assert_eq!(m["text"], "status?");
    assert_eq!(m["user"]["username"], "alice");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_until_it_answers() {
    let receiver = Receiver::start(&[(503, ""), (500, "")]).await;
    let app = TestApp::start_with(allow_loopback).await;
    let root = with_bot(&app).await;
    let secret = set_url(&root, &receiver.url()).await;
    let alice = app.login("alice").await;
    let (status, _) = alice
        .api("general/api/send/", &[("content", "@deploybot again")])
        .await;
    assert_eq!(status, StatusCode::OK);

    let got = receiver.wait_for(3).await;
    for d in &got {
        verify(&secret, d);
        assert_eq!(d.delivery, got[0].delivery, "the same delivery each time");
        assert_eq!(d.body["message"]["text"], "@deploybot again");
    }
    let counts = counts_when(&app.store, |c| c.iter().any(|(s, ..)| s == "sent")).await;
    assert_eq!(
        counts,
        vec![("sent".to_owned(), 1, 3)],
        "two failures, then sent"
    );
    assert_eq!(receiver.got().len(), 3);
}

#[tokio::test]
async fn a_bot_deactivated_while_a_delivery_waits_gets_it_no_more() {
    let receiver = Receiver::start(&[(503, "")]).await;
    let app = TestApp::start_with(|c| {
        allow_loopback(c);
        c.outgoing_retry_secs = 2;
    })
    .await;
    let root = with_bot(&app).await;
    set_url(&root, &receiver.url()).await;
    let alice = app.login("alice").await;
    let (status, _) = alice
        .api("general/api/send/", &[("content", "@deploybot one")])
        .await;
    assert_eq!(status, StatusCode::OK);
    receiver.wait_for(1).await;
    // Deactivated while its retry waits.
    let bot = app
        .store
        .accounts()
        .user_by_name("deploybot")
        .await
        .expect("bot");
    app.store
        .accounts()
        .update_user(bot.id, None, false, false)
        .await
        .expect("deactivated");
    let counts = counts_when(&app.store, |c| c.iter().any(|(s, ..)| s == "failed")).await;
    assert_eq!(counts.len(), 1, "{counts:?}");
    assert_eq!(counts[0].0, "failed", "{counts:?}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        receiver.got().len(),
        1,
        "nothing sent after the deactivation"
    );
}

#[tokio::test]
async fn a_refusal_is_not_retried_and_the_admin_sees_it() {
    let receiver = Receiver::start(&[(400, r#"{"text": "not posted"}"#)]).await;
    let app = TestApp::start_with(allow_loopback).await;
    let root = with_bot(&app).await;
    set_url(&root, &receiver.url()).await;
    let alice = app.login("alice").await;
    let (status, _) = alice
        .api("general/api/send/", &[("content", "@deploybot nope")])
        .await;
    assert_eq!(status, StatusCode::OK);

    receiver.wait_for(1).await;
    let counts = counts_when(&app.store, |c| c.iter().any(|(s, ..)| s == "failed")).await;
    assert_eq!(counts, vec![("failed".to_owned(), 1, 1)]);
    // Retries come a second apart here: three seconds show there are none.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.got().len(), 1, "not retried");
    let (_, page) = root.text("admin/integrations/").await;
    assert!(page.contains("400"), "the refusal is shown");
    assert!(page.contains("refused it"), "{page}");
    let (_, body) = alice.api("general/api/poll/", &[("last", "0")]).await;
    assert!(
        !body.to_string().contains("not posted"),
        "a refusal's text is not posted"
    );
}

#[tokio::test]
async fn a_receiver_on_a_private_address_is_refused_unless_allowed() {
    let receiver = Receiver::start(&[]).await;
    let app = TestApp::start_with(|c| c.outgoing_retry_secs = 1).await;
    let root = with_bot(&app).await;

    // A literal private address is refused when it is set.
    let r = root
        .post_form(
            "admin/integrations/bots/deploybot/outgoing/",
            &[("url", &receiver.url())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.expect("page");
    assert!(page.contains("may not reach"), "{page}");
    assert!(secret_in(&page).is_none());
    let r = root
        .post_form(
            "admin/integrations/bots/deploybot/outgoing/",
            &[("url", "ftp://example.com/")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // A name that resolves to one is refused when it is reached.
    let by_name = format!("http://localhost:{}/hook", receiver.port);
    set_url(&root, &by_name).await;
    let alice = app.login("alice").await;
    let (status, _) = alice
        .api("general/api/send/", &[("content", "@deploybot hello")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let counts = counts_when(&app.store, |c| c.iter().any(|(s, ..)| s == "failed")).await;
    assert_eq!(
        counts,
        vec![("failed".to_owned(), 1, 1)],
        "refused, not retried"
    );
    assert!(receiver.got().is_empty(), "nothing reached the receiver");
    let (_, page) = root.text("admin/integrations/").await;
    assert!(page.contains("not a public address"), "{page}");
}

#[tokio::test]
async fn two_nodes_on_one_database_deliver_each_message_once() {
    let data = TestData::fresh();
    if data.db.is_none() {
        eprintln!(
            "\n*** SKIPPING the two-node outgoing webhook test: it needs PostgreSQL (set CONVERSATE_TEST_DATABASE_URL). ***\n"
        );
        return;
    }
    let receiver = Receiver::start(&[]).await;
    cli(&data, &["room", "add", "general", "--title", "General"], "");
    for (name, admin) in [("alice", false), ("root", true)] {
        let mut args = vec!["user", "add", name, "--password-stdin"];
        if admin {
            args.push("--admin");
        }
        cli(&data, &args, PASSWORD);
    }
    cli(&data, &["room", "add-member", "general", "alice"], "");
    let env = [
        ("CONVERSATE_OUTBOUND_ALLOW_NETWORKS", "127.0.0.0/8"),
        ("CONVERSATE_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "1000"),
    ];
    let (a, base_a) = spawn(&data, &env);
    let (b, base_b) = spawn(&data, &env);
    let _nodes = (Node(a), Node(b));

    let root = login_at(&base_a, "root").await;
    make_bot(&root).await;
    let secret = set_url(&root, &receiver.url()).await;
    let on_a = login_at(&base_a, "alice").await;
    let on_b = login_at(&base_b, "alice").await;
    const SENT: usize = 8;
    for i in 0..SENT {
        let node = if i % 2 == 0 { &on_a } else { &on_b };
        let (status, _) = node
            .api(
                "general/api/send/",
                &[("content", &format!("@deploybot job {i}"))],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    receiver.wait_for(SENT).await;
    // Both nodes scan and send every second: a few more rounds would show
    // a second delivery.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let got = receiver.got();
    assert_eq!(got.len(), SENT, "each message once");
    let mut texts: Vec<String> = got
        .iter()
        .map(|d| {
            verify(&secret, d);
            d.body["message"]["text"].as_str().expect("text").to_owned()
        })
        .collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), SENT, "no message twice");
}

#[tokio::test]
async fn the_command_line_sets_and_removes_a_bots_outgoing_webhook() {
    let receiver = Receiver::start(&[]).await;
    let app = TestApp::start_with(allow_loopback).await;
    let root = with_bot(&app).await;
    let (ok, _, err) = app
        .cli(
            &["user", "outgoing-hook", "alice", "https://example.com/"],
            "",
        )
        .await;
    assert!(!ok, "alice is not a bot");
    assert!(err.contains("No such bot"), "{err}");

    // The command line's server process has no OUTBOUND_ALLOW_NETWORKS.
    let by_name = format!("http://localhost:{}/hook", receiver.port);
    let (ok, out, err) = app
        .cli(&["user", "outgoing-hook", "deploybot", &by_name], "")
        .await;
    assert!(ok, "{err}");
    let secret = out.trim();
    assert!(secret.starts_with("cvhook_"), "{out}");
    let (_, page) = root.text("admin/integrations/").await;
    assert!(page.contains(&by_name));
    assert!(!page.contains(secret), "the secret is not shown again");
    let (_, audit) = root.text("admin/audit/").await;
    assert!(audit.contains("bot.outgoing.set"), "audited");

    let (ok, _, err) = app
        .cli(&["user", "outgoing-hook", "deploybot", "--remove"], "")
        .await;
    assert!(ok, "{err}");
    let (_, page) = root.text("admin/integrations/").await;
    assert!(!page.contains(&by_name), "removed");
    let (_, audit) = root.text("admin/audit/").await;
    assert!(audit.contains("bot.outgoing.remove"), "audited");
}
