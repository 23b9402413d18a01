//! The room's newest page kept in memory (`live::Hub::newest_page`): a
//! room page read twice makes one database read, yet every message and
//! change shows at once on the node that made it, on another node through
//! the relay, and a write behind the server's back within `CACHE_MS`.

use std::time::{Duration, Instant};

use crate::process::{Node, login_at, seed, spawn};
use crate::store::new_message;
use crate::support::{TestApp, TestData};

/// Polls `read` until it answers true or `within` passes; answers how long
/// it took, or `None`.
async fn shows_within<F, Fut>(within: Duration, mut read: F) -> Option<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while started.elapsed() < within {
        if read().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    None
}

#[tokio::test]
async fn a_message_written_behind_the_servers_back_shows_within_the_cache_time() {
    const TTL: Duration = Duration::from_millis(400);
    let app = TestApp::start_with(|c| c.cache_ms = 400).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let (_, page) = alice.text("general/").await;
    assert!(!page.contains("written elsewhere"));
    // Kept now: the same page again.
    let (_, page) = alice.text("general/").await;
    assert!(!page.contains("written elsewhere"));

    // Through the store, not the server: no event passes through its hub,
    // as with another process that has no relay.
    let room = app.room_id("general").await;
    let bob = app.user_id("bob").await;
    app.store
        .posting()
        .post_message(new_message(room, bob, "written elsewhere"))
        .await
        .expect("posted");
    let took = shows_within(Duration::from_secs(5), || async {
        alice.text("general/").await.1.contains("written elsewhere")
    })
    .await
    .expect("the room page shows the message");
    assert!(
        took < TTL + Duration::from_millis(1500),
        "seen after {took:?}, the cache time is {TTL:?}"
    );
}

#[tokio::test]
async fn a_message_sent_on_another_node_shows_on_this_nodes_page_at_once() {
    let data = TestData::fresh();
    if data.db.is_none() {
        eprintln!(
            "\n*** SKIPPING the two-node newest-page test: it needs PostgreSQL (set CONVERSATE_TEST_DATABASE_URL; .ci/run does). ***\n"
        );
        return;
    }
    seed(&data);
    // A minute's cache: only the relay can make node A see it in time.
    let cache = [("CONVERSATE_CACHE_MS", "60000")];
    let (a, base_a) = spawn(&data, &cache);
    let (b, base_b) = spawn(&data, &cache);
    let _nodes = (Node(a), Node(b));
    let alice = login_at(&base_a, "alice").await;
    let bob = login_at(&base_b, "bob").await;
    for _ in 0..2 {
        let (_, page) = alice.text("general/").await;
        assert!(!page.contains("from node B"));
    }
    let (_, sent) = bob
        .api("general/api/send/", &[("content", "from node B")])
        .await;
    let id = sent["last"].as_i64().expect("sent").to_string();
    shows_within(Duration::from_secs(10), || async {
        alice.text("general/").await.1.contains("from node B")
    })
    .await
    .expect("node A's page shows node B's message");

    // A change too: node A's kept page is dropped again.
    let (_, _) = bob
        .api(
            "general/api/edit/",
            &[("id", &id), ("content", "from node B, edited")],
        )
        .await;
    shows_within(Duration::from_secs(10), || async {
        alice
            .text("general/")
            .await
            .1
            .contains("from node B, edited")
    })
    .await
    .expect("node A's page shows the edit");
}
