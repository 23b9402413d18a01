//! Limits shared by every node: on PostgreSQL, login attempts and sends are
//! counted in the database, so spreading them over nodes gains nothing.

use reqwest::StatusCode;

use crate::process::{Node, seed, spawn};
use crate::support::{Browser, PASSWORD, TestData, TestStore};

#[tokio::test]
async fn a_shared_throttle_lets_a_burst_through_then_one_per_interval() {
    let store = TestStore::open().await;
    let t = store.throttles();
    let now = 1_700_000_000_000_000_i64;
    for n in 0..3 {
        assert_eq!(t.take("k", now, 1_000, 3).await.expect("take"), None, "{n}");
    }
    let wait = t.take("k", now, 1_000, 3).await.expect("take");
    assert!(wait.is_some_and(|w| w > 0 && w <= 1_000), "{wait:?}");
    assert_eq!(t.take("other", now, 1_000, 3).await.expect("take"), None);
    assert_eq!(
        t.take("k", now + 1_000, 1_000, 3).await.expect("take"),
        None,
        "one more an interval later"
    );
    assert!(
        t.take("k", now + 1_000, 1_000, 3)
            .await
            .expect("take")
            .is_some()
    );
    assert_eq!(t.sweep_throttles(now + 10_000).await.expect("sweep"), 2);
    assert_eq!(
        t.take("k", now + 10_000, 1_000, 3).await.expect("take"),
        None
    );
}

/// Takes made together are moved together on PostgreSQL (one statement
/// for the batch, a repeated key in the next): each must count as if taken
/// alone.
#[tokio::test]
async fn takes_made_together_count_as_taken_one_by_one() {
    let store = TestStore::open().await;
    let t = store.throttles();
    let now = 1_700_000_000_000_000_i64;
    // Taken together, these go as five batches of "k", "j" and "i" (the
    // first three pass, the last two are refused), then the lone "k"s.
    let keys = [
        "k", "j", "i", "k", "j", "i", "k", "j", "i", "k", "j", "i", "k", "j", "i", "k", "k",
    ];
    let takes =
        keys.map(|key| async move { (key, t.take(key, now, 1_000, 3).await.expect("take")) });
    let answers = futures_util::future::join_all(takes).await;
    for key in ["k", "j", "i"] {
        let (passed, refused): (Vec<_>, Vec<_>) = answers
            .iter()
            .filter(|(k, _)| *k == key)
            .partition(|(_, wait)| wait.is_none());
        let made = keys.iter().filter(|k| **k == key).count();
        assert_eq!(passed.len(), made.min(3), "{key}: a burst of 3 passes");
        for (_, wait) in refused {
            assert!(wait.is_some_and(|w| w > 0 && w <= 1_000), "{key}: {wait:?}");
        }
    }
    assert!(
        t.take("i", now + 1_000, 1_000, 3)
            .await
            .expect("take")
            .is_none(),
        "one more an interval later"
    );
}

/// The throttle's table makes no WAL on PostgreSQL, so a send's or a
/// login's step does not wait for the disk (migration 0020).
#[tokio::test]
async fn the_shared_throttle_table_is_unlogged_on_postgresql() {
    let store = TestStore::open().await;
    let conversate::config::DatabaseUrl::Postgres(url) = &store.config.database_url else {
        eprintln!("SKIPPED: PostgreSQL only (set CONVERSATE_TEST_DATABASE_URL)");
        return;
    };
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    let persistence: i8 =
        sqlx::query_scalar("SELECT relpersistence FROM pg_class WHERE relname = 'throttle'")
            .fetch_one(&mut conn)
            .await
            .expect("the throttle table");
    assert_eq!(persistence as u8, b'u', "unlogged");
    conn.close().await.expect("close");
}

async fn failed_login(base: &str) -> StatusCode {
    Browser::new(base)
        .login("alice", "not the password")
        .await
        .status()
}

#[tokio::test]
async fn failed_logins_spread_over_two_nodes_are_throttled_as_on_one() {
    let data = TestData::fresh();
    if data.db.is_none() {
        eprintln!(
            "\n*** SKIPPING the two-node throttle test: it needs PostgreSQL (set CONVERSATE_TEST_DATABASE_URL; .ci/run does). ***\n"
        );
        return;
    }
    seed(&data);
    // The default limit: 10 attempts per account a minute.
    let (a, base_a) = spawn(&data, &[]);
    let (b, base_b) = spawn(&data, &[]);
    let _nodes = (Node(a), Node(b));
    for n in 0..10 {
        let base = if n % 2 == 0 { &base_a } else { &base_b };
        assert_eq!(
            failed_login(base).await,
            StatusCode::UNAUTHORIZED,
            "attempt {}",
            n + 1
        );
    }
    assert_eq!(
        failed_login(&base_a).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the 11th attempt is refused, though each node saw only 5 or 6"
    );
    let mut right = Browser::new(&base_b);
    assert_eq!(
        right.login("alice", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "on the other node too, even with the right password"
    );
    let mut bob = Browser::new(&base_b);
    assert_eq!(
        bob.login("bob", PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "other accounts are unaffected"
    );
}

#[tokio::test]
async fn sends_spread_over_two_nodes_are_throttled_as_on_one() {
    let data = TestData::fresh();
    if data.db.is_none() {
        eprintln!(
            "\n*** SKIPPING the two-node send throttle test: it needs PostgreSQL (set CONVERSATE_TEST_DATABASE_URL; .ci/run does). ***\n"
        );
        return;
    }
    seed(&data);
    let env = [("CONVERSATE_SENDS_PER_MINUTE", "4")];
    let (a, base_a) = spawn(&data, &env);
    let (b, base_b) = spawn(&data, &env);
    let _nodes = (Node(a), Node(b));
    let mut on_a = Browser::new(&base_a);
    let mut on_b = Browser::new(&base_b);
    for b in [&mut on_a, &mut on_b] {
        assert_eq!(
            b.login("alice", PASSWORD).await.status(),
            StatusCode::SEE_OTHER
        );
        b.refresh_csrf().await;
    }
    for n in 0..4 {
        let node = if n % 2 == 0 { &on_a } else { &on_b };
        let content = format!("message {n}");
        let (status, _) = node
            .api(
                "general/api/send/",
                &[("content", content.as_str()), ("last", "0")],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "send {}", n + 1);
    }
    let (status, _) = on_b
        .api(
            "general/api/send/",
            &[("content", "one too many"), ("last", "0")],
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}
