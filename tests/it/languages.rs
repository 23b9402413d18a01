//! The page in the visitor's language: chosen from `Accept-Language` among
//! the site's `LANGUAGES`, with plural rules, and English where a site
//! offers only English.

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
    let app = TestApp::start().await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let page = page_in(&alice, "general/", "de-DE").await;
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains(">Log out</button>"));
    assert!(!page.contains("Abmelden"));
}
