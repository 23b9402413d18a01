//! Which account a single sign-on finds (`OIDC_MATCH_CLAIM`), against the
//! real OpenID provider of `sso.rs`: by a verified e-mail address, or by
//! the provider's subject alone, which never takes over an account made
//! otherwise. The provider's `name` becomes a new account's display name.

use reqwest::StatusCode;

use crate::sso::{Provider, at_provider, location, logged_in_as};
use conversate::config::MatchClaim;

#[tokio::test]
async fn by_email_a_verified_address_finds_the_account_whatever_its_username() {
    let Some(p) = Provider::start() else { return };
    let app = p
        .app(|c| {
            if let Some(o) = c.sign_in.oidc.as_mut() {
                o.match_claim = MatchClaim::Email;
            }
        })
        .await;
    // Bob's account here is "robert", with the address the provider
    // vouches for.
    let robert = app.create_user("robert", false).await;
    app.store
        .accounts()
        .update_user(robert.id, Some("Bob@Example.org"), false, true)
        .await
        .expect("address");
    let b = app.browser();
    let callback = at_provider(&p, &b, "bob").await;
    let r = b.client.get(&callback).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(logged_in_as(&b).await.as_deref(), Some("robert"));
    assert!(
        app.store.accounts().user_by_name("bob").await.is_err(),
        "no second account"
    );

    // Eve's provider gives carol's address, but does not vouch for it: it
    // finds nothing, and her own account is made.
    let carol = app.create_user("carol", false).await;
    assert_eq!(carol.email.as_deref(), Some("carol@example.com"));
    let e = app.browser();
    let callback = at_provider(&p, &e, "eve").await;
    let r = e.client.get(&callback).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(logged_in_as(&e).await.as_deref(), Some("eve"));
    let eve = app.store.accounts().user_by_name("eve").await.expect("eve");
    assert_ne!(eve.id, carol.id);
    assert_eq!(eve.email, None, "an unverified address is not kept");
}

#[tokio::test]
async fn by_subject_no_account_made_otherwise_is_taken_over() {
    let Some(p) = Provider::start() else { return };
    let app = p
        .app(|c| {
            if let Some(o) = c.sign_in.oidc.as_mut() {
                o.match_claim = MatchClaim::Sub;
            }
        })
        .await;
    let bob = app.create_user("bob", false).await;
    let hash_before = app
        .store
        .accounts()
        .user_by_name("bob")
        .await
        .expect("bob")
        .password_hash;
    let b = app.browser();
    let callback = at_provider(&p, &b, "bob").await;
    let r = b.client.get(&callback).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().await.expect("body");
    assert!(
        page.contains("The username &#x27;bob&#x27; is already taken."),
        "{page}"
    );
    assert_eq!(logged_in_as(&b).await, None, "not signed in");
    let after = app.store.accounts().user_by_name("bob").await.expect("bob");
    assert_eq!((after.id, after.password_hash), (bob.id, hash_before));

    // A new subject makes its account, named as the provider names it;
    // signing in again finds it by the subject.
    let d = app.browser();
    let callback = at_provider(&p, &d, "alice").await;
    let r = d.client.get(&callback).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/general/");
    let alice = app
        .store
        .accounts()
        .user_by_name("alice")
        .await
        .expect("alice");
    assert_eq!(alice.display_name.as_deref(), Some("Alice Liddell"));
    let again = app.browser();
    let callback = at_provider(&p, &again, "alice").await;
    let r = again.client.get(&callback).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(logged_in_as(&again).await.as_deref(), Some("alice"));
    assert_eq!(app.user_id("alice").await, alice.id);
}
