//! Catch-up across two nodes on one PostgreSQL database: read state is the
//! same on every node, and typing reaches streams on the other node.

use reqwest::StatusCode;
use serde_json::Value;

use crate::events::EventReader;
use crate::process::{Node, login_at, seed, spawn};
use crate::support::{Browser, TestData};

async fn news(b: &Browser) -> (i64, i64) {
    let body: Value = b.get("api/rooms/").await.json().await.expect("JSON");
    let room = &body["rooms"][0];
    (
        room["unread"].as_i64().expect("unread"),
        room["mentions"].as_i64().expect("mentions"),
    )
}

#[tokio::test]
async fn read_state_and_typing_cross_nodes() {
    let data = TestData::fresh();
    if data.db.is_none() {
        eprintln!(
            "\n*** SKIPPING the two-node catch-up test: it needs PostgreSQL (set CONVERSATE_TEST_DATABASE_URL; .ci/run does). ***\n"
        );
        return;
    }
    seed(&data);
    let (a, base_a) = spawn(&data, &[]);
    let (b, base_b) = spawn(&data, &[]);
    let _nodes = (Node(a), Node(b));

    let alice = login_at(&base_a, "alice").await;
    let bob_on_b = login_at(&base_b, "bob").await;
    let bob_on_a = login_at(&base_a, "bob").await;
    let mut stream = EventReader::open(&bob_on_b, "general/api/events/", None).await;
    stream.next_of("users").await;

    let (status, _) = alice.api("general/api/typing/", &[]).await;
    assert_eq!(status, StatusCode::OK);
    let typing = stream.next_of("typing").await;
    assert_eq!(typing.data, serde_json::json!({"user": "alice"}));

    let (_, body) = alice
        .api("general/api/send/", &[("content", "@bob over here")])
        .await;
    let id = body["last"].as_i64().expect("id");
    assert_eq!(
        stream.next_of("message").await.data["mentions"],
        serde_json::json!(["bob"])
    );
    assert_eq!(news(&bob_on_b).await, (1, 1));
    let (status, _) = bob_on_b
        .api("general/api/read/", &[("last", &id.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        news(&bob_on_a).await,
        (0, 0),
        "read on one node, read on all"
    );
}
