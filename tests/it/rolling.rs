//! Rolling restarts behind a real reverse proxy (nginx): two nodes on one
//! PostgreSQL database, each restarted in turn (SIGTERM, then started
//! again) while a client streams and another sends. No acknowledged
//! message is lost or stored twice, and the stream resumes (through the
//! proxy, with `Last-Event-ID`) with exactly the messages it missed.
//!
//! Needs PostgreSQL and nginx; skipped loudly without them, except that
//! `CONVERSATE_REQUIRE_PROXY` (set by `.ci/run`) makes a missing nginx fail.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::events::EventReader;
use crate::mail::free_port;
use crate::process::seed;
use crate::support::{Browser, PASSWORD, TestData};

const TOTAL: usize = 150;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nginx() -> Option<String> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(str::to_owned)
}

/// `conversate serve` on a fixed port, ready when this returns.
fn node(dir: &std::path::Path, env: &[(&'static str, String)], port: u16) -> Killed {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conversate"))
        .arg("--data-dir")
        .arg(dir)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env_remove("CONVERSATE_DATABASE_URL")
        .envs(env.iter().cloned())
        .env("CONVERSATE_SENDS_PER_MINUTE", "1000000")
        .env("CONVERSATE_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE", "1000")
        .env("CONVERSATE_SHUTDOWN_DELAY_MS", "500")
        .env("CONVERSATE_TRUSTED_PROXIES", "127.0.0.1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let _ = lines.next().expect("the listening line");
    std::thread::spawn(move || for _ in lines {});
    Killed(child)
}

/// Stops a node gracefully (SIGTERM) and waits for it to exit.
fn stop(node: &mut Killed) {
    let status = Command::new("kill")
        .args(["-TERM", &node.0.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(40);
    while node.0.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "the node stops within 40 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn proxy(bin: &str, dir: &std::path::Path, port: u16, nodes: [u16; 2]) -> Killed {
    let d = dir.display();
    let conf = format!(
        "worker_processes 1;\n\
         error_log {d}/error.log;\n\
         pid {d}/nginx.pid;\n\
         events {{ worker_connections 256; }}\n\
         http {{\n\
           access_log off;\n\
           client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;\n\
           fastcgi_temp_path {d}/fcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;\n\
           upstream nodes {{\n\
             server 127.0.0.1:{a} max_fails=1 fail_timeout=2s;\n\
             server 127.0.0.1:{b} max_fails=1 fail_timeout=2s;\n\
           }}\n\
           server {{\n\
             listen 127.0.0.1:{port};\n\
             location / {{\n\
               proxy_pass http://nodes;\n\
               proxy_http_version 1.1;\n\
               proxy_set_header Connection \"\";\n\
               proxy_set_header Host $http_host;\n\
               proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n\
               proxy_buffering off;\n\
               proxy_read_timeout 60s;\n\
               proxy_connect_timeout 1s;\n\
               proxy_next_upstream error timeout http_502 non_idempotent;\n\
             }}\n\
           }}\n\
         }}\n",
        a = nodes[0],
        b = nodes[1],
    );
    let path = dir.join("nginx.conf");
    std::fs::write(&path, conf).expect("nginx.conf");
    let child = Command::new(bin)
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&path)
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("nginx runs");
    // nginx prints nothing when it is ready: wait until its port accepts.
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nginx listens within 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    Killed(child)
}

async fn login(base: &str, name: &str) -> Browser {
    let mut b = Browser::new(base);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if b.login(name, PASSWORD).await.status() == StatusCode::SEE_OTHER {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{name} logs in through the proxy"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    b.refresh_csrf().await;
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_each_node_behind_nginx_loses_nothing_and_streams_resume() {
    let data = TestData::fresh();
    if data.db.is_none() {
        eprintln!(
            "\n*** SKIPPING the rolling-restart test: it needs PostgreSQL (CONVERSATE_TEST_DATABASE_URL); .ci/run sets it. ***\n"
        );
        return;
    }
    let Some(nginx) = nginx() else {
        assert!(
            std::env::var_os("CONVERSATE_REQUIRE_PROXY").is_none(),
            "CONVERSATE_REQUIRE_PROXY is set but nginx is not installed"
        );
        eprintln!("\n*** SKIPPING the rolling-restart test: nginx is not installed. ***\n");
        return;
    };
    seed(&data);
    let ports = [free_port(), free_port()];
    let (dir, env) = (data.dir.path().to_path_buf(), data.env());
    let nodes = [node(&dir, &env, ports[0]), node(&dir, &env, ports[1])];
    let proxy_dir = tempfile::tempdir().expect("tempdir");
    let proxy_port = free_port();
    let _proxy = proxy(&nginx, proxy_dir.path(), proxy_port, ports);
    let base = format!("http://127.0.0.1:{proxy_port}/");

    // A reader that reconnects with Last-Event-ID whenever its stream ends.
    let reader = login(&base, "bob").await;
    let streamed: Arc<Mutex<Vec<i64>>> = Arc::default();
    let longest_gap: Arc<Mutex<Duration>> = Arc::default();
    let reader_task = {
        let (streamed, longest_gap) = (streamed.clone(), longest_gap.clone());
        tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut lost_at: Option<Instant> = None;
            while Instant::now() < deadline && streamed.lock().expect("lock").len() < TOTAL {
                let last = streamed
                    .lock()
                    .expect("lock")
                    .last()
                    .map(ToString::to_string);
                let Some(mut stream) = EventReader::try_open(
                    &reader,
                    "general/api/events/",
                    last.as_deref().or(Some("0")),
                )
                .await
                else {
                    lost_at.get_or_insert_with(Instant::now);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                if let Some(lost) = lost_at.take() {
                    let gap = lost.elapsed();
                    let mut longest = longest_gap.lock().expect("lock");
                    *longest = (*longest).max(gap);
                }
                while let Ok(Some(e)) =
                    tokio::time::timeout(Duration::from_secs(20), stream.try_next_of("message"))
                        .await
                {
                    streamed
                        .lock()
                        .expect("lock")
                        .push(e.data["pk"].as_i64().expect("pk"));
                }
                lost_at = Some(Instant::now());
            }
        })
    };

    // A long-polling reader, retrying whenever a poll fails.
    let poller = login(&base, "bob").await;
    let polled: Arc<Mutex<Vec<i64>>> = Arc::default();
    let longest_poll_gap: Arc<Mutex<Duration>> = Arc::default();
    let poller_task = {
        let (polled, longest) = (polled.clone(), longest_poll_gap.clone());
        tokio::spawn(async move {
            let deadline = Instant::now() + Duration::from_secs(120);
            let mut last_ok = Instant::now();
            while Instant::now() < deadline && polled.lock().expect("lock").len() < TOTAL {
                let last = polled.lock().expect("lock").last().copied().unwrap_or(0);
                let answer = poller
                    .client
                    .post(poller.url("general/api/poll/"))
                    .header("X-CSRFToken", &poller.csrf)
                    .form(&[("last", last.to_string()), ("wait", "10".to_owned())])
                    .send()
                    .await;
                let body = match answer {
                    Ok(r) if r.status() == StatusCode::OK => {
                        r.json::<serde_json::Value>().await.ok()
                    }
                    _ => None,
                };
                let Some(body) = body else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                let gap = last_ok.elapsed();
                {
                    let mut longest = longest.lock().expect("lock");
                    *longest = (*longest).max(gap);
                }
                last_ok = Instant::now();
                let mut polled = polled.lock().expect("lock");
                for m in body["messages"].as_array().into_iter().flatten() {
                    polled.push(m["pk"].as_i64().expect("pk"));
                }
            }
        })
    };

    // Restart each node in turn while messages are being sent.
    let restarts = std::thread::spawn(move || {
        let mut nodes = nodes;
        let mut stop_times = Vec::new();
        for which in 0..2 {
            std::thread::sleep(Duration::from_secs(4));
            let asked = Instant::now();
            stop(&mut nodes[which]);
            stop_times.push(asked.elapsed());
            // The same node again, on the same port.
            nodes[which] = node(&dir, &env, ports[which]);
        }
        (nodes, stop_times)
    });
    let alice = login(&base, "alice").await;
    let mut acked = Vec::new();
    let started = Instant::now();
    for n in 0..TOTAL {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let sent = alice
                .client
                .post(alice.url("general/api/send/"))
                .header("X-CSRFToken", &alice.csrf)
                .form(&[
                    ("content", format!("rolling {n}")),
                    ("client_id", format!("rolling-{n}")),
                ])
                .send()
                .await;
            if let Ok(r) = sent
                && r.status() == StatusCode::OK
            {
                let body: serde_json::Value = r.json().await.expect("json");
                let mine = body["messages"]
                    .as_array()
                    .expect("messages")
                    .iter()
                    .rev()
                    .find(|m| m["content"] == format!("<p>rolling {n}</p>\n"))
                    .cloned()
                    .expect("own message");
                acked.push(mine["pk"].as_i64().expect("pk"));
                break;
            }
            assert!(Instant::now() < deadline, "a send goes through within 30 s");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // About 15 s of sending: both restarts (after 4 s and 8 s) fall in it.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        restarts.is_finished(),
        "both restarts happened while messages were sent"
    );
    let (_nodes, stop_times) = tokio::task::spawn_blocking(move || restarts.join())
        .await
        .expect("join")
        .expect("the restarts went through");
    tokio::time::timeout(Duration::from_secs(90), reader_task)
        .await
        .expect("the reader caught up")
        .expect("reader");

    tokio::time::timeout(Duration::from_secs(90), poller_task)
        .await
        .expect("the poller caught up")
        .expect("poller");

    let conversate::config::DatabaseUrl::Postgres(url) = data.config().database_url else {
        unreachable!("PostgreSQL");
    };
    let store = conversate::store::Store::open(
        &conversate::config::DatabaseUrl::Postgres(url),
        conversate::config::SqliteTuning::default(),
    )
    .await
    .expect("store");
    let room = store.rooms().room_by_slug("general").await.expect("room");
    let stored: Vec<i64> = store
        .messages()
        .messages_after(room.id, 0, 10_000)
        .await
        .expect("messages")
        .iter()
        .map(|m| m.id)
        .collect();
    store.close().await;
    let streamed = streamed.lock().expect("lock").clone();
    let duplicates = streamed.len() - {
        let mut unique = streamed.clone();
        unique.dedup();
        unique.len()
    };
    let gap = *longest_gap.lock().expect("lock");
    let polled = polled.lock().expect("lock").clone();
    let poll_gap = *longest_poll_gap.lock().expect("lock");
    eprintln!(
        "rolling restart through nginx: acknowledged {}, stored {}, streamed {} (duplicates {duplicates}, longest gap {gap:?}), long-polled {} (longest time between answers {poll_gap:?}), graceful stops took {stop_times:?}, {:?} in all",
        acked.len(),
        stored.len(),
        streamed.len(),
        polled.len(),
        started.elapsed()
    );
    assert_eq!(
        stored, acked,
        "every acknowledged message stored, once, nothing else"
    );
    assert!(
        streamed.windows(2).all(|w| w[0] < w[1]),
        "in order, no duplicates"
    );
    assert_eq!(
        streamed, acked,
        "the stream delivered exactly the acknowledged messages"
    );
    assert!(
        gap < Duration::from_secs(5),
        "the stream resumed within 5 s: {gap:?}"
    );
    assert_eq!(
        polled, acked,
        "long-polls delivered exactly the acknowledged messages, once"
    );
    assert!(
        poll_gap < Duration::from_secs(12),
        "long-polls answered at least every 12 s (10 s holds): {poll_gap:?}"
    );
}
