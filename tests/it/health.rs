//! Health checks: `/healthz` while the process serves, `/readyz` only while
//! the node should get traffic (database reachable and migrated, file
//! storage writable, not shutting down), and a graceful shutdown that
//! fails readiness first and then closes streams with a retry hint.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use reqwest::StatusCode;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

use crate::support::{TestApp, TestData};

async fn get(app_base: &str, path: &str) -> (StatusCode, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let r = client
        .get(format!("{app_base}{path}"))
        .send()
        .await
        .expect("GET");
    (r.status(), r.text().await.expect("body"))
}

/// Asks `/readyz` until it answers `want` (within `within`); the last answer.
async fn readyz_until(base: &str, want: StatusCode, within: Duration) -> (StatusCode, String) {
    let deadline = Instant::now() + within;
    loop {
        let answer = get(base, "readyz").await;
        if answer.0 == want || Instant::now() > deadline {
            return answer;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn healthz_and_readyz_answer_directly_and_are_not_room_names() {
    let app = TestApp::start().await;
    assert_eq!(
        get(&app.base, "healthz").await,
        (StatusCode::OK, "ok\n".to_owned())
    );
    assert_eq!(
        get(&app.base, "readyz").await,
        (StatusCode::OK, "ready\n".to_owned())
    );
    for word in ["healthz", "readyz", "metrics", "Readyz"] {
        assert!(
            conversate::service::accounts::create_room(&app.store, word, "Title")
                .await
                .is_err(),
            "{word} is reserved"
        );
    }
}

#[tokio::test]
async fn readyz_fails_while_file_storage_cannot_be_written_and_recovers() {
    // A generous limit: this is about a storage that refuses, and a
    // loaded test machine must not turn it into one that is late.
    let app = TestApp::start_with(|c| c.ready_timeout_ms = 30_000).await;
    assert_eq!(get(&app.base, "readyz").await.0, StatusCode::OK);
    // The storage directory becomes a plain file: nothing can be written.
    let root = app.config.store_root.clone();
    let aside = root.with_extension("aside");
    std::fs::rename(&root, &aside).expect("move the storage away");
    std::fs::write(&root, b"not a directory").expect("a file in its place");
    let (status, body) = get(&app.base, "readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("file storage"), "{body}");
    assert_eq!(
        get(&app.base, "healthz").await.0,
        StatusCode::OK,
        "still alive"
    );
    std::fs::remove_file(&root).expect("remove the file");
    std::fs::rename(&aside, &root).expect("storage back");
    assert_eq!(get(&app.base, "readyz").await.0, StatusCode::OK);
}

/// A TCP relay to the database that can be cut (every connection ends,
/// new ones are closed at once) and restored: a database that becomes
/// unreachable without stopping the server the other tests share.
struct CuttableLink {
    addr: SocketAddr,
    open: Arc<AtomicBool>,
    silent: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

impl CuttableLink {
    async fn to(target: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let open = Arc::new(AtomicBool::new(true));
        let silent = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let accept = {
            let (open, silent, links) = (open.clone(), silent.clone(), links.clone());
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !open.load(Ordering::SeqCst) {
                        if silent.load(Ordering::SeqCst) {
                            // Taken and held, never answered: a database
                            // that hangs rather than refuses.
                            let held = tokio::spawn(async move {
                                let _held = inbound;
                                std::future::pending::<()>().await;
                            });
                            links.lock().expect("lock").push(held.abort_handle());
                        }
                        continue;
                    }
                    let target = target.clone();
                    let link = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(&target).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    links.lock().expect("lock").push(link.abort_handle());
                }
            })
            .abort_handle()
        };
        Self {
            addr,
            open,
            silent,
            links,
            accept,
        }
    }

    /// Every connection ends; new ones are closed at once.
    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        for link in self.links.lock().expect("lock").drain(..) {
            link.abort();
        }
    }

    /// Every connection ends; new ones are taken and never answered.
    fn silence(&self) {
        self.silent.store(true, Ordering::SeqCst);
        self.cut();
    }

    fn restore(&self) {
        self.silent.store(false, Ordering::SeqCst);
        self.open.store(true, Ordering::SeqCst);
        for held in self.links.lock().expect("lock").drain(..) {
            held.abort();
        }
    }
}

impl Drop for CuttableLink {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// `host:port` of a `postgres://user@host:port/db` URL, and the URL with
/// another `host:port`.
fn authority(url: &str) -> (String, impl Fn(SocketAddr) -> String + '_) {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let end = rest.find('/').unwrap_or(rest.len());
    let host_start = rest[..end].rfind('@').map_or(0, |i| i + 1);
    let host = rest[host_start..end].to_owned();
    let replace = move |addr: SocketAddr| {
        format!(
            "{}{addr}{}",
            &url[..start + host_start],
            &url[start + end..]
        )
    };
    (host, replace)
}

/// A server whose PostgreSQL is reached through a [`CuttableLink`], with the
/// database it uses (kept while the test runs); without PostgreSQL, `None`
/// and a loud line naming the `test` skipped.
async fn behind_a_link(
    test: &str,
    tweak: impl FnOnce(&mut conversate::config::Config),
) -> Option<(TestData, CuttableLink, TestApp)> {
    let data = TestData::fresh();
    let Some(db) = &data.db else {
        eprintln!(
            "\n*** SKIPPING the {test} readiness test: it needs PostgreSQL (CONVERSATE_TEST_DATABASE_URL); .ci/run sets it. ***\n"
        );
        return None;
    };
    let (link, url) = {
        let (host, through) = authority(&db.url);
        let link = CuttableLink::to(host).await;
        let url = through(link.addr);
        (link, url)
    };
    let app = TestApp::start_with(|c| {
        c.database_url = conversate::config::DatabaseUrl::Postgres(url);
        tweak(c);
    })
    .await;
    Some((data, link, app))
}

#[tokio::test]
async fn readyz_fails_while_the_database_is_unreachable_and_recovers() {
    let Some((_data, link, app)) = behind_a_link("unreachable-database", |_| {}).await else {
        return;
    };
    assert_eq!(get(&app.base, "readyz").await.0, StatusCode::OK);

    link.cut();
    let started = Instant::now();
    let (status, body) = get(&app.base, "readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("database"), "{body}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "a balancer's check gets its answer in time: {:?}",
        started.elapsed()
    );
    assert_eq!(
        get(&app.base, "healthz").await.0,
        StatusCode::OK,
        "still alive"
    );

    link.restore();
    let (status, body) = readyz_until(&app.base, StatusCode::OK, Duration::from_secs(20)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "ready again once the database is back: {body}"
    );
}

#[tokio::test]
async fn readyz_names_a_database_that_does_not_answer_in_time() {
    let Some((_data, link, app)) =
        behind_a_link("hanging-database", |c| c.ready_timeout_ms = 500).await
    else {
        return;
    };
    // Ready before the link goes silent. On a loaded machine the first
    // check (a new connection through the link) can itself take longer
    // than the 500 ms under test, so it is asked until it answers.
    let (status, body) = readyz_until(&app.base, StatusCode::OK, Duration::from_secs(20)).await;
    assert_eq!(status, StatusCode::OK, "ready before the cut: {body}");

    link.silence();
    let started = Instant::now();
    let (status, body) = get(&app.base, "readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(
        body.contains("database: no answer within 500 ms"),
        "the check that hung is named, with the limit: {body}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered at the limit, not when the pool gives up: {:?}",
        started.elapsed()
    );

    link.restore();
    let (status, body) = readyz_until(&app.base, StatusCode::OK, Duration::from_secs(20)).await;
    assert_eq!(status, StatusCode::OK, "ready again: {body}");
}

/// Stops the shared PostgreSQL server for real, so it runs only when asked
/// (`CONVERSATE_TEST_PG_RESTART=1`, set by `.ci/run` in a step of its own).
#[tokio::test]
async fn readyz_fails_while_postgresql_is_stopped_and_recovers_when_it_returns() {
    if std::env::var_os("CONVERSATE_TEST_PG_RESTART").is_none() {
        eprintln!(
            "\n*** SKIPPING the stopped-PostgreSQL readiness test: set CONVERSATE_TEST_PG_RESTART=1 (with CONVERSATE_TEST_DATABASE_URL); .ci/run does. ***\n"
        );
        return;
    }
    let app = TestApp::start().await;
    assert!(
        matches!(
            app.config.database_url,
            conversate::config::DatabaseUrl::Postgres(_)
        ),
        "CONVERSATE_TEST_PG_RESTART needs CONVERSATE_TEST_DATABASE_URL"
    );
    assert_eq!(get(&app.base, "readyz").await.0, StatusCode::OK);
    let cluster = |action: &'static str| {
        tokio::task::spawn_blocking(move || {
            let version = std::fs::read_dir("/etc/postgresql")
                .ok()
                .and_then(|mut d| d.next())
                .and_then(Result::ok)
                .map(|e| e.file_name())
                .expect("a PostgreSQL cluster under /etc/postgresql");
            let status = std::process::Command::new("pg_ctlcluster")
                .arg("--skip-systemctl-redirect")
                .arg(&version)
                .args(["main", action])
                .status()
                .expect("pg_ctlcluster runs");
            assert!(status.success(), "PostgreSQL {action}");
        })
    };
    cluster("stop").await.expect("stop");
    let (status, body) = get(&app.base, "readyz").await;
    cluster("start").await.expect("start");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("database"), "{body}");
    let (status, body) = readyz_until(&app.base, StatusCode::OK, Duration::from_secs(30)).await;
    assert_eq!(status, StatusCode::OK, "ready again: {body}");
}

#[tokio::test]
async fn a_shutdown_fails_readiness_first_then_closes_streams_with_a_retry_hint() {
    let mut app = TestApp::start_with(|c| c.shutdown_delay_ms = 1_500).await;
    app.with_room().await;
    let bob = app.login("bob").await;
    let stream = bob
        .client
        .get(bob.url("general/api/events/"))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .expect("stream opens");
    assert_eq!(stream.status(), StatusCode::OK);
    let mut body = stream.bytes_stream();
    let collected = Arc::new(Mutex::new(String::new()));
    let reader = {
        let collected = collected.clone();
        tokio::spawn(async move {
            while let Some(Ok(chunk)) = body.next().await {
                collected
                    .lock()
                    .expect("lock")
                    .push_str(&String::from_utf8_lossy(&chunk));
            }
            Instant::now()
        })
    };
    let base = app.base.clone();
    assert_eq!(get(&base, "readyz").await.0, StatusCode::OK);

    let asked = Instant::now();
    app.begin_shutdown();
    let (status, body) = readyz_until(
        &base,
        StatusCode::SERVICE_UNAVAILABLE,
        Duration::from_secs(1),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("shutting down"), "{body}");
    assert_eq!(
        get(&base, "healthz").await.0,
        StatusCode::OK,
        "still serving"
    );
    assert!(
        !reader.is_finished(),
        "the stream stays open while readiness fails"
    );

    let ended = tokio::time::timeout(Duration::from_secs(10), reader)
        .await
        .expect("the stream ends after the delay")
        .expect("reader");
    let open_for = ended - asked;
    assert!(
        open_for >= Duration::from_millis(1_400),
        "streams close only after SHUTDOWN_DELAY_MS: {open_for:?}"
    );
    let text = collected.lock().expect("lock").clone();
    assert!(
        text.ends_with("retry: 1000\n\n"),
        "the last frame tells the browser to reconnect in a second: {text:?}"
    );
    app.shutdown().await;
}
