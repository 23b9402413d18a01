//! The room page's kept message markup (`web::fragments`): every change
//! shows at once, each reader gets their own view and token, and a site's
//! own message template is used and followed.

use reqwest::StatusCode;

use crate::support::{Browser, TestApp, csrf_in};

/// The markup of message `id` on a room page.
fn message_markup(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"cv-m-{id}\""))
        .unwrap_or_else(|| panic!("message {id} on the page: {html}"));
    let start = html[..start].rfind("<li").expect("its <li>");
    let end = html[start..]
        .find("</ol>")
        .map_or(html.len(), |e| start + e);
    html[start..end].to_owned()
}

/// A server whose `TEMPLATES_DIR` is `dir` (templates already written),
/// and alice logged in, with her "hi" in room `general`.
async fn site_with_hi(dir: &std::path::Path) -> (TestApp, Browser) {
    let path = dir.to_path_buf();
    let app = TestApp::start_with(move |c| c.templates_dir = Some(path)).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let (status, _) = alice.api("general/api/send/", &[("content", "hi")]).await;
    assert_eq!(status, StatusCode::OK);
    (app, alice)
}

#[tokio::test]
async fn the_room_page_follows_every_change_and_every_reader() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    let (status, sent) = alice
        .api("general/api/send/", &[("content", "hello @bob")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let id = sent["messages"][0]["pk"].to_string();

    // Each reader sees the message their way, with their own token in the
    // reaction buttons of the message's own page (the room page links to
    // them).
    let own_page = format!("general/m/{id}/");
    for _ in 0..2 {
        let (_, page) = alice.text("general/").await;
        assert!(!page.contains(&bob.csrf), "no other reader's token");
        let mine = message_markup(&page, &id);
        assert!(mine.contains("cv-action-edit"), "{mine}");
        assert!(!mine.contains("cv-mentions-me"), "{mine}");
        assert!(mine.contains("cv-action-react"), "{mine}");
        assert!(!mine.contains("cv-react-pick"), "{mine}");
        let (_, page) = alice.text(&own_page).await;
        let mine = message_markup(&page, &id);
        assert!(mine.contains("cv-react-bar"), "{mine}");
        assert!(!mine.contains("cv-action-react"), "{mine}");
        let token = csrf_in(&page).expect("token");
        assert!(mine.contains(&token), "the reader's token in the forms");
        let (_, page) = bob.text("general/").await;
        assert!(!page.contains(&alice.csrf));
        let theirs = message_markup(&page, &id);
        assert!(theirs.contains("cv-mentions-me"), "{theirs}");
        assert!(!theirs.contains("cv-action-edit"), "{theirs}");
        let (_, page) = bob.text(&own_page).await;
        assert!(!page.contains(&alice.csrf));
        let theirs = message_markup(&page, &id);
        assert!(theirs.contains(&csrf_in(&page).expect("token")));
    }

    // A reaction: pressed for the one who chose it only.
    let (status, _) = bob
        .api("general/api/react/", &[("id", &id), ("emoji", "👍")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = bob.text("general/").await;
    assert!(message_markup(&page, &id).contains("aria-pressed=\"true\""));
    let (_, page) = alice.text("general/").await;
    let seen = message_markup(&page, &id);
    assert!(seen.contains("aria-pressed=\"false\""), "{seen}");
    assert!(seen.contains("<span class=\"cv-count\">1</span>"), "{seen}");

    // An edit, then a deletion.
    let (status, _) = alice
        .api(
            "general/api/edit/",
            &[("id", &id), ("content", "hello again")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for reader in [&alice, &bob] {
        let (_, page) = reader.text("general/").await;
        let m = message_markup(&page, &id);
        assert!(
            m.contains("hello again") && m.contains("data-edited"),
            "{m}"
        );
    }
    let (status, _) = alice.api("general/api/delete/", &[("id", &id)]).await;
    assert_eq!(status, StatusCode::OK);
    for reader in [&alice, &bob] {
        let (_, page) = reader.text("general/").await;
        let m = message_markup(&page, &id);
        assert!(m.contains("cv-deleted") && !m.contains("hello"), "{m}");
    }
}

#[tokio::test]
async fn a_sites_message_template_is_used_and_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("conversate").join("message.html");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
    let write = |text: &str, seconds: u64| {
        std::fs::write(&file, text).expect("write");
        // A distinct modification time, as the override's check compares them.
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000 + seconds);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .and_then(|f| f.set_modified(at))
            .expect("mtime");
    };
    write(
        "<li class=\"site-message\" id=\"cv-m-{{ m.pk }}\">{{ m.user }} said {{ m.content|safe }}</li>",
        1,
    );
    let (_app, alice) = site_with_hi(dir.path()).await;
    for _ in 0..2 {
        let (_, page) = alice.text("general/").await;
        assert!(
            page.contains("<li class=\"site-message\"") && page.contains("alice said <p>hi</p>"),
            "{page}"
        );
    }
    write(
        "<li class=\"site-message-2\" id=\"cv-m-{{ m.pk }}\">{{ m.content|safe }}</li>",
        2,
    );
    let (_, page) = alice.text("general/").await;
    assert!(page.contains("<li class=\"site-message-2\""), "{page}");
    assert!(!page.contains("alice said"), "{page}");
}

#[tokio::test]
async fn a_sites_room_template_still_reads_the_authors_profiles() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("conversate").join("room.html");
    std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
    std::fs::write(
        &file,
        "{% extends \"conversate/base.html\" %}{% block content %}\
         <p id=\"site-authors\">{% for m in messages %}{{ m.user }}={{ profiles[m.user].name }}/{{ profiles[m.user].initials }};{% endfor %}</p>\
         <p id=\"site-everyone\">{% for name in profiles %}[{{ name }}]{% endfor %}</p>\
         <p id=\"site-nobody\">{% if profiles.nobody is undefined %}none{% endif %}</p>{% endblock %}",
    )
    .expect("write");
    let (_app, alice) = site_with_hi(dir.path()).await;
    let (status, page) = alice.text("general/").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<p id=\"site-authors\">alice=alice/A;</p>"),
        "{page}"
    );
    assert!(page.contains("[alice]") && page.contains("[bob]"), "{page}");
    assert!(page.contains("<p id=\"site-nobody\">none</p>"), "{page}");
}
