//! API tokens on two nodes sharing PostgreSQL: a token made on one node
//! works on the other, and a revocation on one ends it on the other at
//! once (tokens are never cached).

use reqwest::StatusCode;
use serde_json::Value;

use crate::process::{Node, cli, login_at, spawn};
use crate::support::{PASSWORD, TestData};
use crate::tokens::make_token;

async fn bearer_poll(base: &str, token: &str) -> (StatusCode, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}general/api/poll/"))
        .bearer_auth(token)
        .form(&[("last", "0")])
        .send()
        .await
        .expect("POST");
    let status = r.status();
    (status, r.json().await.expect("JSON"))
}

#[tokio::test]
async fn a_token_made_on_one_node_works_and_ends_on_the_other() {
    let data = TestData::fresh();
    if data.db.is_none() {
        eprintln!(
            "\n*** SKIPPING the two-node token test: it needs PostgreSQL (set CONVERSATE_TEST_DATABASE_URL; .ci/run does). ***\n"
        );
        return;
    }
    cli(&data, &["room", "add", "general", "--title", "General"], "");
    cli(&data, &["user", "add", "ann", "--password-stdin"], PASSWORD);
    cli(&data, &["room", "add-member", "general", "ann"], "");
    let (a, base_a) = spawn(&data, &[]);
    let (b, base_b) = spawn(&data, &[]);
    let _nodes = (Node(a), Node(b));

    let ann_a = login_at(&base_a, "ann").await;
    let token = make_token(&ann_a, "both nodes", &["read", "post"], "").await;
    let r = reqwest::Client::new()
        .post(format!("{base_a}general/api/send/"))
        .bearer_auth(&token)
        .form(&[("content", "sent on node A")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::OK);
    let (status, body) = bearer_poll(&base_b, &token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["messages"][0]["user"], "ann");

    let (_, page) = ann_a.text("account/").await;
    let marker = "data-token-id=\"";
    let start = page.find(marker).expect("listed") + marker.len();
    let id = &page[start..start + page[start..].find('"').expect("id")];
    let r = ann_a
        .post_form("account/tokens/revoke/", &[("id", id)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = bearer_poll(&base_b, &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "ended on node B at once");
}

#[tokio::test]
async fn a_token_revoked_on_one_node_ends_its_stream_on_the_other() {
    use crate::events::EventReader;
    use crate::tokens::{bearer_browser, token_id};
    let data = TestData::fresh();
    if data.db.is_none() {
        eprintln!(
            "\n*** SKIPPING the two-node token stream test: it needs PostgreSQL (set CONVERSATE_TEST_DATABASE_URL; .ci/run does). ***\n"
        );
        return;
    }
    cli(&data, &["room", "add", "general", "--title", "General"], "");
    cli(&data, &["user", "add", "ann", "--password-stdin"], PASSWORD);
    cli(&data, &["room", "add-member", "general", "ann"], "");
    let (a, base_a) = spawn(&data, &[]);
    let (b, base_b) = spawn(&data, &[]);
    let _nodes = (Node(a), Node(b));

    let ann_a = login_at(&base_a, "ann").await;
    let token = make_token(&ann_a, "streaming", &["read"], "").await;
    let mut stream = EventReader::open(
        &bearer_browser(&base_b, &token),
        "general/api/events/",
        None,
    )
    .await;
    stream.next_of("users").await;

    let id = token_id(&ann_a, "streaming").await;
    let r = ann_a
        .post_form("account/tokens/revoke/", &[("id", &id)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let promptly = std::time::Duration::from_secs(5);
    tokio::time::timeout(promptly, stream.expect_end())
        .await
        .expect("the stream on node B ends at once, well before a heartbeat");
}
