//! Invitations e-mailed through a real SMTP server (aiosmtpd): the link
//! exists only in the e-mail (the administrator never sees it, the queue
//! never holds it), it works like any invitation, and one withdrawn before
//! the mail goes out is not sent.

use std::time::Duration;

use reqwest::StatusCode;

use crate::mail::{SmtpSink, addressed_to, mail_app, smtp_available};
use crate::support::{TestApp, csrf_in};

/// The invitation link's path (after the site's address) in a mail.
fn link_in(mail: &str) -> String {
    let start = mail.find("/invite/").expect("an invitation link");
    let token: String = mail[start + "/invite/".len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "a whole token");
    format!("invite/{token}/")
}

async fn make(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.create_user("root", true).await;
    let root = app.login("root").await;
    root.post_form("admin/invitations/", fields).await
}

#[tokio::test]
async fn an_emailed_invitation_carries_the_only_working_link() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = mail_app(port, 0).await;
    app.with_room().await;
    let r = make(
        &app,
        &[
            ("rooms", "general"),
            ("uses", "1"),
            ("expires", "2d"),
            ("email", "newcomer@example.org"),
            ("send", "on"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(to.ends_with("?done=invitation-mailed"), "{to}");

    let mails = sink.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(mails.len(), 1);
    assert!(addressed_to(&mails[0], "newcomer@example.org"));
    assert!(mails[0].contains("Join the chat"), "{}", mails[0]);
    assert!(mails[0].contains("You will join: general."), "{}", mails[0]);
    let path = link_in(&mails[0]);
    assert!(mails[0].contains(&format!("http://chat.example.com/{path}")));

    let mut b = app.browser();
    let (status, html) = b.text(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("newcomer@example.org"),
        "bound to the address"
    );
    b.csrf = csrf_in(&html).expect("token");
    let r = b
        .post_form(
            &path,
            &[
                ("username", "newcomer"),
                ("password", "a long enough secret"),
                ("password2", "a long enough secret"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = b.text("general/").await;
    assert_eq!(status, StatusCode::OK, "a member of the invitation's room");

    let root = app.login("root").await;
    let (_, audit) = root.text("admin/audit/").await;
    assert!(audit.contains("invitation.send"), "{audit}");
    assert!(audit.contains("e-mailed"), "{audit}");
}

#[tokio::test]
async fn a_withdrawn_invitation_is_not_sent_and_sending_needs_an_address() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = mail_app(port, 0).await;
    app.with_room().await;
    // Without an address there is nobody to send it to.
    let r = make(&app, &[("rooms", "general"), ("send", "on")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains("An invitation can only be e-mailed when it is for one address.")
    );
    assert!(
        app.store
            .links()
            .invitations(10)
            .await
            .expect("list")
            .is_empty(),
        "nothing was made"
    );

    // From the command line: the link is not printed, only mailed.
    let (ok, _, err) = app.cli(&["invite", "create", "--send"], "").await;
    assert!(!ok, "--send needs --email");
    assert!(err.contains("--email"), "{err}");
    let (ok, out, err) = app
        .cli(
            &[
                "invite",
                "create",
                "--room",
                "general",
                "--email",
                "cli@example.org",
                "--send",
            ],
            "",
        )
        .await;
    assert!(ok, "{err}");
    assert_eq!(
        out.trim(),
        "The invitation will be e-mailed to cli@example.org."
    );
    let mails = sink.wait_for(1, Duration::from_secs(15)).await;
    assert!(addressed_to(&mails[0], "cli@example.org"));

    // Withdrawn before its e-mail goes out: the e-mail is cancelled.
    let (ok, out, err) = app
        .cli(
            &[
                "invite",
                "create",
                "--room",
                "general",
                "--email",
                "late@example.org",
            ],
            "",
        )
        .await;
    assert!(ok, "{err}");
    let printed = out.trim().to_owned();
    let newest = app.store.links().invitations(1).await.expect("list")[0].clone();
    app.store
        .links()
        .revoke_invitation(newest.id, conversate::domain::now())
        .await
        .expect("revoked");
    app.store
        .account_mail()
        .queue_account_mail(
            conversate::service::invitations::MAIL_KIND,
            &newest.id.to_string(),
            conversate::domain::now(),
        )
        .await
        .expect("queued");
    let start = std::time::Instant::now();
    while !app
        .store
        .account_mail()
        .due_account_mail(conversate::domain::now() + 100_000, 10)
        .await
        .expect("queue")
        .is_empty()
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the queue drains"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        sink.messages().len(),
        1,
        "nothing sent for the withdrawn one"
    );
    let path = printed
        .split_once("/invite/")
        .map(|(_, token)| format!("invite/{token}"))
        .expect("the printed link");
    let (status, _) = app.browser().text(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
