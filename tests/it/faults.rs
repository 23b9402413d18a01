//! Faults: the server killed with SIGKILL in the middle of a burst of sends
//! loses no acknowledged message and leaves nothing half-written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;

use crate::process::{seed, spawn};
use crate::support::{Browser, PASSWORD, TestData};

async fn login(base: &str, name: &str) -> Browser {
    let mut b = Browser::new(base);
    assert_eq!(
        b.login(name, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    b.refresh_csrf().await;
    b
}

#[tokio::test]
async fn kill_9_during_a_burst_of_sends_loses_no_acknowledged_message() {
    let data = TestData::fresh();
    seed(&data);
    let env = [("CONVERSATE_SENDS_PER_MINUTE", "1000000")];
    let (mut child, base) = spawn(&data, &env);
    let acked: Arc<Mutex<HashMap<i64, String>>> = Arc::default();
    let mut senders = Vec::new();
    for k in 0..4 {
        let b = login(&base, if k % 2 == 0 { "alice" } else { "bob" }).await;
        let acked = acked.clone();
        senders.push(tokio::spawn(async move {
            for n in 0.. {
                let content = format!("sender {k} message {n}");
                let sent = b
                    .client
                    .post(b.url("general/api/send/"))
                    .header("X-CSRFToken", &b.csrf)
                    .form(&[
                        ("content", content.as_str()),
                        ("client_id", &format!("{k}-{n}")),
                    ])
                    .send()
                    .await;
                let Ok(r) = sent else { return };
                if r.status() != StatusCode::OK {
                    return;
                }
                let Ok(body) = r.json::<serde_json::Value>().await else {
                    return;
                };
                let mine = body["messages"].as_array().and_then(|m| {
                    m.iter()
                        .rev()
                        .find(|m| m["content"] == format!("<p>{content}</p>\n"))
                        .cloned()
                });
                let id = mine
                    .and_then(|m| m["pk"].as_i64())
                    .expect("the new message is in the answer");
                acked.lock().expect("lock").insert(id, content);
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    for s in senders {
        s.await.expect("sender ends when the server dies");
    }
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() > 20,
        "the burst got going ({} acknowledged)",
        acked.len()
    );

    let (mut again, base) = spawn(&data, &env);
    let reader = login(&base, "alice").await;
    let mut stored: HashMap<i64, String> = HashMap::new();
    let mut last = 0;
    loop {
        let (status, body) = reader
            .api("general/api/poll/", &[("last", &last.to_string())])
            .await;
        assert_eq!(status, StatusCode::OK);
        let messages = body["messages"].as_array().expect("messages").clone();
        if messages.is_empty() {
            break;
        }
        for m in &messages {
            stored.insert(
                m["pk"].as_i64().expect("pk"),
                m["content"].as_str().expect("content").to_owned(),
            );
        }
        last = body["last"].as_i64().expect("last");
    }
    for (id, content) in &acked {
        assert_eq!(
            stored.get(id),
            Some(&format!("<p>{content}</p>\n")),
            "acknowledged message {id} survived"
        );
    }
    for content in stored.values() {
        assert!(
            content.starts_with("<p>sender ") && content.ends_with("</p>\n"),
            "whole messages only: {content}"
        );
    }
    println!(
        "kill -9: {} acknowledged, {} stored after restart",
        acked.len(),
        stored.len()
    );
    let _ = again.kill();
    let _ = again.wait();

    // The room's positions have no holes: nothing was half-written.
    let config = data.config();
    let store = conversate::store::Store::open(&config.database_url, config.sqlite_synchronous)
        .await
        .expect("store");
    let room = store.room_by_slug("general").await.expect("room");
    let all = store
        .messages_after(room.id, 0, 1_000_000)
        .await
        .expect("messages");
    let seqs: Vec<i64> = all.iter().map(|m| m.seq).collect();
    assert_eq!(
        seqs,
        (1..=i64::try_from(all.len()).expect("len")).collect::<Vec<_>>()
    );
    store.close().await;
}
