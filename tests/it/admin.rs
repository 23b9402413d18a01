//! Administration pages, member preferences and the command line's admin commands.

use std::time::Duration;

use reqwest::StatusCode;

use crate::storage::Storage;
use crate::support::{Browser, PASSWORD, TestApp, stored_messages};

async fn admin(app: &TestApp) -> Browser {
    app.create_user("root", true).await;
    app.login("root").await
}

/// Follows a confirmation link: the GET shows a page, the POST acts.
async fn confirm(b: &Browser, path: &str) -> reqwest::Response {
    let (status, html) = b.text(path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    assert!(html.contains("Please confirm"), "{path} asks first");
    b.post_form(path, &[]).await
}

#[tokio::test]
async fn admins_manage_rooms_and_members_without_javascript_and_it_is_audited() {
    let app = TestApp::start().await;
    app.create_user("alice", false).await;
    app.create_user("bob", false).await;
    let root = admin(&app).await;

    let r = root
        .post_form("admin/rooms/", &[("slug", "club"), ("title", "The Club")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/admin/rooms/club/?done=room-created"
    );
    let r = root
        .post_form("admin/rooms/", &[("slug", "admin"), ("title", "Bad")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains("reserved"));

    let r = root
        .post_form(
            "admin/rooms/club/members/",
            &[("username", "alice"), ("colour", "c0392b")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    root.post_form("admin/rooms/club/members/", &[("username", "bob")])
        .await;
    let r = root
        .post_form("admin/rooms/club/members/bob/", &[("colour", "#2471A3")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = root
        .post_form("admin/rooms/club/members/bob/", &[("colour", "blue")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let r = root
        .post_form(
            "admin/rooms/club/",
            &[("slug", "the-club"), ("title", "The Club!")],
        )
        .await;
    assert_eq!(
        r.headers()["location"],
        "/admin/rooms/the-club/?done=room-saved"
    );
    let room = app
        .store
        .rooms()
        .room_by_slug("the-club")
        .await
        .expect("renamed");
    assert_eq!(room.title, "The Club!");
    let members = app.store.rooms().members(room.id).await.expect("members");
    assert_eq!(
        members
            .iter()
            .map(|m| (m.username.as_str(), m.colour.as_str()))
            .collect::<Vec<_>>(),
        [("alice", "c0392b"), ("bob", "2471a3")]
    );

    let alice = app.login("alice").await;
    alice.send("the-club", "hello").await;
    let r = confirm(&root, "admin/rooms/the-club/clear/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(stored_messages(&app.store, room.id).await, 0);
    assert_eq!(
        app.store
            .rooms()
            .members(room.id)
            .await
            .expect("members")
            .len(),
        2,
        "clearing keeps members"
    );

    let r = confirm(&root, "admin/rooms/the-club/members/bob/remove/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store
            .rooms()
            .members(room.id)
            .await
            .expect("members")
            .len(),
        1
    );

    let r = confirm(&root, "admin/rooms/the-club/delete/").await;
    assert_eq!(r.headers()["location"], "/admin/rooms/?done=room-deleted");
    assert!(
        app.store
            .rooms()
            .list_rooms()
            .await
            .expect("rooms")
            .is_empty()
    );

    let (_, audit) = root.text("admin/audit/").await;
    for action in [
        "room.create",
        "member.add",
        "member.colour",
        "room.update",
        "room.clear",
        "member.remove",
        "room.delete",
    ] {
        assert!(audit.contains(action), "{action} is in the audit log");
    }
    let entries = app.store.audit().audit_log(100).await.expect("audit");
    assert!(entries.iter().all(|e| e.actor_name == "root"));
}

#[tokio::test]
async fn admins_manage_accounts_and_deactivation_ends_sessions_at_once() {
    let app = TestApp::start().await;
    app.with_room().await;
    let root = admin(&app).await;

    let r = root
        .post_form(
            "admin/users/",
            &[
                ("username", "dave"),
                ("email", "dave@example.com"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        r.headers()["location"],
        "/admin/users/dave/?done=user-created"
    );
    let r = root
        .post_form(
            "admin/users/",
            &[
                ("username", "DAVE"),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "usernames are unique ignoring case"
    );
    let body = r.text().await.expect("body");
    assert!(
        body.contains("The username &#x27;DAVE&#x27; is already taken."),
        "{body}"
    );

    let r = root
        .post_form(
            "admin/users/dave/",
            &[("email", "not an address"), ("is_active", "on")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = root
        .post_form(
            "admin/users/dave/",
            &[
                ("email", "d@example.org"),
                ("is_active", "on"),
                ("is_admin", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let dave = app
        .store
        .accounts()
        .user_by_name("dave")
        .await
        .expect("dave");
    assert!(dave.is_admin && dave.is_active);
    assert_eq!(dave.email.as_deref(), Some("d@example.org"));

    let r = root
        .post_form("admin/users/root/", &[("is_active", "on")])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "an admin cannot demote themselves"
    );

    let bob_session = app.login("bob").await;
    assert_eq!(bob_session.get("general/").await.status(), StatusCode::OK);
    let r = root
        .post_form(
            "admin/users/bob/password/",
            &[
                ("password", "new password 1"),
                ("password2", "new password 1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        bob_session.get("general/").await.status(),
        StatusCode::SEE_OTHER,
        "a password reset ends sessions"
    );
    let mut bob = app.browser();
    assert_eq!(
        bob.login("bob", "new password 1").await.status(),
        StatusCode::SEE_OTHER
    );
    bob.refresh_csrf().await;

    let mut stream = crate::events::EventReader::open(&bob, "general/api/events/", None).await;
    stream.next_of("users").await;
    let r = confirm(&root, "admin/users/bob/deactivate/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        bob.get("general/").await.status(),
        StatusCode::SEE_OTHER,
        "the open session stops at once"
    );
    let (status, _) = bob.api("general/api/poll/", &[("last", "0")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    stream.expect_end().await;
    let mut again = app.browser();
    assert_eq!(
        again.login("bob", "new password 1").await.status(),
        StatusCode::UNAUTHORIZED,
        "no new logins"
    );
}

#[tokio::test]
async fn a_removed_member_loses_room_history_stream_and_files_at_once() {
    let app = TestApp::start().await;
    app.with_room().await;
    let root = admin(&app).await;
    let alice = app.login("alice").await;
    let form = reqwest::multipart::Form::new()
        .text("content", "a file")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"secret".to_vec()).file_name("s.txt"),
        );
    let r = alice
        .client
        .post(alice.url("general/api/send/"))
        .header("X-CSRFToken", &alice.csrf)
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let body: serde_json::Value = r.json().await.expect("json");
    let pk = body["messages"][0]["pk"].as_i64().expect("pk");

    let bob = app.login("bob").await;
    assert_eq!(
        bob.get(&format!("general/file/{pk}/")).await.status(),
        StatusCode::OK
    );
    let mut stream = crate::events::EventReader::open(&bob, "general/api/events/", None).await;
    stream.next_of("users").await;
    let waiting = {
        let client = bob.client.clone();
        let url = bob.url("general/api/poll/");
        let csrf = bob.csrf.clone();
        tokio::spawn(async move {
            client
                .post(url)
                .header("X-CSRFToken", csrf)
                .form(&[("last", pk.to_string()), ("wait", "20".to_owned())])
                .send()
                .await
                .expect("poll")
                .status()
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;

    let r = confirm(&root, "admin/rooms/general/members/bob/remove/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    stream.expect_end().await;
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("long-poll ends")
            .expect("joined"),
        StatusCode::NOT_FOUND
    );
    assert_eq!(bob.get("general/").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        bob.api("general/api/history/", &[("first", &pk.to_string())])
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.get(&format!("general/file/{pk}/")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.get("general/api/events/").await.status(),
        StatusCode::NOT_FOUND
    );
}

crate::on_each_storage! {
    room_files_go_with_the_room => deleting_a_room_removes_its_files_from_storage,
        deleting_a_room_removes_its_files_from_storage_on_s3;
}

/// Clearing a room removes its files; deleting it removes the rest.
async fn room_files_go_with_the_room(storage: Storage) {
    let app = TestApp::start_with(|c| storage.apply(c)).await;
    app.with_room().await;
    let root = admin(&app).await;
    let alice = app.login("alice").await;
    let upload = async |i: u8| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(vec![i; 1000]).file_name("f.bin"),
        );
        let r = alice
            .client
            .post(alice.url("general/api/send/"))
            .header("X-CSRFToken", &alice.csrf)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), StatusCode::OK);
    };
    for i in 0..3 {
        upload(i).await;
    }
    assert_eq!(storage.stored(&app.config).await.len(), 3);
    confirm(&root, "admin/rooms/general/clear/").await;
    assert_eq!(
        storage.stored(&app.config).await,
        Vec::<String>::new(),
        "clearing removes the files"
    );
    for i in 0..2 {
        upload(i).await;
    }
    assert_eq!(storage.stored(&app.config).await.len(), 2);
    confirm(&root, "admin/rooms/general/delete/").await;
    assert_eq!(
        storage.stored(&app.config).await,
        Vec::<String>::new(),
        "the room's files are gone"
    );
}

#[tokio::test]
async fn members_change_their_password_and_pick_a_readable_colour() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let other = app.login("alice").await;
    let alice = app.login("alice").await;
    let r = alice
        .post_form(
            "account/password/",
            &[
                ("current", "wrong"),
                ("password", "brand new pw"),
                ("password2", "brand new pw"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = alice
        .post_form(
            "account/password/",
            &[
                ("current", PASSWORD),
                ("password", "brand new pw"),
                ("password2", "brand new pw"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Your password was changed")
    );
    assert_eq!(
        alice.get("general/").await.status(),
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        other.get("general/").await.status(),
        StatusCode::SEE_OTHER,
        "other sessions end"
    );

    let mut alice = alice;
    alice.refresh_csrf().await;
    let r = alice
        .post_form(
            "general/settings/",
            &[("alert", "on"), ("colour", "7d3c98")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = alice
        .post_form(
            "general/settings/",
            &[("alert", "on"), ("colour", "ffff00")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "colours outside the palette are refused"
    );
    let id = app
        .store
        .accounts()
        .user_by_name("alice")
        .await
        .expect("alice")
        .id;
    assert_eq!(
        app.store
            .rooms()
            .member(room.id, id)
            .await
            .expect("member")
            .colour,
        "7d3c98"
    );
    let (_, css) = alice.text("general/colours.css").await;
    assert!(css.contains(".cv-author[data-user=\"alice\"]{color:#7d3c98}"));
}

#[test]
fn the_command_line_can_administer_and_asks_before_destroying() {
    use crate::process::cli;
    use std::process::{Command, Stdio};
    let data = crate::support::TestData::fresh();
    cli(
        &data,
        &["user", "add", "alice", "--password-stdin"],
        "long enough pw",
    );
    cli(
        &data,
        &["user", "add", "bob", "--password-stdin"],
        "long enough pw",
    );
    cli(&data, &["room", "add", "general", "--title", "General"], "");
    cli(&data, &["room", "add-member", "general", "alice"], "");
    cli(&data, &["room", "add-member", "general", "bob"], "");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_conversate"))
            .arg("--data-dir")
            .arg(data.dir.path())
            .args(args)
            .env_remove("CONVERSATE_DATABASE_URL")
            .envs(data.env())
            .stdin(Stdio::null())
            .output()
            .expect("runs")
    };
    let refused = run(&["room", "delete", "general"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("pass --yes"));
    assert!(
        run(&["room", "remove-member", "general", "bob", "--yes"])
            .status
            .success()
    );
    assert!(run(&["room", "clear", "general", "--yes"]).status.success());
    cli(&data, &["user", "set-password", "alice"], "a new password");
    assert!(
        run(&["user", "deactivate", "bob", "--yes"])
            .status
            .success()
    );
    let list = String::from_utf8_lossy(&run(&["room", "list"]).stdout).into_owned();
    assert_eq!(list.trim(), "general\tGeneral\talice");
    let users = String::from_utf8_lossy(&run(&["user", "list"]).stdout).into_owned();
    assert!(users.contains("bob\t-\tinactive"), "{users}");
    assert!(
        run(&["room", "delete", "general", "--yes"])
            .status
            .success()
    );
    assert_eq!(
        String::from_utf8_lossy(&run(&["room", "list"]).stdout).trim(),
        ""
    );
    let missing = run(&["room", "delete", "general", "--yes"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("There is no room 'general'."));
}
