//! `/metrics`: off unless asked for, never public by accident, and the
//! series move as messages are sent and streams and long-polls open.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::support::{TestApp, TestData};

const TOKEN: &str = "a-metrics-token-of-at-least-32-characters";

async fn with_token() -> TestApp {
    TestApp::start_with(|c| {
        c.metrics_token = Some(conversate::config::Token(TOKEN.to_owned()));
        c.limits.sends_per_minute = 1_000;
    })
    .await
}

/// The exposition text, scraped with `token`.
pub(crate) async fn scrape(base: &str, token: Option<&str>) -> (StatusCode, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut request = client.get(format!("{base}metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let r = request.send().await.expect("GET");
    (r.status(), r.text().await.expect("text"))
}

/// The value of the series `name` (with its labels, as written), or `None`.
pub(crate) fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

async fn series(app: &TestApp, name: &str) -> f64 {
    let (status, text) = scrape(&app.base, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    value(&text, name).unwrap_or_else(|| panic!("no series {name} in:\n{text}"))
}

/// Scrapes until `name` equals `want` (within 5 s); its last value.
async fn series_until(app: &TestApp, name: &str, want: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let got = series(app, name).await;
        if (got - want).abs() < f64::EPSILON || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn metrics_are_off_unless_asked_for() {
    let app = TestApp::start().await;
    let (status, text) = scrape(&app.base, None).await;
    assert_ne!(status, StatusCode::OK);
    assert!(!text.contains("conversate_"), "{text}");
    let (status, text) = scrape(&app.base, Some(TOKEN)).await;
    assert_ne!(
        status,
        StatusCode::OK,
        "no token is set, so none opens them"
    );
    assert!(!text.contains("conversate_"), "{text}");
}

#[tokio::test]
async fn with_a_token_only_its_bearer_sees_the_metrics() {
    let app = with_token().await;
    for token in [None, Some("wrong"), Some(&TOKEN[1..])] {
        let (status, text) = scrape(&app.base, token).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{token:?}");
        assert!(!text.contains("conversate_"), "{text}");
    }
    let (status, text) = scrape(&app.base, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(text.ends_with("# EOF\n"), "{text}");
}

#[tokio::test]
async fn the_series_move_as_messages_are_sent_and_streams_open() {
    let app = with_token().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let streams = "conversate_open_event_streams";
    let polls = "conversate_open_long_polls";
    let posted = "conversate_messages_posted_total";
    assert_eq!(series(&app, posted).await, 0.0);
    assert_eq!(series(&app, streams).await, 0.0);

    // A stream opens.
    let stream = bob
        .client
        .get(bob.url("general/api/events/"))
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(series(&app, streams).await, 1.0);

    // A long-poll is held.
    let last = app
        .store
        .messages()
        .newest_cursor(room.id)
        .await
        .expect("last");
    let held = {
        let (client, url, csrf) = (
            bob.client.clone(),
            bob.url("general/api/poll/"),
            bob.csrf.clone(),
        );
        tokio::spawn(async move {
            client
                .post(url)
                .header("X-CSRFToken", csrf)
                .form(&[("last", last.to_string()), ("wait", "10".to_owned())])
                .send()
                .await
                .expect("poll")
                .status()
        })
    };
    assert_eq!(series_until(&app, polls, 1.0).await, 1.0);

    // Three messages.
    for n in 0..3 {
        let content = format!("hello {n}");
        let (status, _) = alice
            .api(
                "general/api/send/",
                &[("content", content.as_str()), ("last", "0")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    assert_eq!(held.await.expect("poll task"), StatusCode::OK);
    let (status, text) = scrape(&app.base, Some(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(value(&text, posted), Some(3.0), "{text}");
    assert_eq!(value(&text, polls), Some(0.0), "the poll was answered");
    assert_eq!(
        value(
            &text,
            r#"conversate_http_requests_total{kind="send",status="2xx"}"#
        ),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"conversate_http_request_duration_seconds_count{kind="send"}"#
        ),
        Some(3.0),
        "{text}"
    );
    assert!(
        value(&text, r#"conversate_cache_lookups_total{result="hit"}"#).is_some_and(|n| n > 0.0),
        "{text}"
    );
    assert!(
        value(&text, "conversate_process_resident_memory_bytes").is_some_and(|n| n > 1e6),
        "{text}"
    );
    assert!(
        value(
            &text,
            r#"conversate_outbox_oldest_due_age_seconds{channel="mail"}"#
        )
        .is_some(),
        "{text}"
    );
    if matches!(
        app.config.database_url,
        conversate::config::DatabaseUrl::Sqlite { .. }
    ) {
        assert!(
            value(&text, "conversate_group_commit_messages_count").is_some_and(|n| n >= 1.0),
            "{text}"
        );
        assert!(
            value(&text, r#"conversate_db_pool_connections{pool="write"}"#).is_some(),
            "{text}"
        );
    } else {
        assert!(
            value(&text, "conversate_db_write_wait_seconds_count").is_some_and(|n| n >= 3.0),
            "{text}"
        );
        assert!(
            value(&text, r#"conversate_db_pool_connections{pool="main"}"#)
                .is_some_and(|n| n >= 1.0),
            "{text}"
        );
    }

    // The stream closes; the server notices at its next write.
    drop(stream);
    let _ = alice
        .api("general/api/send/", &[("content", "after"), ("last", "0")])
        .await;
    assert_eq!(series_until(&app, streams, 0.0).await, 0.0);
}

#[tokio::test]
async fn metrics_on_their_own_address_need_no_token_and_stay_off_the_main_one() {
    let data = TestData::fresh();
    crate::process::seed(&data);
    let port = crate::mail::free_port();
    let bind = format!("127.0.0.1:{port}");
    let (mut child, base) =
        crate::process::spawn(&data, &[("CONVERSATE_METRICS_BIND", bind.as_str())]);
    let (status, text) = scrape(&base, None).await;
    assert_ne!(status, StatusCode::OK, "not on the main address");
    assert!(!text.contains("conversate_"), "{text}");
    let (status, text) = scrape(&format!("http://{bind}/"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("conversate_messages_posted_total 0"),
        "{text}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test]
async fn the_sample_dashboard_asks_only_for_series_the_server_exports() {
    let app = with_token().await;
    let (_, text) = scrape(&app.base, Some(TOKEN)).await;
    let dashboard = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/grafana-dashboard.json"),
    )
    .expect("docs/grafana-dashboard.json");
    let mut names: Vec<&str> = dashboard
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("conversate_"))
        .collect();
    names.sort_unstable();
    names.dedup();
    assert!(names.len() > 10, "{names:?}");
    for name in names {
        let family = ["_bucket", "_sum", "_count", "_total"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .unwrap_or(name);
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "the dashboard uses {name}, which the server does not export:\n{text}"
        );
    }
}
