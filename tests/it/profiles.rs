//! Profiles: display names and avatars, as the page, the API and the event
//! stream show them; refused input changes nothing; avatars are re-encoded
//! without their metadata, on local files and on S3.

use reqwest::StatusCode;
use serde_json::Value;

use crate::events::EventReader;
use crate::rich::{GPS_MARKER, contains, jpeg_with_gps};
use crate::storage::Storage;
use crate::support::{Browser, TestApp};

crate::on_each_storage! {
    avatar_round_trip => an_avatar_is_a_small_square_without_metadata_and_replacing_it_removes_the_old,
        an_avatar_is_a_small_square_without_metadata_and_replacing_it_removes_the_old_on_s3;
    refused_avatars => a_refused_avatar_leaves_nothing_stored_and_says_why,
        a_refused_avatar_leaves_nothing_stored_and_says_why_on_s3;
}

/// Uploads `bytes` as the browser's avatar through the account page's form.
async fn upload_avatar(b: &Browser, bytes: Vec<u8>) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrfmiddlewaretoken", b.csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("me.jpg"),
        );
    b.client
        .post(b.url("account/avatar/"))
        .multipart(form)
        .send()
        .await
        .expect("POST")
}

/// The users list of a poll of room `general`.
async fn users(b: &Browser) -> Vec<Value> {
    let (status, body) = b
        .api("general/api/poll/", &[("last", "0"), ("hasFocus", "true")])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["users"].as_array().expect("users").clone()
}

fn user<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|u| u["username"] == name)
        .unwrap_or_else(|| panic!("{name} in {list:?}"))
}

/// The address of the avatar on a page, if one is shown.
fn avatar_address(page: &str) -> Option<String> {
    let start = page.find("/account/avatars/")?;
    let end = start + page[start..].find('"')?;
    Some(page[start..end].to_owned())
}

#[tokio::test]
async fn a_display_name_shows_beside_messages_in_the_people_list_and_in_the_api() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let r = alice
        .post_form(
            "account/profile/",
            &[("display_name", "  Alice   Liddell ")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/account/?profile=saved#cv-profile"
    );
    let (_, account) = alice.text("account/?profile=saved").await;
    assert!(account.contains("id=\"cv-profile-saved\""), "{account}");
    assert!(account.contains("value=\"Alice Liddell\""), "{account}");

    let r = alice.send("general", "hello @bob").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = bob.text("general/").await;
    // Her message and her entry in the people list: the name, her username
    // as the title, initials on her colour.
    let author = "<span class=\"cv-author\" data-user=\"alice\" title=\"@alice\">\
                  <span class=\"cv-avatar cv-initials\" aria-hidden=\"true\"><span>AL</span></span>\
                  <span class=\"cv-name\">Alice Liddell</span></span>";
    assert_eq!(page.matches(author).count(), 2, "{page}");
    // Bob has no display name: his username, no title.
    assert!(page.contains(
        "<span class=\"cv-author\" data-user=\"bob\"><span class=\"cv-avatar cv-initials\" \
         aria-hidden=\"true\"><span>B</span></span><span class=\"cv-name\">bob</span></span>"
    ));

    let list = users(&bob).await;
    assert_eq!(user(&list, "alice")["display_name"], "Alice Liddell");
    assert_eq!(user(&list, "alice")["avatar"], Value::Null);
    assert_eq!(user(&list, "bob")["display_name"], Value::Null);

    // Emptied: the username again.
    let r = alice
        .post_form("account/profile/", &[("display_name", "   ")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        user(&users(&bob).await, "alice")["display_name"],
        Value::Null
    );
    let (_, page) = bob.text("general/").await;
    assert!(!page.contains("Alice Liddell"));
}

#[tokio::test]
async fn a_refused_display_name_says_why_and_changes_nothing() {
    let app = TestApp::start_with(|c| c.accounts.display_name_max_chars = 10).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let r = alice
        .post_form("account/profile/", &[("display_name", "Ann")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for (bad, sentence) in [
        (
            "Bartholomew Q",
            "A display name may have at most 10 characters.",
        ),
        (
            "Ann\nLee",
            "A display name may not contain line breaks or control characters.",
        ),
        (
            "evil\u{202E}gpj",
            "A display name may not contain line breaks or control characters.",
        ),
    ] {
        let r = alice
            .post_form("account/profile/", &[("display_name", bad)])
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad:?}");
        let page = r.text().await.expect("body");
        assert!(page.contains(sentence), "{bad:?}: {page}");
        let user = app
            .store
            .accounts()
            .user_by_name("alice")
            .await
            .expect("alice");
        assert_eq!(user.display_name.as_deref(), Some("Ann"), "{bad:?}");
    }
    // Without the form's token: refused before anything is read.
    let r = alice
        .client
        .post(alice.url("account/profile/"))
        .form(&[("display_name", "Mallory")])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(user(&users(&alice).await, "alice")["display_name"], "Ann");
}

#[tokio::test]
async fn a_profile_change_reaches_open_streams_at_once() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let mut stream = EventReader::open(&bob, "general/api/events/", None).await;
    let first = stream.next_of("users").await;
    assert_eq!(
        user(first.data["users"].as_array().expect("users"), "alice")["display_name"],
        Value::Null
    );
    let r = alice
        .post_form("account/profile/", &[("display_name", "Alice L.")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The next users list names her; presence alone may come first.
    for _ in 0..5 {
        let event = stream.next_of("users").await;
        let list = event.data["users"].as_array().expect("users").clone();
        if user(&list, "alice")["display_name"] == "Alice L." {
            return;
        }
    }
    panic!("the stream never told the new name");
}

#[tokio::test]
async fn an_invitee_chooses_a_display_name() {
    let app = TestApp::start().await;
    app.with_room().await;
    let (ok, out, err) = app
        .cli(&["invite", "create", "--room", "general"], "")
        .await;
    assert!(ok, "{err}");
    let path = out
        .split_once("/invite/")
        .map(|(_, token)| format!("invite/{}", token.trim()))
        .expect("link");
    let path = path.as_str();
    let mut guest = app.browser();
    let (status, form) = guest.text(path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("name=\"display_name\""));
    guest.csrf = crate::support::csrf_in(&form).expect("token");
    let r = guest
        .post_form(
            path,
            &[
                ("username", "dora"),
                ("display_name", "Carol Danvers"),
                ("password", "a long enough secret"),
                ("password2", "a long enough secret"),
            ],
        )
        .await;
    let status = r.status();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let dora = app
        .store
        .accounts()
        .user_by_name("dora")
        .await
        .expect("dora");
    assert_eq!(dora.display_name.as_deref(), Some("Carol Danvers"));
}

async fn avatar_round_trip(storage: Storage) {
    let app = TestApp::start_with(|c| storage.apply(c)).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let before = storage.stored(&app.config).await.len();

    let photo = jpeg_with_gps(64, 32);
    assert!(contains(&photo, GPS_MARKER) && contains(&photo, b"Exif"));
    let r = upload_avatar(&alice, photo.clone()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The upload is gone; one small picture is kept.
    assert_eq!(storage.stored(&app.config).await.len(), before + 1);

    let (_, page) = bob.text("general/").await;
    let address = avatar_address(&page).expect("the avatar on the page");
    assert!(page.contains(&format!(
        "<img class=\"cv-avatar\" src=\"{address}\" alt=\"\" width=\"20\" height=\"20\">"
    )));
    let list = users(&bob).await;
    assert_eq!(user(&list, "alice")["avatar"], address.as_str());

    let r = bob.get(&address[1..]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("immutable")
    );
    let bytes = r.bytes().await.expect("bytes");
    assert!(!contains(&bytes, GPS_MARKER), "the GPS data is gone");
    assert!(!contains(&bytes, b"Exif"), "no EXIF at all");
    // The photo is 64 × 32 turned upright (32 × 64): its middle square.
    let decoded = image::load_from_memory(&bytes).expect("a picture");
    assert_eq!((decoded.width(), decoded.height()), (32, 32));

    // Only to people logged in, only the current version.
    let (status, _) = app.browser().text(&address[1..]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let wrong = format!("{}0000000000000000/", &address[1..address.len() - 17]);
    assert_eq!(bob.get(&wrong).await.status(), StatusCode::NOT_FOUND);

    // A new picture: a new address, the old one gone, with its file.
    let r = upload_avatar(&alice, jpeg_with_gps(40, 40)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = bob.text("general/").await;
    let newer = avatar_address(&page).expect("the new avatar");
    assert_ne!(newer, address);
    assert_eq!(bob.get(&address[1..]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(bob.get(&newer[1..]).await.status(), StatusCode::OK);
    assert_eq!(storage.stored(&app.config).await.len(), before + 1);

    // Removed: initials again, nothing kept.
    let r = alice.post_form("account/avatar/", &[("remove", "1")]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = bob.text("general/").await;
    assert_eq!(avatar_address(&page), None);
    assert_eq!(bob.get(&newer[1..]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(storage.stored(&app.config).await.len(), before);
}

async fn refused_avatars(storage: Storage) {
    let app = TestApp::start_with(|c| {
        storage.apply(c);
        c.accounts.avatar_max_bytes = 4096;
    })
    .await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let before = storage.stored(&app.config).await.len();

    let r = upload_avatar(&alice, b"<svg onload=alert(1)>".to_vec()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.expect("body");
    assert!(
        page.contains("The file is not a picture that can be read"),
        "{page}"
    );

    let r = upload_avatar(&alice, vec![0xFF; 20_000]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = r.text().await.expect("body");
    assert!(
        page.contains("The file is larger than the limit of 4 KiB."),
        "{page}"
    );

    let empty = reqwest::multipart::Form::new().text("csrfmiddlewaretoken", alice.csrf.clone());
    let r = alice
        .client
        .post(alice.url("account/avatar/"))
        .multipart(empty)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Please choose a picture to upload.")
    );

    // Without the form's token, even a good picture is refused.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(jpeg_with_gps(8, 8)).file_name("me.jpg"),
    );
    let r = alice
        .client
        .post(alice.url("account/avatar/"))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    assert_eq!(storage.stored(&app.config).await.len(), before);
    let user = app
        .store
        .accounts()
        .user_by_name("alice")
        .await
        .expect("alice");
    assert_eq!(user.avatar_key, None);
}

#[tokio::test]
async fn profile_sentences_are_in_the_readers_language() {
    let app = TestApp::start_with(|c| {
        c.accounts.display_name_max_chars = 10;
        c.accounts.avatar_max_bytes = 4096;
    })
    .await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let saved = alice
        .post_form("account/locale/", &[("language", "de"), ("time_zone", "")])
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let r = alice
        .post_form("account/profile/", &[("display_name", "Bartholomew Q")])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.expect("body");
    assert!(
        page.contains("Ein Anzeigename darf höchstens 10 Zeichen haben."),
        "{page}"
    );
    assert!(page.contains("Dein Profil"), "the section too");
    let r = upload_avatar(&alice, vec![0xFF; 20_000]).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = r.text().await.expect("body");
    assert!(page.contains("4 KiB"), "{page}");
    assert!(!page.contains("The file is larger"), "{page}");
    let r = upload_avatar(&alice, b"not a picture".to_vec()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Die Datei ist kein lesbares Bild")
    );
}

#[tokio::test]
async fn an_administrator_can_clear_a_name_and_remove_a_picture() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    app.create_user("root", true).await;
    let root = app.login("root").await;
    let r = alice
        .post_form("account/profile/", &[("display_name", "Rude Name")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = upload_avatar(&alice, jpeg_with_gps(16, 16)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = root.text("admin/users/alice/").await;
    assert!(
        page.contains("id=\"cv-admin-display-name\">Rude Name<"),
        "{page}"
    );
    let address = avatar_address(&page).expect("the picture is shown");

    // Nothing chosen: a sentence, nothing changes.
    let r = root.post_form("admin/users/alice/profile/", &[]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("Choose what to remove")
    );
    // A member cannot.
    let r = bob
        .post_form("admin/users/alice/profile/", &[("clear_name", "on")])
        .await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER);

    let mut stream = EventReader::open(&bob, "general/api/events/", None).await;
    stream.next_of("users").await;
    let r = root
        .post_form(
            "admin/users/alice/profile/",
            &[("clear_name", "on"), ("remove_picture", "on")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let stored = app
        .store
        .accounts()
        .user_by_name("alice")
        .await
        .expect("alice");
    assert_eq!((stored.display_name, stored.avatar_key), (None, None));
    assert_eq!(bob.get(&address[1..]).await.status(), StatusCode::NOT_FOUND);
    // Open pages hear of it: a users list without her name and picture.
    let mut heard = false;
    for _ in 0..5 {
        let event = stream.next_of("users").await;
        let list = event.data["users"].as_array().expect("users").clone();
        if user(&list, "alice")["display_name"].is_null() {
            assert_eq!(user(&list, "alice")["avatar"], Value::Null);
            heard = true;
            break;
        }
    }
    assert!(heard, "the stream told the change");
    let (_, audit) = root.text("admin/audit/").await;
    assert!(audit.contains("profile.moderate"), "{audit}");
}
