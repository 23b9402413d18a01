//! A server run as a separate process of the real binary, for tests that
//! measure the process (memory) or kill it. It runs on the same backend as
//! the rest of the suite: with `CONVERSATE_TEST_DATABASE_URL` set, the
//! commands and the server get the test's PostgreSQL database.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

use crate::support::TestData;

/// A `conversate serve` process on a random port.
pub struct ServerProcess {
    pub child: Child,
    pub base: String,
    /// Removed (dropped) when the server is dropped, after it is killed.
    _data: TestData,
}

/// Runs a CLI command against `data`, feeding `stdin`.
pub fn cli(data: &TestData, args: &[&str], stdin: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conversate"))
        .arg("--data-dir")
        .arg(data.dir.path())
        .args(args)
        .env_remove("CONVERSATE_DATABASE_URL")
        .envs(data.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("cli runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    assert!(child.wait().expect("exit").success(), "conversate {args:?}");
}

/// Seeds alice and bob in room `general`.
pub fn seed(data: &TestData) {
    cli(
        data,
        &["user", "add", "alice", "--password-stdin"],
        crate::support::PASSWORD,
    );
    cli(
        data,
        &["user", "add", "bob", "--password-stdin"],
        crate::support::PASSWORD,
    );
    cli(data, &["room", "add", "general", "--title", "General"], "");
    cli(data, &["room", "add-member", "general", "alice"], "");
    cli(data, &["room", "add-member", "general", "bob"], "");
}

/// Starts `conversate serve` on `data`; returns the process and its base URL.
pub fn spawn(data: &TestData, env: &[(&str, &str)]) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_conversate"));
    command
        .arg("--data-dir")
        .arg(data.dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_remove("CONVERSATE_DATABASE_URL")
        .envs(data.env())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("server runs");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("a line").expect("utf-8");
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the listening line names the URL")
        .to_owned();
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, base)
}

/// One node of a several-node test: its server process, killed when dropped.
pub struct Node(pub Child);

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `name` logged in on the node at `base`, with its CSRF token.
pub async fn login_at(base: &str, name: &str) -> crate::support::Browser {
    let mut b = crate::support::Browser::new(base);
    assert_eq!(
        b.login(name, crate::support::PASSWORD).await.status(),
        reqwest::StatusCode::SEE_OTHER,
        "{name} logs in"
    );
    b.refresh_csrf().await;
    b
}

impl ServerProcess {
    /// Seeds alice and bob in room `general`, then starts the server.
    pub fn start(env: &[(&str, &str)]) -> Self {
        let data = TestData::fresh();
        seed(&data);
        let (child, base) = spawn(&data, env);
        Self {
            child,
            base,
            _data: data,
        }
    }

    /// Peak resident memory of the server so far, KiB (Linux).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM")
    }

    /// A browser for this server.
    pub fn browser(&self) -> crate::support::Browser {
        crate::support::Browser::new(&self.base)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
