//! Throttles and slow clients.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{PASSWORD, TestApp, stored_messages};

/// The `Retry-After` of a 429: whole seconds, at least 1 and at most `most`
/// (the throttle's real window).
fn retry_after(r: &reqwest::Response, most: u64) -> u64 {
    let raw = r
        .headers()
        .get("retry-after")
        .expect("a 429 carries Retry-After")
        .to_str()
        .expect("ascii");
    let secs: u64 = raw
        .parse()
        .unwrap_or_else(|_| panic!("Retry-After is whole seconds, not {raw:?}"));
    assert!(
        (1..=most).contains(&secs),
        "Retry-After {secs} is not within 1..={most}"
    );
    secs
}

#[tokio::test]
async fn login_attempts_are_throttled_per_account_without_revealing_accounts() {
    let app = TestApp::start_with(|c| c.limits.login_per_account = 3).await;
    app.with_room().await;
    for name in ["alice", "nobody"] {
        let mut b = app.browser();
        for _ in 0..3 {
            assert_eq!(
                b.login(name, "wrong").await.status(),
                StatusCode::UNAUTHORIZED,
                "{name}"
            );
        }
        let r = b
            .login(name, if name == "alice" { PASSWORD } else { "wrong" })
            .await;
        assert_eq!(
            r.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{name}: even the right password waits"
        );
        // 3 a minute: one more attempt every 20 s.
        retry_after(&r, 20);
        assert!(
            r.text()
                .await
                .expect("body")
                .contains("Too many login attempts. Please wait a minute and try again.")
        );
    }
    let mut bob = app.browser();
    assert_eq!(
        bob.login("bob", PASSWORD).await.status(),
        StatusCode::SEE_OTHER,
        "other accounts are unaffected"
    );
}

#[tokio::test]
async fn login_attempts_are_throttled_per_address() {
    let app = TestApp::start_with(|c| c.limits.login_per_ip = 4).await;
    app.with_room().await;
    let mut b = app.browser();
    for i in 0..4 {
        assert_eq!(
            b.login(&format!("user{i}"), "x").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let r = b.login("alice", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // 4 a minute: one more attempt every 15 s.
    retry_after(&r, 15);
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_take_about_as_long() {
    let app = TestApp::start_with(|c| c.limits.login_per_account = 1_000).await;
    app.with_room().await;
    let mut timings = [Vec::new(), Vec::new()];
    for _ in 0..5 {
        for (i, name) in ["alice", "nobody"].into_iter().enumerate() {
            let mut b = app.browser();
            let started = Instant::now();
            assert_eq!(
                b.login(name, "wrong password").await.status(),
                StatusCode::UNAUTHORIZED
            );
            timings[i].push(started.elapsed());
        }
    }
    for t in &mut timings {
        t.sort();
    }
    let (wrong, unknown) = (timings[0][2], timings[1][2]);
    // Both verify an argon2 hash; without the dummy hash an unknown user would answer ~100x faster.
    assert!(
        unknown * 3 > wrong && wrong * 3 > unknown,
        "wrong password {wrong:?} vs unknown user {unknown:?}"
    );
}

#[tokio::test]
async fn members_who_send_too_fast_are_told_to_wait() {
    let app = TestApp::start_with(|c| c.limits.sends_per_minute = 5).await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    for i in 0..5 {
        assert_eq!(
            alice
                .api("general/api/send/", &[("content", &format!("m{i}"))])
                .await
                .0,
            StatusCode::OK
        );
    }
    let r = alice
        .client
        .post(alice.url("general/api/send/"))
        .header("X-CSRFToken", &alice.csrf)
        .form(&[("content", "one too many")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // 5 a minute: one more send every 12 s.
    retry_after(&r, 12);
    let body: serde_json::Value = r.json().await.expect("JSON");
    assert_eq!(
        body["error"],
        "You are sending messages too fast. Please wait a moment and try again."
    );
    // The plain form gets the error page, with the same header.
    let r = alice.send("general", "from the form").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    retry_after(&r, 12);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("You are sending messages too fast.")
    );
    assert_eq!(stored_messages(&app.store, room.id).await, 5);
    let bob = app.login("bob").await;
    assert_eq!(
        bob.api("general/api/send/", &[("content", "bob is fine")])
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn open_streams_per_user_are_limited() {
    let app = TestApp::start_with(|c| c.limits.streams_per_user = 2).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let first = alice.get("general/api/events/").await;
    let second = alice.get("general/api/events/").await;
    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::OK, StatusCode::OK)
    );
    let third = alice.get("general/api/events/").await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    // No natural wait: a closed stream's slot frees within one heartbeat (15 s).
    retry_after(&third, 15);
    drop(first);
    // The slot frees when the server notices the closed stream (at its next write).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let again = alice.get("general/api/events/").await;
        if again.status() == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "the slot came back");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off() {
    let app = TestApp::start().await;
    let mut socket = raw_connection(&app).await;
    socket
        .write_all(b"GET /login/ HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    // Keep trickling a header line every second; the server must give up.
    let closed = loop {
        match tokio::time::timeout(Duration::from_secs(1), socket.read(&mut buf)).await {
            Ok(Ok(0) | Err(_)) => break true,
            Ok(Ok(_)) => break true,
            Err(_) => {
                if started.elapsed() > Duration::from_secs(20) {
                    break false;
                }
                if socket.write_all(b"X-Slow: 1\r\n").await.is_err() {
                    break true;
                }
            }
        }
    };
    assert!(closed, "the connection was still open after 20 s");
    assert!(started.elapsed() < Duration::from_secs(15));
}

/// A plain TCP connection to the server, to send what no HTTP client would.
async fn raw_connection(app: &TestApp) -> tokio::net::TcpStream {
    let addr = app.base.trim_start_matches("http://").trim_end_matches('/');
    tokio::net::TcpStream::connect(addr).await.expect("connect")
}

/// Sends `head` and the start of a body that never ends; the answer.
async fn trickled_answer(app: &TestApp, head: String, start: &[u8]) -> String {
    let mut socket = raw_connection(app).await;
    socket.write_all(head.as_bytes()).await.expect("write");
    socket.write_all(start).await.expect("write");
    answer_of(&mut socket, Duration::from_secs(10)).await
}

#[tokio::test]
async fn a_client_that_stops_sending_its_body_gets_408_and_nothing_is_stored() {
    let app = TestApp::start_with(|c| c.body_timeout_secs = 1).await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let head = |content_type: &str| {
        format!(
            "POST /general/api/send/ HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nX-CSRFToken: {}\r\n\
             Content-Type: {content_type}\r\nContent-Length: 1000\r\n\r\n",
            alice.cookies(),
            alice.csrf
        )
    };
    let started = Instant::now();
    let answer = trickled_answer(
        &app,
        head("application/x-www-form-urlencoded"),
        b"content=hello",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("stopped arriving"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(5));

    let answer = trickled_answer(
        &app,
        head("multipart/form-data; boundary=XyZ"),
        b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\n\r\nabc",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
}

/// Reads an answer's head and body (up to its closing brace) from `socket`,
/// for at most `patience`.
async fn answer_of(socket: &mut tokio::net::TcpStream, patience: Duration) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(patience, async {
        while let Ok(n) = socket.read(&mut buf).await {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                break;
            }
        }
    })
    .await;
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_declared_body_over_the_limit_is_refused_before_it_arrives() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    for (content_type, length) in [
        ("multipart/form-data; boundary=XyZ", "1000000000000"),
        ("application/x-www-form-urlencoded", "1000000"),
    ] {
        let mut socket = raw_connection(&app).await;
        let head = format!(
            "POST /general/api/send/ HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nX-CSRFToken: {}\r\n\
             Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n",
            alice.cookies(),
            alice.csrf
        );
        socket.write_all(head.as_bytes()).await.expect("write");
        let started = Instant::now();
        // No byte of the body is sent: the answer must not wait for one.
        let answer = answer_of(&mut socket, Duration::from_secs(5)).await;
        assert!(
            answer.starts_with("HTTP/1.1 413"),
            "{content_type}: {answer}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
}

#[tokio::test]
async fn a_body_trickled_a_byte_at_a_time_is_cut_off_and_nothing_is_stored() {
    // The idle timeout alone never fires: a byte comes every half second.
    let app = TestApp::start_with(|c| c.body_timeout_secs = 5).await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let mut socket = raw_connection(&app).await;
    let head = format!(
        "POST /general/api/send/ HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nX-CSRFToken: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\ncontent=",
        alice.cookies(),
        alice.csrf
    );
    socket.write_all(head.as_bytes()).await.expect("write");
    let started = Instant::now();
    let cut_off = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if socket.write_all(b"x").await.is_err() || started.elapsed() > Duration::from_secs(20) {
            break started.elapsed();
        }
        let mut probe = [0u8; 1];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(1), socket.peek(&mut probe)).await
            && n > 0
        {
            break started.elapsed();
        }
    };
    let answer = answer_of(&mut socket, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        cut_off < Duration::from_secs(15),
        "cut off after the grace period, not left open: {cut_off:?}"
    );
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
}

#[tokio::test]
async fn an_overlong_multipart_boundary_is_refused() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let boundary = "b".repeat(10_000);
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nhi\r\n--{boundary}--\r\n"
    );
    let r = alice
        .client
        .post(alice.url("general/api/send/"))
        .header("X-CSRFToken", &alice.csrf)
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text = r.text().await.expect("body");
    assert!(text.contains("boundary is longer than 70"), "{text}");
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
}
