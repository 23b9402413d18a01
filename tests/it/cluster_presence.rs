//! Presence across two nodes on one PostgreSQL database: a post's change to
//! its poster's presence travels with the message, so the other node shows
//! it on its streams without reading the room's members again.

use serde_json::Value;

use crate::events::EventReader;
use crate::metrics::{scrape, value};
use crate::process::{Node, login_at, seed, spawn};
use crate::support::TestData;

/// Alice as the users list of a `users` event shows her.
fn alice(event: &Value) -> Value {
    event["users"]
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == "alice")
        .cloned()
        .expect("alice")
}

/// Reads the stream until it has shown Alice's message and a users list
/// with her as having just spoken, focused or not as `focus` (in either
/// order: the two events may come from different notices); her entry.
async fn message_and_alice(stream: &mut EventReader, focus: bool) -> Value {
    let (mut message, mut shown) = (false, None);
    while !message || shown.is_none() {
        let event = stream.next_of("*").await;
        match event.event.as_str() {
            "message" => {
                assert_eq!(event.data["user"], "alice");
                message = true;
            }
            "users" => {
                let a = alice(&event.data);
                if a["has_focus"] == focus
                    && a["last_spoke"]
                        .as_i64()
                        .is_some_and(|s| (0..5).contains(&s))
                {
                    shown = Some(a);
                }
            }
            _ => {}
        }
    }
    shown.expect("shown")
}

/// The node's read-cache look-ups that went to the database.
async fn misses(metrics: &str) -> f64 {
    let (_, text) = scrape(metrics, None).await;
    value(&text, "conversate_cache_lookups_total{result=\"miss\"}")
        .unwrap_or_else(|| panic!("no cache series in:\n{text}"))
}

#[tokio::test]
async fn a_post_on_one_node_shows_its_poster_active_on_the_other_without_a_re_read() {
    let data = TestData::fresh();
    if data.db.is_none() {
        eprintln!(
            "\n*** SKIPPING the two-node presence test: it needs PostgreSQL (set CONVERSATE_TEST_DATABASE_URL; .ci/run does). ***\n"
        );
        return;
    }
    seed(&data);
    let bind = format!("127.0.0.1:{}", crate::mail::free_port());
    let (a, base_a) = spawn(&data, &[]);
    // Node B trusts its cache for a minute, so only invalidation (not age)
    // can send it back to the database during the test.
    let (b, base_b) = spawn(
        &data,
        &[
            ("CONVERSATE_METRICS_BIND", bind.as_str()),
            ("CONVERSATE_CACHE_MS", "60000"),
        ],
    );
    let _nodes = (Node(a), Node(b));
    let metrics_b = format!("http://{bind}/");

    let alice_on_a = login_at(&base_a, "alice").await;
    let bob_on_b = login_at(&base_b, "bob").await;
    let mut stream = EventReader::open(&bob_on_b, "general/api/events/", None).await;
    // Seconds since she last spoke; -1: never.
    assert_eq!(
        alice(&stream.next_of("users").await.data)["last_spoke"],
        -1,
        "alice has not spoken yet"
    );

    // The first post: node B's stream shows Alice as having spoken.
    let (_, body) = alice_on_a
        .api(
            "general/api/send/",
            &[("content", "first"), ("hasFocus", "true")],
        )
        .await;
    assert_eq!(body["success"], true, "{body}");
    let shown = message_and_alice(&mut stream, true).await;
    assert_eq!(shown["active"], true, "{shown}");

    // Later posts: the same on node B's stream, and node B reads nothing
    // about the room's members to show it.
    let before = misses(&metrics_b).await;
    for i in 0..5 {
        let (_, body) = alice_on_a
            .api(
                "general/api/send/",
                &[("content", &format!("more {i}")), ("hasFocus", "false")],
            )
            .await;
        assert_eq!(body["success"], true, "{body}");
        message_and_alice(&mut stream, false).await;
    }
    assert_eq!(
        misses(&metrics_b).await,
        before,
        "node B applied the posts' presence to what it had cached"
    );
}
