//! Message changes across two nodes on one PostgreSQL database: an edit, a
//! reaction and a deletion made through one node reach the other node's
//! event stream and long-poll, and a later poll there, once each and in
//! order with new messages.

use reqwest::StatusCode;
use serde_json::Value;

use crate::events::EventReader;
use crate::process::{Node, login_at, seed, spawn};
use crate::support::{Browser, TestData};

fn clone(b: &Browser) -> Browser {
    Browser {
        client: b.client.clone(),
        jar: b.jar.clone(),
        base: b.base.clone(),
        csrf: b.csrf.clone(),
    }
}

/// The next `message` or `change` event: (event, pk, cursor).
async fn next_change(stream: &mut EventReader) -> (String, i64, i64, Value) {
    loop {
        let e = stream.next_of("*").await;
        if e.event == "message" || e.event == "change" {
            let cursor = e.id.expect("id").parse().expect("numeric");
            return (e.event, e.data["pk"].as_i64().expect("pk"), cursor, e.data);
        }
    }
}

#[tokio::test]
async fn changes_made_on_one_node_reach_every_transport_on_the_other() {
    let data = TestData::fresh();
    if data.db.is_none() {
        eprintln!(
            "\n*** SKIPPING the two-node lifecycle test: it needs PostgreSQL (set CONVERSATE_TEST_DATABASE_URL; .ci/run does). ***\n"
        );
        return;
    }
    seed(&data);
    let (a, base_a) = spawn(&data, &[]);
    let (b, base_b) = spawn(&data, &[]);
    let _nodes = (Node(a), Node(b));

    let alice = login_at(&base_a, "alice").await;
    let bob = login_at(&base_b, "bob").await;
    let (_, body) = alice.api("general/api/send/", &[("content", "one")]).await;
    let one = body["last"].as_i64().expect("id");
    let start = one.to_string();

    let mut stream = EventReader::open(&bob, "general/api/events/", Some(&start)).await;
    stream.next_of("users").await;
    let held = {
        let bob = clone(&bob);
        let start = start.clone();
        tokio::spawn(async move {
            bob.api(
                "general/api/poll/",
                &[
                    ("last", start.as_str()),
                    ("hasFocus", "false"),
                    ("wait", "20"),
                ],
            )
            .await
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let (status, _) = alice
        .api(
            "general/api/edit/",
            &[("id", &start), ("content", "one, edited")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, mut long) = held.await.expect("long-poll");
    assert_eq!(status, StatusCode::OK, "{long}");
    // A long-poll may also end early for other news (bob's presence, say);
    // a client then asks again from the cursor it got, as the script does.
    for _ in 0..3 {
        if long["changes"].as_array().is_some_and(|c| !c.is_empty()) {
            break;
        }
        assert_eq!(long["messages"], Value::Array(Vec::new()), "{long}");
        let last = long["last"].as_i64().expect("last").to_string();
        let (status, again) = bob
            .api(
                "general/api/poll/",
                &[
                    ("last", last.as_str()),
                    ("hasFocus", "false"),
                    ("wait", "20"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        long = again;
    }
    assert_eq!(long["messages"], Value::Array(Vec::new()));
    assert_eq!(long["changes"][0]["content"], "<p>one, edited</p>\n");

    let (_, body) = alice.api("general/api/send/", &[("content", "two")]).await;
    let two = body["last"].as_i64().expect("id");
    let (status, _) = alice
        .api("general/api/react/", &[("id", &start), ("emoji", "🎉")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = alice
        .api("general/api/delete/", &[("id", &two.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK);

    let edit = next_change(&mut stream).await;
    let new = next_change(&mut stream).await;
    let react = next_change(&mut stream).await;
    let delete = next_change(&mut stream).await;
    assert_eq!((edit.0.as_str(), edit.1), ("change", one));
    assert_eq!(edit.3["content"], "<p>one, edited</p>\n");
    assert_eq!((new.0.as_str(), new.1), ("message", two));
    assert_eq!((react.0.as_str(), react.1), ("change", one));
    assert_eq!(
        react.3["reactions"][0]["users"],
        serde_json::json!(["alice"])
    );
    assert_eq!((delete.0.as_str(), delete.1), ("change", two));
    assert_eq!(delete.3["deleted"], true);
    let cursors = [edit.2, new.2, react.2, delete.2];
    assert!(cursors.windows(2).all(|w| w[0] < w[1]), "{cursors:?}");

    // A later poll on node B: the current state, each message once.
    let (status, body) = bob
        .api(
            "general/api/poll/",
            &[("last", &start), ("hasFocus", "false")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let pks = |v: &Value| -> Vec<i64> {
        v.as_array()
            .expect("list")
            .iter()
            .map(|m| m["pk"].as_i64().expect("pk"))
            .collect()
    };
    assert_eq!(pks(&body["messages"]), vec![two]);
    assert_eq!(body["messages"][0]["deleted"], true);
    assert_eq!(pks(&body["changes"]), vec![one]);
    assert_eq!(body["changes"][0]["reactions"][0]["emoji"], "🎉");
    assert_eq!(body["last"], delete.2);
}
