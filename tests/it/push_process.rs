//! Web Push with real server processes: a push waiting for its retry when
//! the server is killed goes out once after the restart; and two nodes on
//! one PostgreSQL database push each message once between them.

use std::time::{Duration, Instant};

use conversate::store::Store;
use reqwest::StatusCode;

use crate::process::{Node, login_at, seed, spawn};
use crate::push::{subscribe, vapid_key};
use crate::push_service::PushService;
use crate::support::TestData;

const ENV: [(&str, &str); 4] = [
    ("CONVERSATE_PUSH_DELAY", "0"),
    ("CONVERSATE_PUSH_RETRY_SECS", "2"),
    ("CONVERSATE_OUTBOUND_ALLOW_NETWORKS", "127.0.0.1/32"),
    ("CONVERSATE_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "1000"),
];

/// The push outbox's counts on `data`'s database once `done` says so, or
/// after 15 s.
async fn settled(data: &TestData, done: impl Fn(&[(String, i64)]) -> bool) -> Vec<(String, i64)> {
    let config = data.config();
    let store = Store::open(&config.database_url, config.sqlite)
        .await
        .expect("store");
    let start = Instant::now();
    loop {
        let counts = store.push().push_counts().await.expect("counts");
        if done(&counts) || start.elapsed() > Duration::from_secs(15) {
            store.close().await;
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Returns once the push outbox holds a row that failed once and waits.
async fn waiting_for_retry(data: &TestData) {
    let config = data.config();
    let store = Store::open(&config.database_url, config.sqlite)
        .await
        .expect("store");
    let start = Instant::now();
    loop {
        // Unclaimed rows due within a minute: a row being sent is claimed
        // for longer than that.
        let soon = conversate::domain::now() + 60;
        let due = store.push().due_pushes(soon, 10).await.expect("due");
        if due.iter().any(|p| p.attempts == 1) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the failure is recorded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    store.close().await;
}

#[tokio::test]
async fn a_push_waiting_for_its_retry_goes_out_once_after_the_server_is_killed() {
    let service = PushService::start().await;
    let data = TestData::fresh();
    seed(&data);
    let (child, base) = spawn(&data, &ENV);
    let node = Node(child);
    let bob = login_at(&base, "bob").await;
    service.expect_vapid_key(&vapid_key(&bob).await);
    let phone = service.device("bob-phone");
    assert_eq!(subscribe(&bob, &phone).await.0, StatusCode::OK);
    service.script("bob-phone", &[500]);
    let alice = login_at(&base, "alice").await;
    let (status, _) = alice
        .api("general/api/send/", &[("content", "are you there?")])
        .await;
    assert_eq!(status, StatusCode::OK);

    // The first attempt fails; the server dies while the push waits for
    // its retry (recorded as failed, no longer claimed).
    let got = service.wait_for("bob-phone", 1, 15).await;
    assert_eq!(got[0].status, 500);
    waiting_for_retry(&data).await;
    drop(node);

    let (child, _base) = spawn(&data, &ENV);
    let _node = Node(child);
    let got = service.wait_for("bob-phone", 2, 20).await;
    assert_eq!(got[1].status, 201);
    assert_eq!(got[1].payload["body"], "alice: are you there?");
    let one_sent = vec![("sent".to_owned(), 1)];
    assert_eq!(settled(&data, |c| c == one_sent.as_slice()).await, one_sent);
    assert_eq!(
        service.received("bob-phone").len(),
        2,
        "sent once after the restart"
    );
}

#[tokio::test]
async fn two_nodes_push_each_burst_once_between_them() {
    let data = TestData::fresh();
    if data.db.is_none() {
        eprintln!(
            "\n*** SKIPPING the two-node push test: it needs PostgreSQL (set CONVERSATE_TEST_DATABASE_URL; .ci/run does). ***\n"
        );
        return;
    }
    let service = PushService::start().await;
    seed(&data);
    let env = [ENV[0], ENV[1], ENV[2], ENV[3]];
    let (a, base_a) = spawn(&data, &env);
    let (b, base_b) = spawn(&data, &env);
    let _nodes = (Node(a), Node(b));
    let bob = login_at(&base_b, "bob").await;
    let phone = service.device("bob-phone");
    assert_eq!(subscribe(&bob, &phone).await.0, StatusCode::OK);
    let alice_a = login_at(&base_a, "alice").await;
    let alice_b = login_at(&base_b, "alice").await;
    // Messages arrive on both nodes; both nodes scan and send.
    for i in 0..10 {
        let alice = if i % 2 == 0 { &alice_a } else { &alice_b };
        let (status, _) = alice
            .api("general/api/send/", &[("content", &format!("message {i}"))])
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    // PUSH_DELAY is 0 here, so the burst may take a few notifications (each
    // replacing the last); what must hold is that no message is told twice
    // and the last one is told.
    let start = Instant::now();
    loop {
        let delivered = service.delivered("bob-phone");
        if delivered.iter().any(|n| {
            n["body"]
                .as_str()
                .is_some_and(|b| b.starts_with("alice: message 9"))
        }) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the last message is pushed: {delivered:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let counts = settled(&data, |c| !c.iter().any(|(s, _)| s == "pending")).await;
    let sent: i64 = counts
        .iter()
        .filter(|(s, _)| s == "sent")
        .map(|(_, n)| *n)
        .sum();
    let delivered = service.delivered("bob-phone");
    assert_eq!(
        i64::try_from(delivered.len()).expect("count"),
        sent,
        "each queued push was sent by one node only: {delivered:?}"
    );
    let told: Vec<&str> = delivered
        .iter()
        .filter_map(|n| n["body"].as_str())
        .map(|b| b.split('\n').next().unwrap_or(b))
        .collect();
    let mut unique = told.clone();
    unique.dedup();
    assert_eq!(told, unique, "no notification repeated");
}
