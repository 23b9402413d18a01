//! `conversate backup` taken from a real server process during a burst of
//! sends, and `conversate restore` into a fresh data directory: the
//! restored server holds every message acknowledged before the backup
//! began, and their files, byte for byte. On PostgreSQL the backup follows
//! its own guidance: `pg_dump` first, then `conversate backup` for the
//! files; `pg_restore`, then `conversate restore`.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::process::{self, Node, login_at};
use crate::support::{TestData, stored_messages};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Runs `conversate` on `data`; answers (success, stdout, stderr).
fn conversate(data: &TestData, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conversate"))
        .arg("--data-dir")
        .arg(data.dir.path())
        .args(args)
        .env_remove("CONVERSATE_DATABASE_URL")
        .envs(data.env())
        .output()
        .expect("conversate runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn run(command: &mut Command) {
    let out = command.output().expect("runs");
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A message acknowledged by the server, and when the answer came.
struct Acked {
    content: String,
    at: Instant,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_during_a_burst_restores_every_message_acknowledged_before_it_began() {
    let data = TestData::fresh();
    process::seed(&data);
    let (child, base) = process::spawn(&data, &[("CONVERSATE_SENDS_PER_MINUTE", "1000000")]);
    let _server = Node(child);

    // Files, acknowledged well before the backup.
    let alice = login_at(&base, "alice").await;
    let mut files = Vec::new();
    for (i, size) in [10_usize, 5_000, 300_000].into_iter().enumerate() {
        let bytes: Vec<u8> = (0..size).map(|n| (n * 31 + i) as u8).collect();
        let (status, body) = alice
            .upload(
                &format!("file-{i}.bin"),
                bytes.clone(),
                &format!("file {i}"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        files.push((format!("file {i}"), sha256(&bytes)));
    }

    // The burst: four senders, each sending one message after another and
    // noting when each was acknowledged.
    let acked = Arc::new(Mutex::new(Vec::<Acked>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for s in 0..4 {
        let name = if s % 2 == 0 { "alice" } else { "bob" };
        let b = login_at(&base, name).await;
        let acked = acked.clone();
        let stop = stop.clone();
        senders.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let content = format!("burst {s}-{n}");
                let (status, body) = b.api("general/api/send/", &[("content", &content)]).await;
                assert_eq!(status, StatusCode::OK, "{body}");
                acked.lock().await.push(Acked {
                    content,
                    at: Instant::now(),
                });
                n += 1;
            }
        }));
    }
    // Let the burst get going (by what it has done, not by time).
    while acked.lock().await.len() < 200 {
        tokio::task::yield_now().await;
    }

    let backup_dir = tempfile::tempdir().expect("tempdir");
    let out = backup_dir.path().join("backup");
    let dump = backup_dir.path().join("conversate.dump");
    let began = Instant::now();
    let taken = {
        let data_env = data.env();
        let dump = dump.clone();
        let out = out.clone();
        let dir = data.dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            if let Some((_, url)) = data_env.first() {
                // The guidance for PostgreSQL: the database with pg_dump first.
                run(Command::new("pg_dump")
                    .args(["--format=custom", "--file"])
                    .arg(&dump)
                    .arg(url));
            }
            Command::new(env!("CARGO_BIN_EXE_conversate"))
                .arg("--data-dir")
                .arg(&dir)
                .arg("backup")
                .arg(&out)
                .env_remove("CONVERSATE_DATABASE_URL")
                .envs(data_env)
                .output()
                .expect("backup runs")
        })
        .await
        .expect("backup task")
    };
    let ended = Instant::now();
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        s.await.expect("sender");
    }
    assert!(
        taken.status.success(),
        "backup: {}",
        String::from_utf8_lossy(&taken.stderr)
    );
    let said = String::from_utf8_lossy(&taken.stdout);
    assert!(said.contains("3 files"), "{said}");
    if data.db.is_some() {
        assert!(said.contains("pg_dump"), "PostgreSQL guidance: {said}");
    }

    let acked = acked.lock().await;
    let before: Vec<&Acked> = acked.iter().filter(|a| a.at < began).collect();
    let during = acked
        .iter()
        .filter(|a| a.at >= began && a.at < ended)
        .count();
    assert!(before.len() >= 200);
    assert!(during > 0, "sends went on while the backup was taken");

    // Restore into a fresh, empty data directory (and database).
    let restored = TestData::empty();
    if let Some(db) = &restored.db {
        run(Command::new("pg_restore")
            .args(["--no-owner", "--dbname"])
            .arg(&db.url)
            .arg(&dump));
    }
    let (ok, said, err) = conversate(&restored, &["restore", out.to_str().expect("utf-8")]);
    assert!(ok, "restore: {said} {err}");
    assert!(said.contains("(3 files)"), "{said}");

    // Counts and checksums of what was acknowledged before the backup began.
    let store =
        conversate::store::Store::open(&restored.config().database_url, restored.config().sqlite)
            .await
            .expect("the restored database opens");
    let room = store.rooms().room_by_slug("general").await.expect("room");
    let messages = store
        .messages()
        .messages_after(room.id, 0, 1_000_000)
        .await
        .expect("messages");
    let have: std::collections::HashSet<&str> =
        messages.iter().map(|m| m.content.as_str()).collect();
    let missing: Vec<&str> = before
        .iter()
        .map(|a| a.content.as_str())
        .filter(|c| !have.contains(c))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, missing: {missing:?}"
    );
    let mut want: Vec<&str> = before.iter().map(|a| a.content.as_str()).collect();
    want.sort_unstable();
    let mut got: Vec<&str> = messages
        .iter()
        .map(|m| m.content.as_str())
        .filter(|c| want.binary_search(c).is_ok())
        .collect();
    got.sort_unstable();
    assert_eq!(got.len(), want.len(), "each exactly once");
    assert_eq!(
        sha256(got.join("\n").as_bytes()),
        sha256(want.join("\n").as_bytes())
    );
    // Nothing the senders did not send, and nothing after the backup ended.
    let all_sent: std::collections::HashSet<&str> =
        acked.iter().map(|a| a.content.as_str()).collect();
    assert!(
        messages
            .iter()
            .all(|m| m.content.starts_with("file ") || all_sent.contains(m.content.as_str()))
    );
    assert!(stored_messages(&store, room.id).await >= before.len() + 3);
    store.close().await;

    // A server on the restored data serves the files, byte for byte.
    let (child, base) = process::spawn(&restored, &[]);
    let _restored_server = Node(child);
    let alice = login_at(&base, "alice").await;
    for (content, digest) in &files {
        let m = messages
            .iter()
            .find(|m| &m.content == content)
            .expect("file message");
        let r = alice.get(&format!("general/file/{}/", m.id)).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(
            &sha256(&r.bytes().await.expect("bytes")),
            digest,
            "{content}"
        );
    }
}

#[tokio::test]
async fn a_restore_refuses_a_data_directory_that_is_not_empty_and_changes_nothing() {
    let data = TestData::fresh();
    process::seed(&data);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("b");
    let (ok, said, err) = conversate(&data, &["backup", out.to_str().expect("utf-8")]);
    assert!(ok, "{said} {err}");
    // A second backup never overwrites the first.
    let (ok, _, err) = conversate(&data, &["backup", out.to_str().expect("utf-8")]);
    assert!(!ok && err.contains("already exists"), "{err}");

    let refused = "is not empty: a backup is restored only into an empty data directory";
    // Restoring over the SQLite database it came from is refused.
    if data.db.is_none() {
        let (ok, _, err) = conversate(&data, &["restore", out.to_str().expect("utf-8")]);
        assert!(!ok && err.contains(refused), "{err}");
    }
    // So is restoring into a file storage that holds anything.
    let used = TestData::fresh();
    std::fs::create_dir_all(used.dir.path().join("files")).expect("mkdir");
    std::fs::write(used.dir.path().join("files/keep-me"), b"x").expect("write");
    let (ok, _, err) = conversate(&used, &["restore", out.to_str().expect("utf-8")]);
    assert!(!ok && err.contains(refused), "{err}");
    assert_eq!(
        std::fs::read(used.dir.path().join("files/keep-me")).expect("kept"),
        b"x"
    );
    assert!(!used.dir.path().join("conversate.db").exists());
    // Something that is not a backup is refused in words.
    let fresh = TestData::fresh();
    let (ok, _, err) = conversate(&fresh, &["restore", dir.path().to_str().expect("utf-8")]);
    assert!(!ok && err.contains("is not a Conversate backup"), "{err}");
    assert!(
        std::fs::read_dir(fresh.dir.path())
            .expect("dir")
            .next()
            .is_none(),
        "the refused restore wrote nothing"
    );
}

#[tokio::test]
async fn scheduled_backups_keep_the_newest_and_leave_other_things_alone() {
    use conversate::config::BackupSchedule;
    use conversate::service::backup::{manifest, schedule};

    let app = crate::support::TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    alice.send("general", "before the backups").await;
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), b"mine").expect("write");
    let plan = BackupSchedule {
        dir: dir.path().to_path_buf(),
        every_hours: 24,
        keep: 2,
    };
    let files = conversate::files::Files::open(&app.config)
        .await
        .expect("files");
    let day = 86_400;
    let mut made = Vec::new();
    for i in 0..3 {
        let path = schedule::run_once(
            &app.store,
            &files,
            &app.config.database_url,
            &plan,
            1_764_633_600 + i * day,
        )
        .await
        .expect("a scheduled backup");
        made.push(path);
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "conversate-20251203T000000Z",
            "conversate-20251204T000000Z",
            "notes.txt"
        ]
    );
    assert!(!made[0].exists() && made[1].exists() && made[2].exists());
    let m = manifest(&made[2]).await.expect("a whole backup");
    let expected = if matches!(
        app.config.database_url,
        conversate::config::DatabaseUrl::Postgres(_)
    ) {
        "postgresql"
    } else {
        "sqlite"
    };
    assert_eq!(m.database, expected);
}
