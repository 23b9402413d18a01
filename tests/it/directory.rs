//! Direct rooms (one per pair, enforced by the database, only with someone
//! one shares a room with), open rooms in the room directory, and rooms
//! made by members when the setting allows it.

use reqwest::StatusCode;

use crate::support::TestApp;

const NO_SUCH_PERSON: &str = "You share no room with anyone of that name.";

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .expect("a redirect")
        .to_owned()
}

async fn direct_count(app: &TestApp, name: &str) -> usize {
    let id = app.user_id(name).await;
    app.store
        .directory()
        .direct_rooms_of(id)
        .await
        .expect("direct rooms")
        .len()
}

#[tokio::test]
async fn a_direct_room_is_made_once_per_pair_and_only_with_someone_one_shares_a_room_with() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;

    let r = alice
        .post_form("rooms/direct/", &[("username", "Bob")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let room = location(&r);
    let (status, html) = alice.text(&room).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("alice and bob"));
    // Again, and from the other side: the same room.
    let r = alice
        .post_form("rooms/direct/", &[("username", "bob")])
        .await;
    assert_eq!(location(&r), room);
    let r = bob
        .post_form("rooms/direct/", &[("username", "alice")])
        .await;
    assert_eq!(location(&r), room);
    assert_eq!(direct_count(&app, "alice").await, 1);
    let slug = room
        .trim_matches('/')
        .rsplit('/')
        .next()
        .expect("slug")
        .to_owned();
    let room_id = app.room_id(&slug).await;
    let members = app.store.rooms().members(room_id).await.expect("members");
    let names: Vec<&str> = members.iter().map(|m| m.username.as_str()).collect();
    assert_eq!(names, ["alice", "bob"], "the two and nobody else");
    assert_ne!(members[0].colour, members[1].colour);
    let (_, index) = bob.text("").await;
    assert!(index.contains("direct conversation"), "listed as such");
    // Each finds it under the other's name, their display name once chosen.
    assert!(
        index.contains(&format!(
            "<a class=\"cv-room-link\" href=\"{room}\">alice</a>"
        )),
        "{index}"
    );
    let r = alice
        .post_form("account/profile/", &[("display_name", "Alice Liddell")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, index) = bob.text("").await;
    assert!(
        index.contains(&format!(
            "<a class=\"cv-room-link\" href=\"{room}\">Alice Liddell</a>"
        )),
        "{index}"
    );
    let rooms = bob
        .get("api/rooms/")
        .await
        .json::<serde_json::Value>()
        .await
        .expect("json");
    let listed = rooms["rooms"]
        .as_array()
        .expect("rooms")
        .iter()
        .find(|r| r["slug"] == slug_of(&room))
        .expect("the direct room")
        .clone();
    assert_eq!(listed["title"], "Alice Liddell");
    assert_eq!(listed["direct"], true);
    let (_, index) = alice.text("").await;
    assert!(
        index.contains(&format!(
            "<a class=\"cv-room-link\" href=\"{room}\">bob</a>"
        )),
        "{index}"
    );

    // Carol shares no room with alice; nobody does not exist: one answer.
    for other in ["carol", "nobody"] {
        let r = alice
            .post_form("rooms/direct/", &[("username", other)])
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{other}");
        assert!(r.text().await.expect("body").contains(NO_SUCH_PERSON));
    }
    let r = alice
        .post_form("rooms/direct/", &[("username", "alice")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let carol = app.login("carol").await;
    let (status, _) = carol.text(&room).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "others cannot see it");
    assert_eq!(direct_count(&app, "carol").await, 0);

    // Nobody else can be added: not by an administrator, not by the CLI.
    app.create_user("root", true).await;
    let root = app.login("root").await;
    let r = root
        .post_form(
            &format!("admin/rooms/{slug}/members/"),
            &[("username", "carol")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains("for its two people"));
    let (ok, _, err) = app.cli(&["room", "add-member", &slug, "carol"], "").await;
    assert!(!ok);
    assert!(err.contains("for its two people"), "{err}");
    let members = app.store.rooms().members(room_id).await.expect("members");
    assert_eq!(members.len(), 2);
}

#[tokio::test]
async fn the_database_refuses_a_second_room_for_a_pair_and_racing_starts_share_one() {
    let app = TestApp::start().await;
    app.with_room().await;
    let (a, b) = (app.user_id("alice").await, app.user_id("bob").await);
    let (low, high) = (a.min(b), a.max(b));
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let (x, y) = tokio::join!(
        alice.post_form("rooms/direct/", &[("username", "bob")]),
        bob.post_form("rooms/direct/", &[("username", "alice")])
    );
    assert_eq!(x.status(), StatusCode::SEE_OTHER);
    assert_eq!(y.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&x), location(&y), "one room for both");
    assert_eq!(direct_count(&app, "alice").await, 1);
    // Straight to the store, under another slug: refused by the database.
    let again = app
        .store
        .directory()
        .create_direct_room(low, high, "another-slug", "again", ["c0392b", "2471a3"])
        .await;
    assert!(
        matches!(again, Err(conversate::store::StoreError::Conflict)),
        "{again:?}"
    );
    assert!(
        app.store
            .rooms()
            .room_by_slug("another-slug")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_open_room_is_in_the_directory_and_anyone_can_join_it() {
    let app = TestApp::start().await;
    app.create_user("root", true).await;
    app.with_room().await;
    app.create_room("lounge", "Lounge").await;
    let root = app.login("root").await;
    let carol = app.login("carol").await;

    let (_, html) = carol.text("rooms/").await;
    assert!(!html.contains("Lounge"), "not open yet");
    let r = carol.post_form("rooms/lounge/join/", &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "a closed room: as missing"
    );
    let missing = carol.post_form("rooms/nowhere/join/", &[]).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        r.text().await.expect("body"),
        missing.text().await.expect("body"),
        "exactly as a missing room"
    );

    let r = root
        .post_form("admin/rooms/lounge/open/", &[("open", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = carol.text("rooms/").await;
    assert!(html.contains("Lounge"), "listed");
    let r = carol.post_form("rooms/lounge/join/", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).ends_with("/lounge/"));
    let (status, _) = carol.text("lounge/").await;
    assert_eq!(status, StatusCode::OK, "carol is a member");
    let r = carol.post_form("rooms/lounge/join/", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "joining twice is fine");

    let r = root.post_form("admin/rooms/lounge/open/", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.login("alice").await.text("rooms/").await;
    assert!(!html.contains("Lounge"), "closed again");
    let (_, audit) = root.text("admin/audit/").await;
    assert!(audit.contains("room.open"));

    // A direct room cannot be opened.
    let alice = app.login("alice").await;
    let r = alice
        .post_form("rooms/direct/", &[("username", "bob")])
        .await;
    let slug = location(&r)
        .trim_matches('/')
        .rsplit('/')
        .next()
        .expect("slug")
        .to_owned();
    let r = root
        .post_form(&format!("admin/rooms/{slug}/open/"), &[("open", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn members_make_rooms_only_when_the_setting_allows() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let r = alice
        .post_form("rooms/", &[("slug", "book-club"), ("title", "Book club")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(app.store.rooms().room_by_slug("book-club").await.is_err());

    let app = TestApp::start_with(|c| c.accounts.members_create_rooms = true).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let r = alice
        .post_form("rooms/", &[("slug", "book-club"), ("title", "Book club")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = alice.text("book-club/").await;
    assert_eq!(status, StatusCode::OK, "the maker is a member");
    let r = alice
        .post_form("rooms/", &[("slug", "rooms"), ("title", "Shadow")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "a reserved slug");
}

/// The slug in a room's path (`/dm-1-2/` → `dm-1-2`).
fn slug_of(path: &str) -> String {
    path.trim_matches('/')
        .rsplit('/')
        .next()
        .expect("slug")
        .to_owned()
}
