//! The log: a command that succeeds prints nothing on standard error (no
//! INFO lines, no colour codes), errors are one plain line, and the server
//! writes JSON lines with the request's id when `LOG_FORMAT=json`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::support::{Browser, TestApp, TestData};

#[tokio::test]
async fn every_command_that_succeeds_prints_nothing_on_standard_error() {
    let app = TestApp::start().await;
    let pw = "long enough password\n";
    let mut commands: Vec<(Vec<&str>, &str)> = vec![
        (vec!["migrate"], ""),
        (
            vec![
                "user",
                "add",
                "alice",
                "--email",
                "a@example.com",
                "--admin",
                "--password-stdin",
            ],
            pw,
        ),
        (vec!["user", "add", "bob", "--password-stdin"], pw),
        (vec!["user", "list"], ""),
        (vec!["user", "set-password", "bob"], pw),
        (vec!["room", "add", "general", "--title", "General"], ""),
        (
            vec![
                "room",
                "add-member",
                "general",
                "alice",
                "--colour",
                "3366cc",
            ],
            "",
        ),
        (vec!["room", "add-member", "general", "bob"], ""),
        (vec!["room", "list"], ""),
        (vec!["room", "remove-member", "general", "bob", "--yes"], ""),
        (vec!["room", "clear", "general", "--yes"], ""),
        (vec!["room", "delete", "general", "--yes"], ""),
        (vec!["user", "deactivate", "bob", "--yes"], ""),
        (vec!["doctor"], ""),
    ];
    // `mail test` needs a mail server: a real one when Python's aiosmtpd is
    // there (CI requires it), else it is left out loudly.
    let sink = crate::mail::smtp_available().then(crate::mail::SmtpSink::start_any);
    let smtp_url = sink
        .as_ref()
        .map(|(_, port)| format!("smtp://127.0.0.1:{port}"));
    if smtp_url.is_some() {
        commands.push((vec!["mail", "test", "someone@example.com"], ""));
    }
    for (args, stdin) in &commands {
        let (ok, _, stderr) = match (&smtp_url, args[0]) {
            (Some(url), "mail") => {
                app.cli_with_env(args, stdin, &[("CONVERSATE_SMTP_URL", url)])
                    .await
            }
            _ => app.cli(args, stdin).await,
        };
        assert!(ok, "conversate {args:?} failed: {stderr}");
        assert!(
            stderr.is_empty(),
            "conversate {args:?} succeeded and printed on standard error: {stderr:?}"
        );
    }
    if smtp_url.is_none() {
        eprintln!("\n*** `mail test` left out: no SMTP sink (pip install aiosmtpd). ***\n");
    }
}

#[tokio::test]
async fn a_failing_command_says_why_in_one_plain_line() {
    let app = TestApp::start().await;
    let (ok, _, stderr) = app.cli(&["room", "add-member", "nope", "nobody"], "").await;
    assert!(!ok);
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.starts_with("error: "), "{stderr:?}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no colour codes off a terminal: {stderr:?}"
    );
}

#[tokio::test]
async fn json_logs_carry_the_request_id_on_every_line_of_a_request() {
    let data = TestData::fresh();
    crate::process::seed(&data);
    let mut command = Command::new(env!("CARGO_BIN_EXE_conversate"));
    command
        .arg("--data-dir")
        .arg(data.dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_remove("CONVERSATE_DATABASE_URL")
        .env_remove("RUST_LOG")
        .envs(data.env())
        .env("CONVERSATE_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("server runs");
    let stderr = child.stderr.take().expect("stderr");
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    {
        let lines = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().expect("lock").push(line);
            }
        });
    }
    let stdout = child.stdout.take().expect("stdout");
    let mut out = BufReader::new(stdout).lines();
    let first = out.next().expect("a line").expect("utf-8");
    std::thread::spawn(move || for _ in out {});
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("URL")
        .to_owned();

    let mut b = Browser::new(&base);
    let answer = b.login("alice", "a wrong password").await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let id = answer
        .headers()
        .get("x-request-id")
        .expect("the answer names its request id")
        .to_str()
        .expect("ascii")
        .to_owned();
    assert_eq!(id.len(), 16, "{id}");

    // The failed login's line is in the log, in JSON, inside its request.
    let deadline = Instant::now() + Duration::from_secs(10);
    let line = loop {
        let found = lines
            .lock()
            .expect("lock")
            .iter()
            .find(|l| l.contains("failed login"))
            .cloned();
        if let Some(line) = found {
            break line;
        }
        assert!(
            Instant::now() < deadline,
            "no 'failed login' line: {:?}",
            lines.lock()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = child.kill();
    let _ = child.wait();
    let all = lines.lock().expect("lock").clone();
    for l in &all {
        serde_json::from_str::<serde_json::Value>(l)
            .unwrap_or_else(|e| panic!("every log line is JSON ({e}): {l}"));
    }
    let json: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    let spans = json["spans"].as_array().expect("the line lists its spans");
    let request = spans
        .iter()
        .find(|s| s["name"] == "request")
        .unwrap_or_else(|| panic!("inside the request span: {line}"));
    assert_eq!(request["request_id"], id.as_str(), "{line}");
    assert_eq!(request["client"], "127.0.0.1", "{line}");
    assert_eq!(request["path"], "/login/", "{line}");
}
