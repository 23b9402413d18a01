//! Notification levels and read cursors in the e-mail digest, against the
//! real SMTP server, and the notification page's reasons.

use std::time::Duration;

use reqwest::StatusCode;

use crate::mail::{SmtpSink, addressed_to, away, mail_app, opt_in, outbox_settles, smtp_available};
use crate::support::Browser;

async fn send(b: &Browser, text: &str) -> i64 {
    let (status, body) = b.api("general/api/send/", &[("content", text)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["last"].as_i64().expect("id")
}

/// The notification page once it shows `needle` (decisions are written
/// off the request path), or after 5 s whatever it shows.
async fn notifications_showing(b: &Browser, needle: &str) -> String {
    let mut html = String::new();
    for _ in 0..100 {
        html = b.text("account/notifications/").await.1;
        if html.contains(needle) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    html
}

#[tokio::test]
async fn level_mentions_gets_a_digest_of_the_mention_only_and_the_page_says_why() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = mail_app(port, 0).await;
    app.with_room().await;
    let bob = opt_in(&app, "bob").await;
    let r = bob
        .post_form(
            "general/settings/",
            &[
                ("alert", "on"),
                ("mail_alert", "on"),
                ("notify", "mentions"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let alice = app.login("alice").await;
    away().await;

    send(&alice, "plain chatter one").await;
    send(&alice, "dinner at 8, @bob?").await;
    send(&alice, "plain chatter two").await;
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(addressed_to(mail, "bob@example.com"));
    assert!(mail.contains("dinner at 8"), "{mail}");
    assert!(
        !mail.contains("plain chatter"),
        "level mentions: only the mention is in the digest"
    );
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(sink.messages().len(), 1, "and nothing else is sent");

    let html = notifications_showing(&bob, "delivered to the mail server").await;
    assert!(
        html.contains("level is mentions only and this did not mention you"),
        "{html}"
    );
    assert!(
        html.contains("held until"),
        "the mention's e-mail waited: {html}"
    );
    assert!(html.contains("delivered to the mail server"));
    assert!(html.contains(">sent<"));
}

#[tokio::test]
async fn a_message_read_on_another_device_before_the_digest_is_left_out() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = mail_app(port, 3).await;
    app.with_room().await;
    let bob_laptop = opt_in(&app, "bob").await;
    let alice = app.login("alice").await;
    away().await;

    let read_first = send(&alice, "read on the laptop").await;
    // Reading is not a visit: no presence, only the cursor.
    let (status, _) = bob_laptop
        .api("general/api/read/", &[("last", &read_first.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK);
    send(&alice, "still unread").await;

    let mails = sink.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("still unread"), "{}", mails[0]);
    assert!(!mails[0].contains("read on the laptop"));
}

#[tokio::test]
async fn a_digest_with_everything_read_elsewhere_is_not_sent_and_the_page_says_why() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = mail_app(port, 2).await;
    app.with_room().await;
    let bob = opt_in(&app, "bob").await;
    let alice = app.login("alice").await;
    away().await;

    let id = send(&alice, "you will read this elsewhere").await;
    bob.api("general/api/read/", &[("last", &id.to_string())])
        .await;
    assert_eq!(
        outbox_settles(&app, vec![("cancelled".to_owned(), 1)]).await,
        vec![("cancelled".to_owned(), 1)]
    );
    assert!(sink.messages().is_empty());
    let html = notifications_showing(&bob, "already read on another device").await;
    assert!(html.contains("already read on another device"), "{html}");
    assert!(html.contains("held until"));
}
