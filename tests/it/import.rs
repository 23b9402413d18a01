//! `conversate import django-conversate` against a site built by the real
//! django-conversate (tests/django_conversate/fill.py, through Django's own
//! migrations and models): on the suite's backend as the target, and a
//! source on the same engine (SQLite file, or a PostgreSQL database).

use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::Connection;

use crate::django;
use crate::support::{Browser, TestApp, TestDatabase};

/// A Django site to import: where its database and files are, and what
/// fill.py says it made.
struct Site {
    url: String,
    media: tempfile::TempDir,
    made: Value,
    _dir: tempfile::TempDir,
    _db: Option<TestDatabase>,
}

/// A django-conversate site on the suite's engine (`sqlite_only` forces a
/// SQLite file), or `None` when django-conversate is not to be had.
fn site(sqlite_only: bool) -> Option<Site> {
    let python = django::python()?;
    let dir = tempfile::tempdir().expect("tempdir");
    let media = tempfile::tempdir().expect("tempdir");
    let db = if sqlite_only {
        None
    } else {
        TestDatabase::from_env()
    };
    let url = db.as_ref().map_or_else(
        || format!("sqlite://{}", dir.path().join("django.sqlite3").display()),
        |db| db.url.clone(),
    );
    let made = django::fill(&python, &url, media.path());
    Some(Site {
        url,
        media,
        made,
        _dir: dir,
        _db: db,
    })
}

async fn import(app: &TestApp, site: &Site, extra: &[&str]) -> String {
    let media = site.media.path().display().to_string();
    let mut args = vec![
        "import",
        "django-conversate",
        "--database",
        &site.url,
        "--media-root",
        &media,
    ];
    args.extend_from_slice(extra);
    let (ok, out, err) = app.cli(&args, "").await;
    assert!(ok, "the import succeeds: {out} {err}");
    out
}

/// Every message of a room as (author, time, text), oldest first.
async fn messages_of(app: &TestApp, slug: &str) -> Vec<(String, i64, String)> {
    let room = app.room_id(slug).await;
    app.store
        .messages()
        .messages_after(room, 0, 10_000)
        .await
        .expect("messages")
        .into_iter()
        .map(|m| (m.username, m.time, m.content))
        .collect()
}

fn expected_messages(made: &Value, slug: &str) -> Vec<(String, i64, String)> {
    made["rooms"][slug]["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| {
            (
                m["user"].as_str().expect("user").to_owned(),
                m["timestamp"].as_i64().expect("timestamp"),
                m["content"].as_str().expect("content").to_owned(),
            )
        })
        .collect()
}

/// What a second import must leave exactly as it was.
async fn fingerprint(app: &TestApp) -> Vec<String> {
    let mut all = Vec::new();
    for u in app.store.accounts().list_users().await.expect("users") {
        all.push(format!("user {} {} {}", u.id, u.username, u.password_hash));
    }
    for r in app.store.rooms().list_rooms().await.expect("rooms") {
        all.push(format!("room {} {} {}", r.id, r.slug, r.title));
        for m in app
            .store
            .rooms()
            .members(r.id)
            .await
            .expect("members")
            .iter()
        {
            all.push(format!(
                "member {} {} {} {}",
                m.username, m.colour, m.alert, m.mail_alert
            ));
        }
        for m in app
            .store
            .messages()
            .messages_after(r.id, 0, 10_000)
            .await
            .expect("messages")
        {
            all.push(format!(
                "message {} {} {} {:?}",
                m.id,
                m.time,
                m.content,
                m.file.map(|f| f.key)
            ));
        }
    }
    all
}

async fn logs_in(app: &TestApp, name: &str, password: &str) -> Browser {
    let mut b = Browser::new(&app.base);
    assert_eq!(
        b.login(name, password).await.status(),
        StatusCode::SEE_OTHER,
        "{name} logs in with the password set in Django"
    );
    b.refresh_csrf().await;
    b
}

#[tokio::test]
async fn a_django_conversate_site_comes_over_whole_and_a_second_import_changes_nothing() {
    let Some(site) = site(false) else { return };
    let app = TestApp::start().await;
    let made = &site.made;
    let password = made["password"].as_str().expect("password");

    // A dry run says what it would do and writes nothing.
    let planned = import(&app, &site, &["--dry-run"]).await;
    assert!(
        planned.contains("Would import 4 accounts")
            && planned.contains("2 rooms, 5 memberships, 1000 messages and 3 files"),
        "{planned}"
    );
    assert!(
        app.store
            .rooms()
            .list_rooms()
            .await
            .expect("rooms")
            .is_empty()
    );
    assert!(
        app.store
            .accounts()
            .list_users()
            .await
            .expect("users")
            .is_empty()
    );

    let done = import(&app, &site, &[]).await;
    assert!(
        done.contains("Imported 4 accounts")
            && done.contains("2 rooms, 5 memberships, 1000 messages and 3 files"),
        "{done}"
    );

    // Accounts: members and authors only, with Django's hashes kept.
    let users = app.store.accounts().list_users().await.expect("users");
    let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    assert_eq!(names, ["ann", "bob", "cy", "dee"]);
    for u in &users {
        let scheme = made["users"][&u.username].as_str().expect("scheme");
        assert!(
            u.password_hash.starts_with(&format!("{scheme}$")),
            "{}",
            u.username
        );
    }

    // Rooms, order, times and text: exactly the original's page order.
    let rooms = app.store.rooms().list_rooms().await.expect("rooms");
    assert_eq!(rooms.len(), 2);
    let mut total = 0;
    for slug in ["lobby", "garden"] {
        let room = rooms.iter().find(|r| r.slug == slug).expect("room");
        assert_eq!(
            room.title,
            made["rooms"][slug]["title"].as_str().expect("title")
        );
        let got = messages_of(&app, slug).await;
        assert_eq!(got, expected_messages(made, slug), "messages of {slug}");
        total += got.len();
    }
    assert_eq!(total, 1000);

    // Colours and alert settings of each membership.
    for m in made["members"].as_array().expect("members") {
        let room = app.room_id(m["room"].as_str().expect("room")).await;
        let user = app.user_id(m["user"].as_str().expect("user")).await;
        let member = app.store.rooms().member(room, user).await.expect("member");
        assert_eq!(member.colour, m["colour"].as_str().expect("colour"), "{m}");
        assert_eq!(member.alert, m["alert"].as_bool().expect("alert"), "{m}");
        assert_eq!(
            member.mail_alert,
            m["mail_alert"].as_bool().expect("mail"),
            "{m}"
        );
    }

    // Each of Django's three hashers lets its user in; the hash is then argon2id.
    let ann = logs_in(&app, "ann", password).await;
    logs_in(&app, "cy", password).await;
    logs_in(&app, "dee", password).await;
    for name in ["ann", "cy", "dee"] {
        let user = app.store.accounts().user_by_name(name).await.expect("user");
        assert!(
            user.password_hash.starts_with("$argon2id$"),
            "{name} upgraded"
        );
    }
    logs_in(&app, "ann", password).await;
    let mut wrong = Browser::new(&app.base);
    assert_ne!(
        wrong.login("bob", "not the password").await.status(),
        StatusCode::SEE_OTHER
    );

    // The files, byte for byte, through the member's download link.
    let room = app.room_id("lobby").await;
    let garden = app.room_id("garden").await;
    let mut found = 0;
    for f in made["files"].as_array().expect("files") {
        let content = f["message"].as_str().expect("message");
        for (slug, id) in [("lobby", room), ("garden", garden)] {
            let messages = app
                .store
                .messages()
                .messages_after(id, 0, 10_000)
                .await
                .expect("m");
            let Some(m) = messages.iter().find(|m| m.content == content) else {
                continue;
            };
            let file = m.file.as_ref().expect("the message has its file");
            assert_eq!(file.name, f["name"].as_str().expect("name"));
            // ann is a member of both rooms.
            let r = ann.get(&format!("{slug}/file/{}/", m.id)).await;
            assert_eq!(r.status(), StatusCode::OK, "{slug} file {}", m.id);
            let bytes = r.bytes().await.expect("bytes");
            assert_eq!(bytes.len() as u64, f["size"].as_u64().expect("size"));
            let digest: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(digest, f["sha256"].as_str().expect("sha"), "{}", file.name);
            found += 1;
        }
    }
    assert_eq!(found, 3);

    // A second import changes nothing.
    let before = fingerprint(&app).await;
    let again = import(&app, &site, &[]).await;
    assert!(
        again.contains("Imported 0 accounts (and link 0")
            && again.contains("0 rooms, 0 memberships, 0 messages and 0 files"),
        "{again}"
    );
    assert_eq!(fingerprint(&app).await, before);
}

#[tokio::test]
async fn an_interrupted_import_goes_on_where_it_stopped() {
    // A run interrupted after its first transactions has stored a prefix of
    // the site in the original's order. Rebuild that state honestly: import
    // a copy of the site holding only that prefix (the same site, so the
    // same fingerprint), then the whole site.
    let Some(site) = site(true) else { return };
    let app = TestApp::start().await;
    let path = site.url.trim_start_matches("sqlite://");
    let partial = format!("{path}.partial");
    std::fs::copy(path, &partial).expect("copy");
    // Every lobby message up to the 300th one's second (messages sharing a
    // second go together, since the cut is by time).
    let lobby_all = expected_messages(&site.made, "lobby");
    let cut = lobby_all[299].1;
    let kept = lobby_all.iter().filter(|m| m.1 <= cut).count();
    {
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{partial}"))
            .await
            .expect("open the copy");
        let lobby: i64 = sqlx::query_scalar("SELECT id FROM conversate_room WHERE slug = 'lobby'")
            .fetch_one(&mut conn)
            .await
            .expect("lobby");
        sqlx::query("DELETE FROM conversate_message WHERE room_id <> $1 OR \"timestamp\" > $2")
            .bind(lobby)
            .bind(cut)
            .execute(&mut conn)
            .await
            .expect("cut");
        conn.close().await.expect("close");
    }
    let first = Site {
        url: format!("sqlite://{partial}"),
        media: tempfile::tempdir().expect("tempdir"),
        made: Value::Null,
        _dir: tempfile::tempdir().expect("tempdir"),
        _db: None,
    };
    let out = import(&app, &first, &[]).await;
    assert!(out.contains(&format!(" {kept} messages")), "{out}");
    assert_eq!(messages_of(&app, "lobby").await, lobby_all[..kept]);
    assert!(messages_of(&app, "garden").await.is_empty());

    let rest = import(&app, &site, &[]).await;
    assert!(
        rest.contains("Imported 0 accounts")
            && rest.contains(&format!("0 rooms, 0 memberships, {} messages", 1000 - kept)),
        "{rest}"
    );
    for slug in ["lobby", "garden"] {
        assert_eq!(
            messages_of(&app, slug).await,
            expected_messages(&site.made, slug),
            "{slug} whole, in order, nothing twice"
        );
    }
}

#[tokio::test]
async fn an_import_that_cannot_be_carried_out_says_why_and_writes_nothing() {
    let Some(site) = site(true) else { return };
    let app = TestApp::start().await;
    app.create_room("garden", "Our own garden").await;
    let media = site.media.path().display().to_string();
    let (ok, _, err) = app
        .cli(
            &[
                "import",
                "django-conversate",
                "--database",
                &site.url,
                "--media-root",
                &media,
            ],
            "",
        )
        .await;
    assert!(!ok);
    assert!(
        err.contains("A room with the slug 'garden' already exists here"),
        "{err}"
    );
    assert!(
        app.store
            .accounts()
            .list_users()
            .await
            .expect("users")
            .is_empty()
    );
    assert_eq!(
        app.store.rooms().list_rooms().await.expect("rooms").len(),
        1
    );

    let (ok, _, err) = app
        .cli(
            &["import", "django-conversate", "--database", "mysql://x/y"],
            "",
        )
        .await;
    assert!(
        !ok && err.contains("must start with sqlite:// or postgres://"),
        "{err}"
    );
    let missing = format!("sqlite://{}/nothing.sqlite3", site.media.path().display());
    let (ok, _, err) = app
        .cli(&["import", "django-conversate", "--database", &missing], "")
        .await;
    assert!(
        !ok && err.contains("Cannot open the django-conversate database"),
        "{err}"
    );
}
