//! Several server nodes on one PostgreSQL database: every client on every
//! node sees every message exactly once, in order.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::events::EventReader;
use crate::process::{Node, cli, login_at, spawn};
use crate::support::{PASSWORD, TestData};

const SENDERS: usize = 10;
const PER_SENDER: usize = 100;

#[tokio::test]
async fn two_nodes_deliver_a_thousand_concurrent_messages_to_every_client_in_order() {
    let data = TestData::fresh();
    if data.db.is_none() {
        eprintln!(
            "\n*** SKIPPING the two-node test: it needs PostgreSQL (set CONVERSATE_TEST_DATABASE_URL; .ci/run does). ***\n"
        );
        return;
    }
    cli(&data, &["room", "add", "general", "--title", "General"], "");
    let names: Vec<String> = (0..SENDERS)
        .map(|i| format!("sender{i}"))
        .chain(["reader".to_owned()])
        .collect();
    for name in &names {
        cli(&data, &["user", "add", name, "--password-stdin"], PASSWORD);
        cli(&data, &["room", "add-member", "general", name], "");
    }
    let env = [
        ("CONVERSATE_SENDS_PER_MINUTE", "100000"),
        ("CONVERSATE_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "1000"),
    ];
    let (a, base_a) = spawn(&data, &env);
    let (b, base_b) = spawn(&data, &env);
    let _nodes = (Node(a), Node(b));

    // A stream on node B and a long-poll loop on node A.
    let reader_b = login_at(&base_b, "reader").await;
    let mut stream = EventReader::open(&reader_b, "general/api/events/", None).await;
    stream.next_of("users").await;
    let reader_a = login_at(&base_a, "reader").await;
    let long_poll = tokio::spawn(async move {
        let mut last = 0_i64;
        let mut seen = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while seen.len() < SENDERS * PER_SENDER && Instant::now() < deadline {
            let (status, body) = reader_a
                .api(
                    "general/api/poll/",
                    &[
                        ("last", &last.to_string()),
                        ("wait", "25"),
                        ("hasFocus", "true"),
                    ],
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            for m in body["messages"].as_array().expect("messages") {
                seen.push(m["pk"].as_i64().expect("pk"));
            }
            last = body["last"].as_i64().expect("last");
        }
        seen
    });

    // Ten senders, half through each node, all at once.
    let mut senders = Vec::new();
    for (i, name) in names.iter().take(SENDERS).enumerate() {
        let base = if i % 2 == 0 {
            base_a.clone()
        } else {
            base_b.clone()
        };
        let name = name.clone();
        senders.push(tokio::spawn(async move {
            let b = login_at(&base, &name).await;
            let mut ids = Vec::with_capacity(PER_SENDER);
            for n in 0..PER_SENDER {
                let (status, body) = b
                    .api("general/api/send/", &[("content", &format!("{name} #{n}"))])
                    .await;
                assert_eq!(status, StatusCode::OK, "{body}");
                ids.push(
                    body["messages"]
                        .as_array()
                        .expect("messages")
                        .iter()
                        .rev()
                        .find(|m| m["user"] == name.as_str())
                        .expect("own message")["pk"]
                        .as_i64()
                        .expect("pk"),
                );
            }
            ids
        }));
    }
    let mut sent = HashSet::new();
    for s in senders {
        sent.extend(s.await.expect("sender"));
    }
    assert_eq!(
        sent.len(),
        SENDERS * PER_SENDER,
        "every send acknowledged with its own id"
    );

    let mut streamed = Vec::with_capacity(sent.len());
    while streamed.len() < sent.len() {
        let e = stream.next_of("message").await;
        streamed.push(e.data["pk"].as_i64().expect("pk"));
    }
    let polled = long_poll.await.expect("long-poll");
    for (who, got) in [
        ("stream on node B", &streamed),
        ("long-poll on node A", &polled),
    ] {
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "{who}: in id order, no duplicates"
        );
        assert_eq!(
            got.iter().copied().collect::<HashSet<_>>(),
            sent,
            "{who}: every message, nothing else"
        );
    }
}

/// A command of the command line ends as soon as its work is done. What it
/// queued for the other nodes (a member it removed, say) is sent before
/// that, or streams open on the servers would never hear of it: after
/// `flush`, everything relayed has gone out, even when the runtime that
/// sends it ends at once, as a process's does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_relay_flushed_reaches_the_other_nodes_though_its_process_ends_at_once() {
    use conversate::live::postgres::{CHANNEL, PgRelay, decode_all};
    use conversate::live::{Relay as _, RoomEvent};

    let Some(db) = crate::support::TestDatabase::from_env() else {
        eprintln!(
            "\n*** SKIPPING the relay flush test: it needs PostgreSQL (set CONVERSATE_TEST_DATABASE_URL; .ci/run does). ***\n"
        );
        return;
    };
    // Several payloads: each holds under 8,000 bytes.
    const NOTICES: i64 = 1_500;
    let mut listener = sqlx::postgres::PgListener::connect(&db.url)
        .await
        .expect("listen");
    listener.listen(CHANNEL).await.expect("listen");

    // The relay on a one-thread runtime of its own, dropped right after the
    // flush: its sending task gets no time beyond what the flush waits for.
    let url = db.url.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let relay = PgRelay::connect(&url, 1).await.expect("relay");
            for user_id in 0..NOTICES {
                relay.relay(7, &RoomEvent::AccessRevoked { user_id });
            }
            relay.flush().await;
        });
    })
    .join()
    .expect("the relay's thread");

    let mut heard = Vec::new();
    while heard.len() < NOTICES as usize {
        let n = tokio::time::timeout(Duration::from_secs(5), listener.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {NOTICES} notices arrived", heard.len()))
            .expect("notice");
        heard.extend(decode_all(2, n.payload()));
    }
    assert_eq!(heard.len(), NOTICES as usize, "each notice once");
}
