//! The no-JavaScript pages: room, sending, history pages, settings, errors.

use conversate::domain::language::Language;
use reqwest::StatusCode;

use crate::support::{TestApp, stored_messages};

#[tokio::test]
async fn logged_out_visitors_go_to_login_whether_or_not_the_room_exists() {
    let app = TestApp::start().await;
    app.with_room().await;
    let b = app.browser();
    for (path, next) in [
        ("general/", "%2Fgeneral%2F"),
        ("no-such-room/", "%2Fno%2Dsuch%2Droom%2F"),
        ("", "%2F"),
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(
            r.headers()["location"],
            format!("/login/?next={next}"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn non_members_get_exactly_what_a_missing_room_gets() {
    let app = TestApp::start().await;
    app.with_room().await;
    let carol = app.login("carol").await;
    let (status_real, body_real) = carol.text("general/").await;
    let (status_missing, body_missing) = carol.text("no-such-room/").await;
    assert_eq!(status_real, StatusCode::NOT_FOUND);
    assert_eq!((status_real, body_real), (status_missing, body_missing));
    for path in [
        "general/api/poll/",
        "general/api/history/",
        "general/api/send/",
    ] {
        let missing = path.replace("general", "nope");
        let real = carol
            .api(path, &[("last", "0"), ("first", "1"), ("content", "x")])
            .await;
        let fake = carol
            .api(&missing, &[("last", "0"), ("first", "1"), ("content", "x")])
            .await;
        assert_eq!(real.0, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(real, fake, "{path}");
    }
    let (s1, b1) = carol.text("general/colours.css").await;
    let (s2, b2) = carol.text("nope/colours.css").await;
    assert_eq!((s1, b1), (s2, b2));
    assert_eq!(
        carol.get("general/api/events/").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn admins_see_every_room_and_may_open_it_without_joining_presence() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    app.create_room("secret", "Secret").await;
    app.create_user("root", true).await;
    let root = app.login("root").await;
    let (_, index) = root.text("").await;
    assert!(index.contains("General") && index.contains("Secret"));
    let (status, html) = root.text("general/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !html.contains("id=\"cv-send\""),
        "no send form for a non-member admin"
    );
    let members = app.store.rooms().members(room.id).await.expect("members");
    assert!(members.iter().all(|m| m.username != "root"));
    let alice = app.login("alice").await;
    let (_, index) = alice.text("").await;
    assert!(
        index.contains("General") && !index.contains("Secret"),
        "members see only their rooms"
    );
}

#[tokio::test]
async fn a_sent_message_is_shown_rendered_on_the_page() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let r = alice.send("general", ":thumbsup: *em*").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let bob = app.login("bob").await;
    let (_, html) = bob.text("general/").await;
    // Back at the message just sent (a page without JavaScript would open
    // at its top otherwise).
    let id = html
        .split("id=\"cv-m-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the message's element");
    assert_eq!(r.headers()["location"], format!("/general/#cv-m-{id}"));
    assert!(
        html.contains("<div class=\"cv-content\"><p>👍 <em>em</em></p>\n</div>"),
        "{html}"
    );
    assert!(html.contains("data-user=\"alice\""));
}

#[tokio::test]
async fn xss_payloads_are_shown_escaped() {
    let app = TestApp::start_with(|c| c.chat.page_size = 50).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let payloads = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "\"><svg onload=alert(1)>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "![x](javascript:alert(1))",
        "<iframe src=//evil.example></iframe>",
    ];
    for p in payloads {
        assert_eq!(
            alice.send("general", p).await.status(),
            StatusCode::SEE_OTHER,
            "{p}"
        );
    }
    let (_, html) = alice.text("general/").await;
    let start = html.find("id=\"cv-messages\"").expect("messages");
    let messages = &html[start..];
    for tag in tags(messages) {
        let lower = tag.to_ascii_lowercase();
        let name = lower
            .trim_start_matches('<')
            .split([' ', '>'])
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(
            !["script", "svg", "iframe", "object", "style"].contains(&name.as_str()),
            "{tag}"
        );
        assert!(!lower.contains(" on"), "event handler attribute in {tag}");
        assert!(!lower.contains("javascript:"), "script URL in {tag}");
    }
    assert!(messages.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[tokio::test]
async fn history_is_paginated_with_links_across_more_than_a_page() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    for i in 1..=12 {
        alice.send("general", &format!("message number {i}")).await;
    }
    assert_eq!(stored_messages(&app.store, room.id).await, 12);
    let (_, page1) = alice.text("general/").await;
    assert!(page1.contains("message number 12") && page1.contains("message number 8"));
    assert!(!page1.contains("message number 7<"));
    assert!(page1.contains("7 older messages"));
    let link = older_link(&page1).expect("older link");
    let (_, page2) = alice.text(&link).await;
    assert!(page2.contains("message number 7") && page2.contains("message number 3"));
    assert!(!page2.contains("message number 8<"));
    assert!(page2.contains("2 older messages"));
    assert!(page2.contains("Newest messages"));
    let (_, page3) = alice.text(&older_link(&page2).expect("older link")).await;
    assert!(page3.contains("message number 1<") && page3.contains("message number 2<"));
    assert!(
        older_link(&page3).is_none(),
        "no older link on the first page"
    );
}

/// The tags (`<...>`) of an HTML fragment: text can never contain a raw `<`.
fn tags(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let end = rest[start..]
            .find('>')
            .map_or(rest.len(), |e| start + e + 1);
        out.push(&rest[start..end]);
        rest = &rest[end..];
    }
    out
}

fn older_link(html: &str) -> Option<String> {
    let marker = "id=\"cv-older\" href=\"/";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_stores_nothing() {
    let app = TestApp::start_with(|c| c.max_message_chars = 100).await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;

    let r = alice.send("general", "   \n  ").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("The message is empty.")
    );

    let r = alice.send("general", &"x".repeat(101)).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("longer than 100 characters")
    );

    let r = alice
        .client
        .post(alice.url("general/send/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrfmiddlewaretoken={}&content=%FF%FE", alice.csrf))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.expect("body").contains("not valid UTF-8"));

    let bytes = {
        let mut b =
            b"--XYZ\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n"
                .to_vec();
        b.extend_from_slice(alice.csrf.as_bytes());
        b.extend_from_slice(b"\r\n--XYZ\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\n\xff\xfe\r\n--XYZ--\r\n");
        b
    };
    let r = alice
        .client
        .post(alice.url("general/send/"))
        .header("content-type", "multipart/form-data; boundary=XYZ")
        .body(bytes)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    assert_eq!(
        alice.send("no-such-room", "hello").await.status(),
        StatusCode::NOT_FOUND
    );

    let huge = "y".repeat(2 * 1024 * 1024);
    let r = alice
        .post_form("general/settings/", &[("alert", &huge)])
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let r = alice
        .post_form("general/send/", &[("content", "a"), ("content", "b")])
        .await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "duplicate fields are refused"
    );

    assert_eq!(stored_messages(&app.store, room.id).await, 0);
}

#[tokio::test]
async fn messages_survive_a_restart() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    alice.send("general", "remember me").await;
    let app = app.restart().await;
    let alice = app.login("alice").await;
    let (_, html) = alice.text("general/").await;
    assert!(html.contains("remember me"));
}

#[tokio::test]
async fn settings_form_saves_alert_choices() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let r = alice
        .post_form("general/settings/", &[("mail_alert", "on")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = app
        .store
        .accounts()
        .user_by_name("alice")
        .await
        .expect("alice")
        .id;
    let m = app.store.rooms().member(room.id, id).await.expect("member");
    assert!(!m.alert && m.mail_alert);
    let (_, html) = alice.text("general/?notice=settings").await;
    assert!(html.contains("Settings saved."));
}

#[tokio::test]
async fn pages_carry_security_headers_and_no_store() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let r = alice.get("general/").await;
    let h = r.headers();
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let csp = h["content-security-policy"].to_str().expect("ascii");
    assert!(
        csp.contains("script-src 'self'")
            && !csp.contains("unsafe-inline")
            && csp.contains("frame-ancestors 'none'")
    );
    let html = r.text().await.expect("body");
    assert!(!html.contains("<script>"), "no inline script");
    assert!(!html.contains("style=\""), "no inline style");
    let css = alice.get("general/colours.css").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn assets_are_served_with_long_caching_on_hashed_urls() {
    let app = TestApp::start().await;
    let b = app.browser();
    let (_, html) = b.text("login/").await;
    let start = html
        .find("/assets/conversate.css?v=")
        .expect("hashed css url");
    let end = html[start..].find('"').expect("end") + start;
    let r = b.get(&html[start + 1..end]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("immutable")
    );
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/css")
    );
    assert_eq!(
        b.get("assets/nothing.js").await.status(),
        StatusCode::NOT_FOUND
    );
}

/// The script and the style sheet go gzipped to a browser that takes it,
/// the same bytes once unpacked; images as they are; pages never.
#[tokio::test]
async fn text_assets_go_gzipped_to_browsers_that_take_it() {
    let app = TestApp::start().await;
    let b = app.browser();
    let (_, html) = b.text("login/").await;
    let url_of = |marker: &str| {
        let start = html.find(marker).expect(marker) + 1;
        let end = html[start..].find('"').expect("end") + start;
        html[start..end].to_owned()
    };
    let asking = |path: &str, encodings: &'static str| {
        b.client
            .get(b.url(path))
            .header("accept-encoding", encodings)
            .send()
    };
    let (css, script) = (url_of("/assets/conversate.css?v="), url_of("/assets/m/"));
    for path in [css.as_str(), script.as_str()] {
        let plain = b.get(path).await;
        assert_eq!(plain.headers().get("content-encoding"), None, "{path}");
        assert_eq!(plain.headers()["vary"], "accept-encoding", "{path}");
        let plain = plain.bytes().await.expect("body");
        let packed = asking(path, "br, gzip").await.expect("GET");
        assert_eq!(packed.status(), StatusCode::OK);
        assert_eq!(packed.headers()["content-encoding"], "gzip", "{path}");
        assert_eq!(packed.headers()["vary"], "accept-encoding", "{path}");
        let packed = packed.bytes().await.expect("body");
        assert!(
            packed.len() * 2 < plain.len(),
            "{path}: {} of {}",
            packed.len(),
            plain.len()
        );
        let mut unpacked = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&packed[..]),
            &mut unpacked,
        )
        .expect("gunzip");
        assert_eq!(unpacked, plain, "{path}");
    }
    let not_taken = [
        (css.as_str(), "gzip;q=0, br", "refused"),
        ("assets/icon-192.png", "gzip", "a PNG as it is"),
        ("login/", "gzip", "pages never"),
    ];
    for (path, encodings, why) in not_taken {
        let r = asking(path, encodings).await.expect("GET");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers().get("content-encoding"), None, "{why}");
    }
}

#[tokio::test]
async fn the_chat_can_live_under_a_url_prefix() {
    let app = TestApp::start_with(|c| c.url_prefix = "/conversate/".to_owned()).await;
    app.with_room().await;
    assert!(app.base.ends_with("/conversate/"));
    let alice = app.login("alice").await;
    let sent = alice.send("general", "prefixed").await;
    let location = sent.headers()["location"].to_str().expect("ascii");
    assert!(
        location.starts_with("/conversate/general/#cv-m-"),
        "{location}"
    );
    let (_, html) = alice.text("general/").await;
    assert!(html.contains("prefixed") && html.contains("/conversate/assets/m/"));
}

/// The client's modules: the page names the entry in a versioned directory
/// in its own language; the modules it imports and the words they import
/// are served from there, cached for good, and nothing else is.
#[tokio::test]
async fn the_client_is_es_modules_in_one_versioned_directory_with_the_pages_words() {
    let app = TestApp::start_with(|c| {
        c.languages = vec![Language::English, Language::German].into();
    })
    .await;
    let b = app.browser();
    let (_, html) = b.text("login/").await;
    let tag = "<script type=\"module\" src=\"";
    let start = html.find(tag).expect("module script") + tag.len();
    let entry = &html[start..start + html[start..].find('"').expect("end")];
    assert!(
        entry.starts_with("/assets/m/") && entry.ends_with("/en/conversate.js"),
        "{entry}"
    );
    let dir = entry
        .trim_end_matches("conversate.js")
        .trim_start_matches('/');

    let r = b.get(&format!("{dir}conversate.js")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/javascript")
    );
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("immutable")
    );
    let text = r.text().await.expect("body");
    assert!(
        text.contains("from './conversate/room.js'"),
        "the entry imports the room"
    );

    let room = b.get(&format!("{dir}conversate/room.js")).await;
    assert_eq!(room.status(), StatusCode::OK);
    let words = b
        .get(&format!("{dir}strings.js"))
        .await
        .text()
        .await
        .expect("body");
    assert!(words.contains("\"js-retry\":\"Retry\""), "{words}");
    let german = dir.replace("/en/", "/de/");
    let words = b
        .get(&format!("{german}strings.js"))
        .await
        .text()
        .await
        .expect("body");
    assert!(
        words.contains("\"js-retry\":\"Erneut versuchen\""),
        "{words}"
    );

    // Another build's version gets this build's modules, never cached for long.
    let old = b.get("assets/m/0123456789abcdef/en/conversate.js").await;
    assert_eq!(old.status(), StatusCode::OK);
    assert_eq!(old.headers()["cache-control"], "no-cache");
    for missing in [
        format!("{dir}sw.js"),
        format!("{dir}conversate/../conversate.css"),
        format!("{dir}conversate/nothing.js"),
        dir.replace("/en/", "/xx/") + "conversate.js",
    ] {
        assert_eq!(
            b.get(&missing).await.status(),
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }

    // A German reader's page names the German words.
    let r = b
        .client
        .get(b.url("login/"))
        .header("Accept-Language", "de")
        .send()
        .await
        .expect("page");
    let html = r.text().await.expect("body");
    assert!(
        html.contains("/de/conversate.js"),
        "a German page loads German words"
    );
}

#[tokio::test]
async fn templates_can_be_overridden_by_the_site_owner() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("base.html"),
        "{% extends \"default/base.html\" %}{% block title %}My Site: {{ title }}{% endblock %}",
    )
    .expect("write");
    let path = dir.path().to_path_buf();
    let app = TestApp::start_with(move |c| c.templates_dir = Some(path)).await;
    let (_, html) = app.browser().text("login/").await;
    assert!(
        html.contains("<title>My Site: Log in · Conversate</title>"),
        "{html}"
    );
}
