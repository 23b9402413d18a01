//! German words where the page shows values: the notification page's rows
//! (channel, outcome, reason, times in the reader's zone), the
//! administrator's confirmation pages, the server's sentences that carry
//! values or a named limit, and the edit window's duration.

use std::time::Duration;

use conversate::domain::notify::{Channel, Decision, Outcome, reason};
use reqwest::StatusCode;

use crate::support::{Browser, TestApp};

/// Makes `b`'s own language German (with a time zone when given): every
/// page and JSON sentence after this is German, whatever the browser says.
async fn in_german(b: &Browser, zone: &str) {
    let saved = b
        .post_form(
            "account/locale/",
            &[("language", "de"), ("time_zone", zone)],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
}

#[tokio::test]
async fn the_notification_page_words_every_channel_outcome_and_reason_in_german() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;
    in_german(&bob, "Europe/Berlin").await;
    let (status, sent) = alice
        .api("general/api/send/", &[("content", "hello")])
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let message_id = sent["last"].as_i64().expect("id");
    let bob_id = app.user_id("bob").await;
    let at = conversate::domain::now();
    let until = at + 3_600;
    // One decision per reason, through the store as the services record
    // them; the first is held, e-mail, the second sent, in the browser.
    let decisions: Vec<Decision> = reason::ALL
        .iter()
        .enumerate()
        .map(|(i, &(why, _))| Decision {
            at,
            user_id: bob_id,
            room_id: room.id,
            message_id,
            channel: if i % 2 == 0 {
                Channel::Email
            } else {
                Channel::Browser
            },
            outcome: match i {
                0 => Outcome::Held { until },
                1 => Outcome::Sent,
                _ => Outcome::Skipped,
            },
            reason: why,
        })
        .collect();
    app.store
        .reading()
        .record_notifications(&decisions)
        .await
        .expect("recorded");

    let (status, page) = bob.text("account/notifications/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<html lang=\"de\""), "{page}");
    for (english, _) in reason::ALL {
        assert!(
            !page.contains(&escape(english)),
            "'{english}' is still English: {page}"
        );
    }
    for german in [
        "du warst weg",
        "kein offenes Fenster",
        "in deinem offenen Fenster gezeigt",
        "der Mailserver hat die Adresse abgelehnt",
        "Stufe „Nichts“",
    ] {
        assert!(page.contains(german), "{german}: {page}");
    }
    let held = format!(
        "zurückgehalten bis {}",
        conversate::domain::time_zone::local_time(until, Some("Europe/Berlin"))
    );
    assert!(page.contains(&held), "held until, in Berlin's time: {page}");
    assert!(page.contains(">gesendet<") && page.contains(">nicht gesendet<"));
    assert!(page.contains(">E-Mail<") && page.contains(">Browser<"));
    for english in [">sent<", ">not sent<", ">e-mail<", ">browser<", " UTC<"] {
        assert!(!page.contains(english), "{english}: {page}");
    }
    // The decision's time is a <time> in the reader's zone.
    assert!(page.contains(&format!(
        "<time datetime=\"{}\">{}</time>",
        conversate::domain::time_zone::rfc3339(at),
        conversate::domain::time_zone::local_time(at, Some("Europe/Berlin"))
    )));
}

#[tokio::test]
async fn the_administrators_confirmation_pages_are_german() {
    let app = TestApp::start().await;
    app.with_room().await;
    app.create_user("root", true).await;
    let root = app.login("root").await;
    in_german(&root, "").await;
    let pages = [
        (
            "admin/rooms/general/delete/",
            "Den Raum „General“ löschen?",
            "Raum löschen",
        ),
        (
            "admin/rooms/general/clear/",
            "Alle Nachrichten in „General“ löschen?",
            "Alle Nachrichten löschen",
        ),
        (
            "admin/rooms/general/members/alice/remove/",
            "alice aus „General“ entfernen?",
            "Mitglied entfernen",
        ),
        (
            "admin/users/alice/deactivate/",
            "alice deaktivieren?",
            "Konto deaktivieren",
        ),
    ];
    for (path, question, button) in pages {
        let (status, page) = root.text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(
            page.contains(&format!("<h2>{question}</h2>")),
            "{path}: {page}"
        );
        assert!(
            page.contains(&format!(">{button}</button>")),
            "{path}: {page}"
        );
        assert!(page.contains("<title>Bitte bestätigen · Conversate</title>"));
        for english in [
            "Delete",
            "Remove",
            "Deactivate",
            "deleted for good",
            "lose access",
            "They ",
        ] {
            assert!(!page.contains(english), "{path} says '{english}': {page}");
        }
    }
    let (_, page) = root.text("admin/users/alice/deactivate/").await;
    assert!(page.contains("Auch jede Nachricht löschen, die alice geschrieben hat"));
    // The titles that name a room or an account.
    let (_, page) = root.text("admin/rooms/general/").await;
    assert!(
        page.contains("<title>Raum: General · Conversate</title>"),
        "{page}"
    );
    let (_, page) = root.text("admin/users/alice/").await;
    assert!(
        page.contains("<title>Konto: alice · Conversate</title>"),
        "{page}"
    );
}

#[tokio::test]
async fn sentences_with_values_and_named_limits_are_german() {
    let app = TestApp::start_with(|c| c.search_max_chars = 20).await;
    app.with_room().await;
    app.create_user("root", true).await;
    let root = app.login("root").await;
    in_german(&root, "").await;

    // A limit from the settings, on a page.
    let (status, page) = root.text(&format!("search/?q={}", "x".repeat(21))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Eine Suche darf höchstens 20 Zeichen lang sein."),
        "{page}"
    );
    assert!(page.contains("<title>Suche: xxxxxxxxxxxxxxxxxxxxx · Conversate</title>"));

    // A named limit of the service, on an administration form.
    let long = "t".repeat(201);
    let refused = root
        .post_form("admin/rooms/", &[("slug", "long"), ("title", &long)])
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let page = refused.text().await.expect("body");
    assert!(
        page.contains("Der Raumtitel darf höchstens 200 Zeichen lang sein."),
        "{page}"
    );
    // A domain rule's sentences, one with a value.
    let refused = root
        .post_form("admin/rooms/", &[("slug", "admin"), ("title", "Admin")])
        .await;
    let page = refused.text().await.expect("body");
    assert!(
        page.contains("Das Kürzel „admin“ ist reserviert; bitte wähle ein anderes."),
        "{page}"
    );
    let refused = root
        .post_form(
            "admin/users/",
            &[
                ("username", "no spaces"),
                ("password", "x"),
                ("password2", "x"),
            ],
        )
        .await;
    let page = refused.text().await.expect("body");
    assert!(
        page.contains(
            "Der Benutzername darf nur Buchstaben, Ziffern und die Zeichen _ . @ + - enthalten."
        ),
        "{page}"
    );

    // A named limit in a JSON answer.
    let alice = app.login("alice").await;
    in_german(&alice, "").await;
    let (status, body) = alice
        .api(
            "general/api/send/",
            &[("content", "hi"), ("client_id", &"c".repeat(65))],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"],
        "Die client_id muss aus 1 bis 64 druckbaren ASCII-Zeichen bestehen."
    );
}

#[tokio::test]
async fn the_edit_window_is_a_german_duration_in_german() {
    let app = TestApp::start_with(|c| c.edit_window = 1).await;
    app.with_room().await;
    let alice = app.login("alice").await;
    in_german(&alice, "").await;
    let (status, sent) = alice
        .api("general/api/send/", &[("content", "quick")])
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    let id = sent["last"].as_i64().expect("id").to_string();
    // Past the one-second window (the window is in whole seconds).
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let sentence =
        "Nachrichten lassen sich 1 Sekunde lang nach dem Senden bearbeiten; diese nicht mehr.";
    let (status, body) = alice
        .api("general/api/edit/", &[("id", &id), ("content", "too late")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], sentence);
    // Without the script: the page says it too.
    let refused = alice
        .post_form("general/edit/", &[("id", &id), ("content", "too late")])
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let page = refused.text().await.expect("body");
    assert!(page.contains(sentence), "{page}");
    assert!(!page.contains("second"), "{page}");
}

#[tokio::test]
async fn a_bots_outgoing_webhook_the_overview_the_keys_and_a_refused_upload_are_german() {
    let app = TestApp::start_with(|c| {
        c.outbound_allow_networks =
            conversate::config::Network::parse_list("127.0.0.0/8").expect("networks");
        c.max_upload_bytes = 100_000;
    })
    .await;
    app.with_room().await;
    app.create_user("root", true).await;
    let root = app.login("root").await;
    in_german(&root, "").await;
    let made = root
        .post_form("admin/integrations/bots/", &[("username", "deploybot")])
        .await;
    assert_eq!(made.status(), StatusCode::SEE_OTHER);
    let set = root
        .post_form(
            "admin/integrations/bots/deploybot/outgoing/",
            &[("url", "http://127.0.0.1:9/hook")],
        )
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    let page = set.text().await.expect("body");
    assert!(
        page.contains("Das Signaturgeheimnis des ausgehenden Webhooks von deploybot."),
        "{page}"
    );
    let (_, page) = root.text("admin/integrations/").await;
    for german in [
        ">Ausgehender Webhook</h4>",
        "Erwähnungen von deploybot und Nachrichten in direkten Räumen mit ihm gehen an diese Adresse",
        "Noch nichts gesendet.",
        ">Ausgehenden Webhook ändern</button>",
    ] {
        assert!(page.contains(german), "{german}: {page}");
    }
    for english in [
        "Outgoing webhook",
        "Mentions of",
        "Nothing sent yet",
        "a new one makes",
    ] {
        assert!(!page.contains(english), "{english}: {page}");
    }

    let (_, page) = root.text("admin/").await;
    assert!(page.contains("auf der Platte dieses Servers"), "{page}");
    let (ok, _, err) = app.cli(&["room", "add", "ops", "--title", "Ops"], "").await;
    assert!(ok, "{err}");
    let (_, page) = root.text("admin/audit/").await;
    assert!(
        page.contains("<td>Befehlszeile</td>"),
        "the command line, as a word: {page}"
    );
    assert!(!page.contains("command line"), "{page}");
    assert!(!page.contains(" bytes"), "{page}");

    let alice = app.login("alice").await;
    in_german(&alice, "").await;
    let (_, page) = alice.text("general/").await;
    assert!(
        page.contains("<kbd>Umschalt</kbd> + <kbd>Eingabe</kbd>"),
        "{page}"
    );
    assert!(page.contains("(bis 100000 Byte)"), "{page}");
    // Without the script, a file over the limit: the reason and the rest in German.
    let form = reqwest::multipart::Form::new()
        .text("csrfmiddlewaretoken", alice.csrf.clone())
        .text("content", "der Plan")
        .part(
            "file",
            reqwest::multipart::Part::bytes(vec![7u8; 100_001]).file_name("plan.pdf"),
        );
    let refused = alice
        .client
        .post(alice.url("general/send/"))
        .multipart(form)
        .send()
        .await
        .expect("POST");
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = refused.text().await.expect("body");
    assert!(
        page.contains(
            "ist größer als die Grenze von 100000 Byte. Die Nachricht wurde nicht gesendet; \
             ihr Text steht unten im Feld"
        ),
        "{page}"
    );
}
