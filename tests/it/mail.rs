//! E-mail alerts against a real SMTP server (aiosmtpd) on loopback.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::support::{Browser, TestApp};

/// A real SMTP server that stores each message as a file.
pub struct SmtpSink {
    child: Child,
    pub dir: tempfile::TempDir,
}

/// Whether Python's aiosmtpd is importable; CI must have it.
pub(crate) fn smtp_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CONVERSATE_REQUIRE_SMTP").is_none(),
            "CONVERSATE_REQUIRE_SMTP is set but aiosmtpd is not installed (pip install aiosmtpd)"
        );
        eprintln!(
            "\n*** SKIPPING an e-mail test: Python's aiosmtpd is not installed (pip install aiosmtpd). ***\n"
        );
    }
    ok
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

impl SmtpSink {
    /// Starts on any free port; returns the sink and its port.
    pub fn start_any() -> (Self, u16) {
        for _ in 0..5 {
            let port = free_port();
            if let Some(sink) = Self::try_start(port) {
                return (sink, port);
            }
        }
        panic!("the SMTP sink could not start on any port");
    }

    /// Starts on `port`, retrying briefly if the port is still busy.
    pub fn start(port: u16) -> Self {
        for _ in 0..20 {
            if let Some(sink) = Self::try_start(port) {
                return sink;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("the SMTP sink could not start on port {port}");
    }

    fn try_start(port: u16) -> Option<Self> {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs");
        let mut line = String::new();
        let read = std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.as_mut().expect("stdout")),
            &mut line,
        );
        if read.is_ok() && line.trim() == "ready" {
            Some(Self { child, dir })
        } else {
            let _ = child.kill();
            let _ = child.wait();
            None
        }
    }

    /// The messages received so far, oldest first, with soft line breaks undone.
    pub fn messages(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("dir")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files
            .iter()
            .map(|p| {
                std::fs::read_to_string(p)
                    .expect("read")
                    .replace("=\r\n", "")
                    .replace("=3D", "=")
            })
            .collect()
    }

    /// Waits until at least `n` messages arrived (up to `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<String> {
        let start = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n || start.elapsed() > within {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn mail_app(port: u16, delay: u64) -> TestApp {
    TestApp::start_with(move |c| {
        c.smtp_url = Some(conversate::config::Secret(format!(
            "smtp://127.0.0.1:{port}"
        )));
        c.email_from = "chat@example.com".to_owned();
        c.mail_alert_delay = delay;
        c.mail_retry_secs = 1;
        c.chat.disconnect_at = 1;
        c.public_url = Some("http://chat.example.com".to_owned());
    })
    .await
}

pub(crate) async fn opt_in(app: &TestApp, name: &str) -> Browser {
    let mut b = app.login(name).await;
    b.refresh_csrf().await;
    let r = b
        .post_form(
            "general/settings/",
            &[("alert", "on"), ("mail_alert", "on")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    b
}

/// Lets `b` go away: after DISCONNECT_AT (1 s here) and one more second, so
/// `last_seen` and the next alert fall in different seconds.
pub(crate) async fn away() {
    tokio::time::sleep(Duration::from_millis(2_100)).await;
}

pub(crate) fn addressed_to(mail: &str, address: &str) -> bool {
    mail.lines()
        .any(|l| l.starts_with("X-Envelope-To:") && l.contains(address))
}

#[tokio::test]
async fn an_away_member_gets_one_email_for_a_burst_and_another_only_after_coming_back() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = mail_app(port, 0).await;
    app.with_room().await;
    let bob = opt_in(&app, "bob").await;
    let alice = app.login("alice").await;
    away().await;

    for i in 0..50 {
        let (status, _) = alice
            .api(
                "general/api/send/",
                &[("content", &format!("burst message {i}"))],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1, "one e-mail for the burst");
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "still one after the worker had time to send more"
    );
    let mail = &sink.messages()[0];
    assert!(addressed_to(mail, "bob@example.com"));
    assert!(mail.contains("Subject: Activity in General"));
    assert!(
        mail.contains("burst message 0"),
        "the digest shows what was missed"
    );
    assert!(
        mail.contains("http://chat.example.com/general/"),
        "a link to the room"
    );
    assert!(
        mail.contains("http://chat.example.com/unsubscribe/"),
        "a one-click opt-out link"
    );
    assert!(
        mail.contains("text/plain") && mail.contains("text/html"),
        "plain text and HTML"
    );

    // Bob comes back, then leaves again: the next activity alerts again.
    let (status, _) = bob
        .api("general/api/poll/", &[("last", "0"), ("hasFocus", "true")])
        .await;
    assert_eq!(status, StatusCode::OK);
    away().await;
    alice
        .api("general/api/send/", &[("content", "after bob left again")])
        .await;
    let mails = sink.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 2);
    assert!(mails[1].contains("after bob left again"));
    // The worker marks a row sent just after the server accepted the mail.
    assert_eq!(
        outbox_settles(&app, vec![("sent".to_owned(), 2)]).await,
        vec![("sent".to_owned(), 2)]
    );
}

/// The outbox counts once they equal `expected`, or after 10 s whatever they are.
pub(crate) async fn outbox_settles(
    app: &TestApp,
    expected: Vec<(String, i64)>,
) -> Vec<(String, i64)> {
    let start = Instant::now();
    loop {
        let counts = app.store.outbox().outbox_counts().await.expect("counts");
        if counts == expected || start.elapsed() > Duration::from_secs(10) {
            return counts;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn active_members_the_sender_and_opted_out_members_get_none() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = TestApp::start_with(move |c| {
        c.smtp_url = Some(conversate::config::Secret(format!(
            "smtp://127.0.0.1:{port}"
        )));
        c.mail_alert_delay = 0;
        c.chat.disconnect_at = 60;
    })
    .await;
    app.with_room().await;
    app.create_user("dave", false).await;
    app.add_member("general", "carol").await;
    app.add_member("general", "dave").await;
    let alice = opt_in(&app, "alice").await; // the sender, opted in
    let carol = opt_in(&app, "carol").await; // active
    let _bob = opt_in(&app, "bob").await; // the control: opted in, will be away
    let dave = app.login("dave").await; // away and not opted in
    drop(dave);
    // Bob goes away: his presence is rewritten as long gone.
    let room = app
        .store
        .rooms()
        .room_by_slug("general")
        .await
        .expect("room");
    let bob_id = app
        .store
        .accounts()
        .user_by_name("bob")
        .await
        .expect("bob")
        .id;
    app.store
        .rooms()
        .save_presence(conversate::domain::PresenceUpdate {
            room_id: room.id,
            user_id: bob_id,
            last_seen: 1,
            has_focus: false,
            inactive_from: 2,
            last_spoke: None,
        })
        .await
        .expect("presence");
    carol
        .api("general/api/poll/", &[("last", "0"), ("hasFocus", "true")])
        .await;
    alice
        .api("general/api/send/", &[("content", "hello all")])
        .await;
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let mails = if mails.len() == 1 {
        sink.messages()
    } else {
        mails
    };
    assert_eq!(mails.len(), 1, "only bob");
    assert!(addressed_to(&mails[0], "bob@example.com"));
}

#[tokio::test]
async fn emails_wait_out_a_down_server_and_a_restart_and_arrive_once() {
    if !smtp_available() {
        return;
    }
    let port = free_port(); // nothing listens here yet
    let app = mail_app(port, 0).await;
    app.with_room().await;
    opt_in(&app, "bob").await;
    let alice = app.login("alice").await;
    away().await;
    alice
        .api(
            "general/api/send/",
            &[("content", "while the mail server is down")],
        )
        .await;
    // Let the worker fail at least once.
    let start = Instant::now();
    loop {
        let counts = app.store.outbox().outbox_counts().await.expect("counts");
        assert_eq!(
            counts,
            vec![("pending".to_owned(), 1)],
            "the e-mail waits in the outbox"
        );
        if start.elapsed() > Duration::from_millis(2_500) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let app = app.restart().await;
    let sink = SmtpSink::start(port);
    let mails = sink.wait_for(1, Duration::from_secs(20)).await;
    assert_eq!(mails.len(), 1, "delivered once the server is back");
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert_eq!(sink.messages().len(), 1, "and only once");
    assert!(mails[0].contains("while the mail server is down"));
    assert_eq!(
        outbox_settles(&app, vec![("sent".to_owned(), 1)]).await,
        vec![("sent".to_owned(), 1)]
    );
}

#[tokio::test]
async fn a_member_who_returns_within_the_delay_gets_nothing() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = mail_app(port, 2).await;
    app.with_room().await;
    let bob = opt_in(&app, "bob").await;
    let alice = app.login("alice").await;
    away().await;
    alice
        .api("general/api/send/", &[("content", "quick question")])
        .await;
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    bob.api("general/api/poll/", &[("last", "0"), ("hasFocus", "true")])
        .await;
    assert_eq!(
        outbox_settles(&app, vec![("cancelled".to_owned(), 1)]).await,
        vec![("cancelled".to_owned(), 1)],
        "the alert is cancelled once its delay is up"
    );
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert!(sink.messages().is_empty());
}

fn unsubscribe_link(mail: &str) -> String {
    let start = mail
        .find("http://chat.example.com/unsubscribe/")
        .expect("link");
    let end = mail[start..]
        .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .expect("end")
        + start;
    mail[start..end].to_owned()
}

#[tokio::test]
async fn the_one_click_opt_out_works_logged_out_and_cannot_be_forged() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = mail_app(port, 0).await;
    let room = app.with_room().await;
    opt_in(&app, "bob").await;
    let alice = app.login("alice").await;
    away().await;
    alice.api("general/api/send/", &[("content", "ping")]).await;
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    let link = unsubscribe_link(&mails[0]);
    let path = link.trim_start_matches("http://chat.example.com/");
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let (room_id, user_id, token) = (parts[1], parts[2], parts[3]);
    let alice_id = app
        .store
        .accounts()
        .user_by_name("alice")
        .await
        .expect("alice")
        .id;
    let other_room = app.create_room("other", "Other").await;
    app.add_member("other", "bob").await;

    let mut anon = app.browser();
    for forged in [
        format!("unsubscribe/{room_id}/{alice_id}/{token}/"),
        format!("unsubscribe/{}/{user_id}/{token}/", other_room.id),
        format!("unsubscribe/{room_id}/{user_id}/{}/", "0".repeat(64)),
        format!("unsubscribe/{room_id}/{user_id}/nonsense/"),
    ] {
        assert_eq!(
            anon.get(&forged).await.status(),
            StatusCode::NOT_FOUND,
            "{forged}"
        );
    }
    let (status, html) = anon.text(path).await;
    assert_eq!(status, StatusCode::OK);
    anon.csrf = crate::support::csrf_in(&html).expect("token");
    let bob_id: i64 = user_id.parse().expect("id");
    assert!(
        app.store
            .rooms()
            .member(room.id, bob_id)
            .await
            .expect("bob")
            .mail_alert,
        "a GET changes nothing"
    );
    let r = anon
        .post_form(&format!("unsubscribe/{room_id}/{alice_id}/{token}/"), &[])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "a forged POST changes nothing"
    );
    let r = anon.post_form(path, &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("will get no more e-mail alerts")
    );
    assert!(
        !app.store
            .rooms()
            .member(room.id, bob_id)
            .await
            .expect("bob")
            .mail_alert
    );
    assert!(
        app.store
            .rooms()
            .member(room.id, alice_id)
            .await
            .expect("alice")
            .alert,
        "nothing else changed"
    );
}

#[test]
fn mail_test_reports_success_or_the_smtp_error_in_one_line() {
    if !smtp_available() {
        return;
    }
    let port = free_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let run = |port: u16| {
        Command::new(env!("CARGO_BIN_EXE_conversate"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["mail", "test", "someone@example.com"])
            .env("CONVERSATE_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
            .output()
            .expect("runs")
    };
    let down = run(port);
    assert!(!down.status.success());
    let err = String::from_utf8_lossy(&down.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("Could not send the test e-mail"), "{err}");
    let sink = SmtpSink::start(port);
    let up = run(port);
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    assert!(
        String::from_utf8_lossy(&up.stdout).contains("Sent a test e-mail to someone@example.com.")
    );
    assert_eq!(sink.messages().len(), 1);
}

/// A received e-mail's part of `content_type` (`text/plain`, `text/html`),
/// quoted-printable undone.
fn mail_part(mail: &str, content_type: &str) -> String {
    let start = mail
        .find(&format!("Content-Type: {content_type}"))
        .unwrap_or_else(|| panic!("no {content_type} part in {mail}"));
    let rest = &mail[start..];
    let body = &rest[rest.find("\r\n\r\n").map_or(0, |i| i + 4)..];
    let body = &body[..body.find("\r\n--").unwrap_or(body.len())];
    let mut bytes = Vec::new();
    let raw = body.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (raw[i], hex) {
            (b'=', Some(b)) => {
                bytes.push(b);
                i += 3;
            }
            (c, _) => {
                bytes.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(bytes).expect("UTF-8")
}

#[tokio::test]
async fn the_digest_reads_markdown_as_text_and_draws_it_safely_in_html() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = mail_app(port, 0).await;
    app.with_room().await;
    let _bob = opt_in(&app, "bob").await;
    let alice = app.login("alice").await;
    away().await;
    let (status, _) = alice
        .api(
            "general/api/send/",
            &[(
                "content",
                "See you at **8pm** :clock8: <b>typed</b> [the plan](https://example.org/plan)",
            )],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1);
    let text = mail_part(&mails[0], "text/plain");
    assert!(
        text.contains("See you at 8pm 🕗 <b>typed</b> the plan (https://example.org/plan)"),
        "{text}"
    );
    let html = mail_part(&mails[0], "text/html");
    assert!(html.contains("<strong>8pm</strong> 🕗"), "{html}");
    assert!(html.contains("&lt;b&gt;typed&lt;/b&gt;"), "{html}");
    assert!(html.contains("href=\"https://example.org/plan\""), "{html}");
    assert!(!text.contains("**") && !html.contains("**"));
    assert!(!html.contains(":clock8:"));
}
