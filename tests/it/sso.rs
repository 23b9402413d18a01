//! Single sign-on against a real OpenID provider: the certified
//! `oidc-provider` package, run by `e2e/oidc-provider.mjs` as its own
//! process (users alice, bob, dave; client `conversate`). The hostile
//! cases: a wrong `state`, a replayed answer and a replayed code, a wrong
//! `nonce` (a token correctly signed by the provider's key), an unsigned
//! (`alg: none`) token.
//!
//! Needs Node and `npm ci` in `e2e/`; skipped loudly without them, except
//! that `CONVERSATE_REQUIRE_OIDC` (set by `.ci/run`) makes them fail.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;

use crate::support::{Browser, TestApp, csrf_in};

/// The provider process, ended with this value.
pub(crate) struct Provider {
    child: Child,
    issuer: String,
    http: reqwest::Client,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts the provider, or `None` (loudly) when Node or the package is
    /// missing and the run does not require them.
    pub(crate) fn start() -> Option<Self> {
        let e2e = concat!(env!("CARGO_MANIFEST_DIR"), "/e2e");
        let installed = std::path::Path::new(e2e)
            .join("node_modules/oidc-provider")
            .exists();
        let node = Command::new("node").arg("--version").output().is_ok();
        if !installed || !node {
            assert!(
                std::env::var_os("CONVERSATE_REQUIRE_OIDC").is_none(),
                "CONVERSATE_REQUIRE_OIDC is set but Node or e2e/node_modules (npm ci) is missing"
            );
            eprintln!(
                "\n*** SKIPPING a single sign-on test: run `npm ci` in e2e/ (needs Node). ***\n"
            );
            return None;
        }
        let mut child = Command::new("node")
            .arg(format!("{e2e}/oidc-provider.mjs"))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs");
        let stdout = child.stdout.take().expect("stdout");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .expect("the provider prints its issuer");
        // Keep reading, so the provider never writes into a closed pipe.
        std::thread::spawn(move || for _ in reader.lines() {});
        let issuer = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| v["issuer"].as_str().map(str::to_owned))
            .unwrap_or_else(|| panic!("the provider's first line names its issuer: {line:?}"));
        Some(Self {
            child,
            issuer,
            http: reqwest::Client::new(),
        })
    }

    async fn control(&self, path: &str, body: serde_json::Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.issuer))
            .json(&body)
            .send()
            .await
            .expect("the provider answers");
        assert_eq!(r.status(), StatusCode::OK);
    }

    /// A chat server signing in with this provider (and the provider told
    /// the server's callback address).
    pub(crate) async fn app(&self, tweak: impl FnOnce(&mut conversate::Config)) -> TestApp {
        let issuer = self.issuer.clone();
        let app = TestApp::start_with(move |c| {
            c.sign_in.oidc = Some(conversate::config::Oidc {
                issuer,
                client_id: "conversate".to_owned(),
                client_secret: Some(conversate::config::Token("conversate-secret".to_owned())),
                match_claim: conversate::config::MatchClaim::PreferredUsername,
                auto_join: vec!["general".to_owned()],
                sso_only: false,
                label: "Sign in with the test provider".to_owned(),
            });
            // The provider listens on the loopback; the outbound client
            // reaches it only when told to.
            c.outbound_allow_networks =
                conversate::config::Network::parse_list("127.0.0.0/8").expect("networks");
            tweak(c);
        })
        .await;
        // The server's own address is its callback's.
        let base = app.base.clone();
        self.control(
            "/test/setup",
            serde_json::json!({ "redirect_uris": [format!("{base}login/oidc/callback/")] }),
        )
        .await;
        app.create_room("general", "General").await;
        app
    }
}

pub(crate) fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .unwrap_or_else(|| panic!("a redirect, got {}", r.status()))
        .to_str()
        .expect("ascii")
        .to_owned()
}

/// Goes through the provider as `login`: answers the callback address the
/// provider sends the browser back to (not yet visited).
pub(crate) async fn at_provider(p: &Provider, b: &Browser, login: &str) -> String {
    let r = b.get("login/oidc/?next=/general/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the sign-in begins");
    let authorize = location(&r);
    assert!(authorize.starts_with(&p.issuer), "{authorize}");
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "PKCE: {authorize}"
    );
    let r = b.client.get(&authorize).send().await.expect("authorize");
    let interaction = format!("{}{}", p.issuer, location(&r));
    let r = b
        .client
        .post(format!("{interaction}/login"))
        .form(&[("login", login)])
        .send()
        .await
        .expect("provider login");
    let resume = location(&r);
    let r = b.client.get(&resume).send().await.expect("resume");
    let callback = location(&r);
    assert!(
        callback.starts_with(&b.base),
        "back to the chat: {callback}"
    );
    callback
}

fn param(url: &str, name: &str) -> String {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .expect("query")
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_default()
}

pub(crate) async fn logged_in_as(b: &Browser) -> Option<String> {
    let (status, html) = b.text("").await;
    if status != StatusCode::OK {
        return None;
    }
    let marker = "cv-whoami\">";
    let start = html.find(marker)? + marker.len();
    Some(html[start..start + html[start..].find('<')?].to_owned())
}

#[tokio::test]
async fn signing_in_through_the_provider_makes_and_logs_in_the_account() {
    let Some(p) = Provider::start() else { return };
    let app = p.app(|_| {}).await;
    let (_, html) = app.browser().text("login/").await;
    assert!(html.contains("Sign in with the test provider"), "{html}");

    let b = app.browser();
    let callback = at_provider(&p, &b, "alice").await;
    let r = b.client.get(&callback).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/general/");
    assert_eq!(logged_in_as(&b).await.as_deref(), Some("alice"));
    // The account was made from the ID token's claims and joined the
    // auto-join room; it has no password.
    let alice = app
        .store
        .accounts()
        .user_by_name("alice")
        .await
        .expect("alice");
    assert_eq!(alice.email.as_deref(), Some("alice@example.org"));
    let (status, _) = b.text("general/").await;
    assert_eq!(status, StatusCode::OK, "a member of general");
    assert!(
        conversate::service::accounts::authenticate(&app.store, "alice", "")
            .await
            .expect("authenticate")
            .is_none()
    );

    // A second sign-in, in another browser, is the same account.
    let again = app.browser();
    let callback = at_provider(&p, &again, "alice").await;
    let r = again.client.get(&callback).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store
            .accounts()
            .user_by_name("alice")
            .await
            .expect("alice")
            .id,
        alice.id
    );
}

#[tokio::test]
async fn an_existing_account_is_matched_by_username() {
    let Some(p) = Provider::start() else { return };
    let app = p.app(|_| {}).await;
    let bob = app.create_user("bob", false).await;
    let b = app.browser();
    let callback = at_provider(&p, &b, "bob").await;
    let r = b.client.get(&callback).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(logged_in_as(&b).await.as_deref(), Some("bob"));
    assert_eq!(app.user_id("bob").await, bob.id);
    // Auto-join is for accounts made by sign-in only.
    assert_eq!(b.text("general/").await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_wrong_state_is_refused() {
    let Some(p) = Provider::start() else { return };
    let app = p.app(|_| {}).await;
    let b = app.browser();
    let callback = at_provider(&p, &b, "alice").await;
    let state = param(&callback, "state");
    let forged = callback.replace(&format!("state={state}"), "state=forged");
    let r = b.client.get(&forged).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let text = r.text().await.expect("body");
    assert!(
        text.contains("does not match a sign-in started here"),
        "{text}"
    );
    assert_eq!(logged_in_as(&b).await, None);
    assert!(app.store.accounts().user_by_name("alice").await.is_err());
    // The right answer is no good either now: the sign-in was used up.
    let r = b.client.get(&callback).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_replayed_answer_and_a_replayed_code_are_refused() {
    let Some(p) = Provider::start() else { return };
    let app = p.app(|_| {}).await;
    let b = app.browser();
    let callback = at_provider(&p, &b, "alice").await;
    let r = b.client.get(&callback).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The same answer again, in a browser that saw it (an attacker who
    // copied the address into a fresh browser has no sign-in at all).
    let thief = app.browser();
    let r = thief.client.get(&callback).send().await.expect("replay");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(logged_in_as(&thief).await, None);

    // The used code with a fresh, valid state: the provider refuses it.
    let r = thief.get("login/oidc/?next=/").await;
    let fresh_state = param(&location(&r), "state");
    let code = param(&callback, "code");
    let r = thief
        .client
        .get(thief.url(&format!(
            "login/oidc/callback/?code={code}&state={fresh_state}"
        )))
        .send()
        .await
        .expect("replayed code");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(logged_in_as(&thief).await, None);
}

#[tokio::test]
async fn a_token_with_a_wrong_nonce_is_refused() {
    let Some(p) = Provider::start() else { return };
    let app = p.app(|_| {}).await;
    p.control("/test/tamper", serde_json::json!({ "mode": "nonce" }))
        .await;
    let b = app.browser();
    let callback = at_provider(&p, &b, "dave").await;
    let r = b.client.get(&callback).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(logged_in_as(&b).await, None);
    assert!(app.store.accounts().user_by_name("dave").await.is_err());
}

#[tokio::test]
async fn an_unsigned_token_is_refused() {
    let Some(p) = Provider::start() else { return };
    let app = p.app(|_| {}).await;
    p.control("/test/tamper", serde_json::json!({ "mode": "none" }))
        .await;
    let b = app.browser();
    let callback = at_provider(&p, &b, "dave").await;
    let r = b.client.get(&callback).send().await.expect("callback");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(logged_in_as(&b).await, None);
    assert!(app.store.accounts().user_by_name("dave").await.is_err());
}

#[tokio::test]
async fn sso_only_offers_and_accepts_nothing_else() {
    let Some(p) = Provider::start() else { return };
    let app = p
        .app(|c| {
            if let Some(o) = c.sign_in.oidc.as_mut() {
                o.sso_only = true;
            }
        })
        .await;
    app.create_user("carol", false).await;
    let mut b = app.browser();
    let (_, html) = b.text("login/").await;
    assert!(html.contains("Sign in with the test provider"), "{html}");
    assert!(!html.contains("type=\"password\""), "{html}");
    // Signed in through the provider, the browser has a valid CSRF token:
    // a password login with it is refused by the rule, not by the token.
    let callback = at_provider(&p, &b, "alice").await;
    b.client.get(&callback).send().await.expect("callback");
    let (_, html) = b.text("").await;
    b.csrf = csrf_in(&html).expect("a token");
    let r = b
        .post_form(
            "login/",
            &[
                ("username", "carol"),
                ("password", crate::support::PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let text = r.text().await.expect("body");
    assert!(text.contains("turned off"), "{text}");
    assert_eq!(logged_in_as(&b).await.as_deref(), Some("alice"));
}
