//! Password reset by e-mail through a real SMTP server (aiosmtpd): the
//! link works once, ends the account's other sessions, and the request
//! answers the same, in the same time, whether or not the account exists.
//! Hostile links (tampered, reused, expired, revoked) change nothing.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::mail::{SmtpSink, addressed_to, mail_app, smtp_available};
use crate::support::{Browser, PASSWORD, TestApp, csrf_in};

const INVALID: &str = conversate::service::reset::INVALID;
const NEW_PASSWORD: &str = "a brand new passphrase";

/// Asks for a reset in a fresh browser; answers the raw answer.
async fn ask(app: &TestApp, entered: &str) -> reqwest::Response {
    let mut b = app.browser();
    let (status, _) = b.text("password/forgot/").await;
    assert_eq!(status, StatusCode::OK);
    // The login page always has a form (this one has none without mail).
    let (_, html) = b.text("login/").await;
    b.csrf = csrf_in(&html).expect("a token");
    b.post_form("password/forgot/", &[("name", entered)]).await
}

/// The reset link's path (after the site's address) in a mail.
fn link_in(mail: &str) -> String {
    let start = mail.find("/password/reset/").expect("a reset link");
    let token: String = mail[start + "/password/reset/".len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(token.len(), 64, "a whole token");
    format!("password/reset/{token}/")
}

/// Fills in the reset form at `path` in browser `b`.
async fn choose(b: &mut Browser, path: &str, password: &str) -> reqwest::Response {
    let (_, html) = b.text(path).await;
    if let Some(token) = csrf_in(&html) {
        b.csrf = token;
    } else {
        let (_, login) = b.text("login/").await;
        b.csrf = csrf_in(&login).expect("token");
    }
    b.post_form(path, &[("password", password), ("password2", password)])
        .await
}

async fn hash_of(app: &TestApp, name: &str) -> String {
    app.store
        .accounts()
        .user_by_name(name)
        .await
        .expect("user")
        .password_hash
}

/// Waits until the mail worker has handled every queued account e-mail.
async fn queue_drained(app: &TestApp) {
    let start = Instant::now();
    loop {
        let far = conversate::domain::now() + 100_000;
        let left = app
            .store
            .account_mail()
            .due_account_mail(far, 100)
            .await
            .expect("queue");
        if left.is_empty() {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the queue drains"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_link_from_the_mail_sets_a_new_password_once_and_ends_other_sessions() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = mail_app(port, 0).await;
    app.with_room().await;
    let elsewhere = app.login("alice").await;
    let (_, login) = app.browser().text("login/").await;
    assert!(
        login.contains("password/forgot/"),
        "the login page links to it"
    );

    let r = ask(&app, "Alice@Example.com").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mails = sink.wait_for(1, Duration::from_secs(15)).await;
    assert_eq!(mails.len(), 1);
    assert!(addressed_to(&mails[0], "alice@example.com"));
    assert!(mails[0].contains("Choose a new password"));
    let path = link_in(&mails[0]);
    assert!(mails[0].contains(&format!("http://chat.example.com/{path}")));

    let before = hash_of(&app, "alice").await;
    let mut b = app.browser();
    let (status, html) = b.text(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("alice"), "names the account");
    // A common password is refused, and the link still works after.
    let r = choose(&mut b, &path, "qwertyuiop").await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .expect("body")
            .contains(conversate::service::password::TOO_COMMON)
    );
    assert_eq!(hash_of(&app, "alice").await, before);

    let r = choose(&mut b, &path, NEW_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "saved, and logged in");
    let (status, _) = b.text("general/").await;
    assert_eq!(status, StatusCode::OK, "this browser is alice now");
    let r = elsewhere.get("general/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the other session ended");
    let mut old = app.browser();
    assert_eq!(
        old.login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "the old password is gone"
    );
    let mut new = app.browser();
    assert_eq!(
        new.login("alice", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    // Used once: never again.
    let after = hash_of(&app, "alice").await;
    let mut c = app.browser();
    let r = choose(&mut c, &path, "yet another passphrase").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.expect("body").contains(INVALID));
    assert_eq!(hash_of(&app, "alice").await, after);

    app.create_user("root", true).await;
    let root = app.login("root").await;
    let (_, audit) = root.text("admin/audit/").await;
    assert!(audit.contains("reset.send") && audit.contains("user.password_reset"));
    let (_, links) = root.text("admin/invitations/").await;
    assert!(links.contains("used up"), "the link is listed as used");
}

#[tokio::test]
async fn an_unknown_name_or_address_is_answered_exactly_as_a_known_one() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = TestApp::start_with(move |c| {
        c.smtp_url = Some(conversate::config::Secret(format!(
            "smtp://127.0.0.1:{port}"
        )));
        c.email_from = "chat@example.com".to_owned();
        c.public_url = Some("http://chat.example.com".to_owned());
        c.limits.resets_per_hour = 10_000;
    })
    .await;
    app.with_room().await;

    // Status, address and body: the same.
    let mut answers = Vec::new();
    for entered in ["alice", "alice@example.com", "nobody", "nobody@example.com"] {
        let r = ask(&app, entered).await;
        let status = r.status();
        let location = r.headers().get("location").cloned();
        let body = r.text().await.expect("body");
        answers.push((status, location, body));
    }
    assert!(answers.windows(2).all(|w| w[0] == w[1]), "{answers:?}");
    assert_eq!(answers[0].0, StatusCode::SEE_OTHER);

    // Time: the same work either way, so the two spreads overlap. Asked
    // in turns, so a change in the machine's load hits both alike.
    let b = {
        let mut b = app.browser();
        let (_, html) = b.text("password/forgot/").await;
        b.csrf = csrf_in(&html).expect("token");
        b
    };
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..21 {
        for (entered, times) in [("bob", &mut known), ("nobody-at-all", &mut unknown)] {
            let start = Instant::now();
            let r = b.post_form("password/forgot/", &[("name", entered)]).await;
            times.push(start.elapsed());
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "try {i}");
        }
    }
    known.sort();
    unknown.sort();
    let median = |v: &[Duration]| v[v.len() / 2];
    eprintln!(
        "reset request: known median {:?} (range {:?}..{:?}), unknown median {:?} (range {:?}..{:?})",
        median(&known),
        known[0],
        known[20],
        median(&unknown),
        unknown[0],
        unknown[20]
    );
    assert!(
        median(&known) >= unknown[0] && median(&known) <= unknown[20],
        "the known median lies among the unknown times"
    );
    assert!(
        median(&unknown) >= known[0] && median(&unknown) <= known[20],
        "the unknown median lies among the known times"
    );

    // Only the accounts that exist got mail.
    queue_drained(&app).await;
    let mails = sink.messages();
    assert!(!mails.is_empty());
    assert!(
        mails
            .iter()
            .all(|m| addressed_to(m, "alice@example.com") || addressed_to(m, "bob@example.com"))
    );
}

#[tokio::test]
async fn tampered_expired_and_revoked_links_are_refused_and_change_nothing() {
    let app = TestApp::start().await;
    app.create_user("root", true).await;
    app.with_room().await;
    let alice = app.user_id("alice").await;
    let before = hash_of(&app, "alice").await;

    // A link issued as the mail worker would, then tampered with.
    let (token, _) = conversate::service::reset::issue(&app.store, alice, 3_600)
        .await
        .expect("issued");
    let flipped = format!(
        "{}{}",
        &token[..63],
        if token.ends_with('0') { '1' } else { '0' }
    );
    for bad in [
        flipped.as_str(),
        &token[..40],
        "..%2Fadmin",
        &token.to_uppercase(),
    ] {
        let mut b = app.browser();
        let r = choose(&mut b, &format!("password/reset/{bad}/"), NEW_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
        assert!(r.text().await.expect("body").contains(INVALID));
    }

    // Revoked by an administrator.
    let root = app.login("root").await;
    let id = app.store.links().reset_links(1).await.expect("list")[0].id;
    let r = root
        .post_form(&format!("admin/resets/{id}/revoke/"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut b = app.browser();
    let r = choose(&mut b, &format!("password/reset/{token}/"), NEW_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "revoked");
    let (_, audit) = root.text("admin/audit/").await;
    assert!(audit.contains("reset.revoke"));

    // Expired: issued with a lifetime already over.
    let (expired, _) = conversate::service::reset::issue(&app.store, alice, -1)
        .await
        .expect("issued");
    let r = choose(&mut b, &format!("password/reset/{expired}/"), NEW_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "expired");

    // For an account deactivated since.
    let (fresh, _) = conversate::service::reset::issue(&app.store, alice, 3_600)
        .await
        .expect("issued");
    let r = root.post_form("admin/users/alice/deactivate/", &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = choose(&mut b, &format!("password/reset/{fresh}/"), NEW_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "inactive account");

    assert_eq!(
        hash_of(&app, "alice").await,
        before,
        "the password never changed"
    );
}

#[tokio::test]
async fn requests_are_throttled_per_name_and_mails_per_account() {
    if !smtp_available() {
        return;
    }
    let (sink, port) = SmtpSink::start_any();
    let app = TestApp::start_with(move |c| {
        c.smtp_url = Some(conversate::config::Secret(format!(
            "smtp://127.0.0.1:{port}"
        )));
        c.email_from = "chat@example.com".to_owned();
        c.limits.resets_per_hour = 2;
    })
    .await;
    app.with_room().await;

    // Per name entered: the third is refused, known or not, alike.
    for entered in ["alice", "nobody"] {
        for _ in 0..2 {
            assert_eq!(ask(&app, entered).await.status(), StatusCode::SEE_OTHER);
        }
        let r = ask(&app, entered).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{entered}");
        assert!(r.headers().contains_key("retry-after"));
        assert!(r.text().await.expect("body").contains("Too many requests"));
    }
    // Per account, whatever names it: two more requests through other
    // spellings are queued, but alice gets no more than two e-mails.
    for entered in ["alice@example.com", "ALICE@EXAMPLE.COM "] {
        assert_eq!(ask(&app, entered).await.status(), StatusCode::SEE_OTHER);
    }
    queue_drained(&app).await;
    let to_alice = sink
        .messages()
        .iter()
        .filter(|m| addressed_to(m, "alice@example.com"))
        .count();
    assert_eq!(to_alice, 2);
}

#[tokio::test]
async fn without_a_mail_server_the_page_says_to_ask_an_administrator() {
    let app = TestApp::start().await;
    app.with_room().await;
    let (status, html) = app.browser().text("password/forgot/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("cannot send e-mail"));
    let r = ask(&app, "alice").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let far = conversate::domain::now() + 100_000;
    assert!(
        app.store
            .account_mail()
            .due_account_mail(far, 10)
            .await
            .expect("queue")
            .is_empty(),
        "nothing was queued"
    );
}
