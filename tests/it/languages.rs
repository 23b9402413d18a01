//! The page in the visitor's language: chosen from `Accept-Language` among
//! the site's `LANGUAGES`, with plural rules, and English where a site
//! offers only English; a user's own language and time zone (account page)
//! winning over the browser's, on pages, in error sentences and in e-mail.

use conversate::domain::language::Language;

use crate::support::{Browser, TestApp};

async fn page_in(b: &Browser, path: &str, accept: &str) -> String {
    let answer = b
        .client
        .get(b.url(path))
        .header("accept-language", accept)
        .send()
        .await
        .expect("GET");
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    answer.text().await.expect("body")
}

#[tokio::test]
async fn a_german_browser_gets_german_words_and_plurals_where_offered() {
    let app = TestApp::start_with(|c| {
        c.languages = vec![Language::English, Language::German].into();
        c.chat.page_size = 2;
    })
    .await;
    app.with_room().await;
    let alice = app.login("alice").await;
    for i in 0..3 {
        alice.send("general", &format!("message {i}")).await;
    }

    let page = page_in(&alice, "general/", "de-DE,de;q=0.9,en;q=0.5").await;
    assert!(
        page.contains("<html lang=\"de\">"),
        "the page says its language"
    );
    assert!(page.contains(">Abmelden</button>"), "the frame is German");
    assert!(
        page.contains("1 ältere Nachricht<"),
        "one older message, singular"
    );
    alice.send("general", "message 3").await;
    let page = page_in(&alice, "general/", "de").await;
    assert!(page.contains("2 ältere Nachrichten<"), "two, plural");

    let page = page_in(&alice, "general/", "en-GB,en;q=0.9").await;
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains(">Log out</button>"));
    assert!(page.contains("2 older messages<"));
    // A language we do not have: the first offered.
    let page = page_in(&alice, "general/", "fr-FR").await;
    assert!(page.contains(">Log out</button>"));
}

#[tokio::test]
async fn a_site_that_offers_english_only_stays_english() {
    let app = TestApp::start_with(|c| c.languages = vec![Language::English].into()).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let page = page_in(&alice, "general/", "de-DE").await;
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains(">Log out</button>"));
    assert!(!page.contains("Abmelden"));
}

/// The English catalogue's words that German says differently, as they
/// would appear in a page (escaped as the templates escape them); words
/// with placeables are left out, since their English shape varies.
fn english_only_words() -> Vec<(String, String)> {
    use conversate::web::i18n::Catalogues;
    let c = Catalogues::load();
    Catalogues::ids(Language::English)
        .into_iter()
        .filter_map(|id| {
            let en = c.message(Language::English, &id, None)?;
            let de = c.message(Language::German, &id, None)?;
            (en != de && !en.contains('{') && en.chars().any(char::is_alphabetic))
                .then(|| (id, escape(&en)))
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

/// The catalogue words of `words` that `page` still shows in English: a
/// phrase anywhere, a single word only as a whole text or attribute.
fn english_in(page: &str, words: &[(String, String)]) -> Vec<String> {
    words
        .iter()
        .filter(|(_, en)| {
            if en.contains(' ') {
                page.contains(en.as_str())
            } else {
                page.contains(&format!(">{en}<"))
                    || ["title", "aria-label", "placeholder"]
                        .iter()
                        .any(|a| page.contains(&format!("{a}=\"{en}\"")))
            }
        })
        .map(|(id, en)| format!("{id}: {en}"))
        .collect()
}

#[tokio::test]
async fn every_main_page_is_german_for_a_german_browser_with_no_english_left() {
    let app = TestApp::start().await;
    app.with_room().await;
    app.create_user("root", true).await;
    let words = english_only_words();
    assert!(words.len() > 100, "the catalogues differ in many words");

    let anonymous = app.browser();
    let login = page_in(&anonymous, "login/", "de-DE,de;q=0.9").await;
    assert!(login.contains("<html lang=\"de\""));
    assert!(login.contains(">Anmelden</h1>"));
    let forgot = page_in(&anonymous, "password/forgot/", "de").await;

    let alice = app.login("alice").await;
    alice.send("general", "hello **world**").await;
    let root = app.login("root").await;
    let mut pages = vec![("login/", login), ("password/forgot/", forgot)];
    for path in [
        "",
        "general/",
        "account/",
        "account/password/",
        "account/notifications/",
        "rooms/",
        "search/?q=hello",
        "no-such-page/",
    ] {
        let answer = alice
            .client
            .get(alice.url(path))
            .header("accept-language", "de")
            .send()
            .await
            .expect("GET");
        pages.push((path, answer.text().await.expect("body")));
    }
    for path in [
        "admin/",
        "admin/rooms/",
        "admin/rooms/general/",
        "admin/users/",
        "admin/users/alice/",
        "admin/integrations/",
        "admin/invitations/",
        "admin/audit/",
    ] {
        pages.push((path, page_in(&root, path, "de").await));
    }
    for (path, page) in &pages {
        assert!(page.contains("<html lang=\"de\""), "{path}: lang=de");
        let left = english_in(page, &words);
        assert!(left.is_empty(), "{path} still says in English: {left:?}");
    }
    let find = |path: &str| &pages.iter().find(|(p, _)| *p == path).expect("page").1;
    assert!(find("").contains(">Räume</h1>"));
    assert!(find("general/").contains("Schreib eine Nachricht…"));
    assert!(find("general/").contains(">Personen</h2>"));
    assert!(find("account/").contains(">Sprache und Zeitzone</h2>"));
    assert!(find("admin/").contains(">Aktivität</h2>"));
    assert!(
        find("no-such-page/").contains("<h1>Nicht gefunden</h1>"),
        "{}",
        find("no-such-page/")
    );
}

#[tokio::test]
async fn a_users_own_language_and_time_zone_win_over_the_browser() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    alice.send("general", "hello").await;

    let saved = alice
        .post_form(
            "account/locale/",
            &[("language", "de"), ("time_zone", "america/new_york")],
        )
        .await;
    assert_eq!(saved.status(), reqwest::StatusCode::OK);
    let body = saved.text().await.expect("body");
    assert!(
        body.contains("<html lang=\"de\""),
        "the answer is already German"
    );
    assert!(body.contains("id=\"cv-locale-saved\""), "{body}");
    assert!(
        body.contains("value=\"America/New_York\""),
        "as the database spells it"
    );
    let id = app.user_id("alice").await;
    let user = app.store.accounts().user_by_id(id).await.expect("user");
    assert_eq!(user.language, Some(Language::German));
    assert_eq!(user.time_zone.as_deref(), Some("America/New_York"));

    let page = page_in(&alice, "general/", "en-US,en;q=0.9").await;
    assert!(page.contains("<html lang=\"de\" data-time-zone=\"America/New_York\">"));
    assert!(
        page.contains(">Abmelden</button>"),
        "German despite the browser"
    );
    // The message's time, in New York's zone.
    let at: i64 = page
        .split("data-time=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|n| n.parse().ok())
        .expect("a message with its time");
    let local = conversate::domain::time_zone::local_time(at, Some("America/New_York"));
    assert!(
        local.ends_with(" EST") || local.ends_with(" EDT"),
        "{local}"
    );
    assert!(
        page.contains(&format!("title=\"{local}\"")),
        "the time reads in the zone"
    );
    assert!(page.contains("vor "), "durations in German");

    // Back to the browser's: English for an English browser, times in UTC.
    let saved = alice
        .post_form("account/locale/", &[("language", ""), ("time_zone", "")])
        .await;
    assert_eq!(saved.status(), reqwest::StatusCode::OK);
    let page = page_in(&alice, "general/", "en").await;
    assert!(page.contains("<html lang=\"en\">"));
    let utc = conversate::domain::time_zone::local_time(at, None);
    assert!(page.contains(&format!("title=\"{utc}\"")));
    let page = page_in(&alice, "general/", "de").await;
    assert!(page.contains("<html lang=\"de\">"), "the browser's again");
}

#[tokio::test]
async fn an_unknown_time_zone_or_language_is_refused_with_a_sentence_and_nothing_changes() {
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let id = app.user_id("alice").await;

    let refused = alice
        .post_form(
            "account/locale/",
            &[("language", "de"), ("time_zone", "Mars/Olympus_Mons")],
        )
        .await;
    assert_eq!(refused.status(), reqwest::StatusCode::BAD_REQUEST);
    let body = refused.text().await.expect("body");
    assert!(
        body.contains("That is not a time zone; choose one from the list"),
        "{body}"
    );
    let refused = alice
        .client
        .post(alice.url("account/locale/"))
        .header("accept-language", "de")
        .form(&[
            ("csrfmiddlewaretoken", alice.csrf.as_str()),
            ("language", "fr"),
            ("time_zone", ""),
        ])
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status(), reqwest::StatusCode::BAD_REQUEST);
    let body = refused.text().await.expect("body");
    assert!(
        body.contains("Diese Sprache bietet die Seite nicht an."),
        "the sentence in the request's language"
    );
    let user = app.store.accounts().user_by_id(id).await.expect("user");
    assert_eq!(user.language, None, "nothing changed");
    assert_eq!(user.time_zone, None, "nothing changed");
}

#[tokio::test]
async fn json_errors_and_form_errors_speak_the_requests_language() {
    let app = TestApp::start().await;
    app.with_room().await;
    let carol = app.login("carol").await;
    let answer = carol
        .client
        .post(carol.url("general/api/send/"))
        .header("accept-language", "de")
        .header("x-csrftoken", &carol.csrf)
        .form(&[("content", "hi")])
        .send()
        .await
        .expect("POST");
    assert_eq!(answer.status(), reqwest::StatusCode::NOT_FOUND);
    let json: serde_json::Value = answer.json().await.expect("json");
    assert_eq!(json["error"], "Diesen Raum gibt es nicht.");

    let anonymous = app.browser();
    let (_, html) = anonymous.text("login/").await;
    let token = crate::support::csrf_in(&html).expect("token");
    let answer = anonymous
        .client
        .post(anonymous.url("login/"))
        .header("accept-language", "de")
        .form(&[
            ("csrfmiddlewaretoken", token.as_str()),
            ("username", "alice"),
            ("password", "wrong"),
        ])
        .send()
        .await
        .expect("POST");
    let body = answer.text().await.expect("body");
    assert!(
        body.contains("Bitte gib einen richtigen Benutzernamen und ein richtiges Passwort ein.")
    );
    // A sentence with a number in it keeps its number and its plural.
    let sentence = conversate::web::i18n::with_language(Language::German, async {
        conversate::web::i18n::sentence("The password must be at least 12 characters.")
    })
    .await;
    assert_eq!(
        sentence,
        "Das Passwort muss mindestens 12 Zeichen lang sein."
    );
}

#[tokio::test]
async fn english_and_german_plurals_of_older_messages() {
    let app = TestApp::start_with(|c| c.chat.page_size = 2).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    for i in 0..3 {
        alice.send("general", &format!("message {i}")).await;
    }
    assert!(
        page_in(&alice, "general/", "en")
            .await
            .contains(">1 older message<")
    );
    assert!(
        page_in(&alice, "general/", "de")
            .await
            .contains(">1 ältere Nachricht<")
    );
    alice.send("general", "message 3").await;
    assert!(
        page_in(&alice, "general/", "en")
            .await
            .contains(">2 older messages<")
    );
    assert!(
        page_in(&alice, "general/", "de")
            .await
            .contains(">2 ältere Nachrichten<")
    );
}

/// The mail as read: quoted-printable and base64 parts decoded.
fn readable(mail: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    let mut base64_part = false;
    let mut chunk = String::new();
    for line in mail.lines() {
        if line
            .to_ascii_lowercase()
            .starts_with("content-transfer-encoding: base64")
        {
            base64_part = true;
            continue;
        }
        if base64_part {
            if line.starts_with("--") {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(chunk.trim().replace(['\r', '\n'], ""))
                    .unwrap_or_default();
                out.push_str(&String::from_utf8_lossy(&bytes));
                chunk.clear();
                base64_part = false;
            } else {
                chunk.push_str(line.trim());
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    // Quoted-printable: =XX is a byte.
    let bytes = out.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&out[i + 1..i + 3], 16)
        {
            decoded.push(b);
            i += 3;
            continue;
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[tokio::test]
async fn alert_emails_use_the_recipients_language_and_time_zone() {
    use crate::mail::{SmtpSink, addressed_to, away, mail_app, opt_in, smtp_available};
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = mail_app(port, 0).await;
    app.with_room().await;
    let bob = opt_in(&app, "bob").await;
    let saved = bob
        .post_form(
            "account/locale/",
            &[("language", "de"), ("time_zone", "America/New_York")],
        )
        .await;
    assert_eq!(saved.status(), reqwest::StatusCode::OK);
    let alice = app.login("alice").await;
    away().await;
    let (status, sent) = alice
        .api("general/api/send/", &[("content", "are you there?")])
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{sent}");
    let mails = sink.wait_for(1, std::time::Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1);
    let mail = readable(&mails[0]);
    assert!(addressed_to(&mail, "bob@example.com"));
    assert!(mail.contains("Subject: Neues in General"), "{mail}");
    assert!(mail.contains("Hallo bob,"), "German words");
    assert!(mail.contains("während du weg warst"), "German words");
    assert!(mail.contains("are you there?"));
    let at = conversate::domain::now();
    let zoned = |t| conversate::domain::time_zone::local_time(t, Some("America/New_York"));
    assert!(
        (at - 60..=at).any(|t| mail.contains(&zoned(t))),
        "the time in New York's zone: {mail}"
    );
    assert!(!mail.contains(" UTC"), "not in UTC");
}
