//! The command line, run as a real process, on the suite's backend (the
//! test's PostgreSQL database when `CONVERSATE_TEST_DATABASE_URL` is set).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::TestData;

fn conversate(data: &TestData, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_conversate"))
        .arg("--data-dir")
        .arg(data.dir.path())
        .args(args)
        .env_remove("CONVERSATE_DATABASE_URL")
        .envs(data.env())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("output");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn users_rooms_and_members_can_be_managed_from_the_command_line() {
    let data = TestData::fresh();
    let d = &data;
    assert!(
        conversate(
            d,
            &[
                "user",
                "add",
                "alice",
                "--email",
                "a@example.com",
                "--admin",
                "--password-stdin"
            ],
            "long enough pw 1\n"
        )
        .0
    );
    assert!(
        conversate(
            d,
            &["user", "add", "bob", "--password-stdin"],
            "long enough pw 2"
        )
        .0
    );
    assert!(
        conversate(
            d,
            &["room", "add", "general", "--title", "General chat"],
            ""
        )
        .0
    );
    assert!(
        conversate(
            d,
            &[
                "room",
                "add-member",
                "general",
                "alice",
                "--colour",
                "AA0000"
            ],
            ""
        )
        .0
    );
    assert!(conversate(d, &["room", "add-member", "general", "bob"], "").0);
    let (ok, users, _) = conversate(d, &["user", "list"], "");
    assert!(ok);
    assert!(
        users.contains("alice\ta@example.com\tadmin") && users.contains("bob\t-\t"),
        "{users}"
    );
    let (ok, rooms, _) = conversate(d, &["room", "list"], "");
    assert!(ok);
    assert_eq!(rooms.trim(), "general\tGeneral chat\talice,bob");
}

#[test]
fn command_line_errors_are_one_clear_line_and_a_failure_exit() {
    let data = TestData::fresh();
    let d = &data;
    conversate(
        d,
        &["user", "add", "alice", "--password-stdin"],
        "long enough pw",
    );
    conversate(d, &["room", "add", "general", "--title", "General"], "");
    let cases: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["room", "add-member", "nope", "alice"],
            "",
            "There is no room 'nope'.",
        ),
        (
            vec!["room", "add-member", "general", "nobody"],
            "",
            "There is no user 'nobody'.",
        ),
        (
            vec!["room", "add", "general", "--title", "Again"],
            "",
            "already exists",
        ),
        (
            vec!["room", "add", "login", "--title", "Reserved"],
            "",
            "reserved",
        ),
        (
            vec!["room", "add", "bad slug", "--title", "x"],
            "",
            "may only contain",
        ),
        (
            vec!["room", "add-member", "general", "alice", "--colour", "red"],
            "",
            "six hex digits",
        ),
        (
            vec!["user", "add", "ALICE", "--password-stdin"],
            "long enough pw",
            "already taken",
        ),
        (
            vec!["user", "add", "eve", "--password-stdin"],
            "",
            "The password is empty",
        ),
    ];
    for (args, stdin, message) in cases {
        let (ok, _, err) = conversate(d, &args, stdin);
        assert!(!ok, "{args:?} should fail");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

// SQLite only, whatever the suite's backend: it is about the SQLite URL.
#[test]
fn an_invalid_setting_stops_start_up_with_a_line_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_conversate"))
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("CONVERSATE_POLL_MIN", "soon")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid setting POLL_MIN"), "{err}");
    let mistyped = Command::new(env!("CARGO_BIN_EXE_conversate"))
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["user", "list"])
        .env(
            "CONVERSATE_DATABASE_URL",
            format!("sqlite://{}/typo.db", dir.path().display()),
        )
        .output()
        .expect("runs");
    assert!(
        !mistyped.status.success(),
        "a mistyped database URL never creates an empty database"
    );
    assert!(!dir.path().join("typo.db").exists());
}

#[test]
fn an_unreachable_postgres_database_is_named_without_its_password() {
    let dir = tempfile::tempdir().expect("tempdir");
    // `.invalid` never resolves (RFC 2606), so this fails at once, anywhere.
    let out = Command::new(env!("CARGO_BIN_EXE_conversate"))
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["user", "list"])
        .env(
            "CONVERSATE_DATABASE_URL",
            "postgres://chat:hunter2@db.invalid/chat",
        )
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("postgres://chat:***@db.invalid/chat"), "{err}");
    assert_eq!(
        err.matches("db.invalid").count(),
        1,
        "the cause is said once: {err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn serve_prints_a_one_time_setup_link_while_no_admin_exists() {
    use std::io::{BufRead, BufReader};
    let data = TestData::fresh();
    let mut child = Command::new(env!("CARGO_BIN_EXE_conversate"))
        .arg("--data-dir")
        .arg(data.dir.path())
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env_remove("CONVERSATE_DATABASE_URL")
        .envs(data.env())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("runs");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut link = None;
    for _ in 0..5 {
        let Some(Ok(line)) = lines.next() else { break };
        if line.contains("/setup/") {
            link = Some(line);
            break;
        }
    }
    child.kill().expect("kill");
    let _ = child.wait();
    let link = link.expect("a setup link is printed");
    assert!(link.trim().starts_with("http://127.0.0.1:"), "{link}");
}

/// jemalloc's options are compiled into the command (`.cargo/config.toml`):
/// freed pages go back to the system after 1 s, and `MALLOC_CONF` at start
/// still overrides that. jemalloc prints its options at exit when asked.
#[cfg(all(not(target_env = "msvc"), feature = "jemalloc"))]
#[test]
fn the_allocator_returns_freed_pages_after_a_second_unless_malloc_conf_says_otherwise() {
    let decay = |malloc_conf: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_conversate"))
            .arg("--version")
            .env("MALLOC_CONF", malloc_conf)
            .output()
            .expect("runs");
        assert!(out.status.success());
        let stats = String::from_utf8_lossy(&out.stderr).into_owned();
        stats
            .lines()
            .find_map(|line| line.trim().strip_prefix("opt.dirty_decay_ms: "))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("jemalloc printed no dirty_decay_ms: {stats}"))
    };
    assert_eq!(decay("stats_print:true"), "1000");
    assert_eq!(decay("stats_print:true,dirty_decay_ms:5000"), "5000");
}
