//! The guarded outbound client against real local HTTP servers: what it
//! refuses (loopback by address, by name, behind a redirect), and the
//! limits it keeps (redirects, size, time).

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::response::Redirect;
use axum::routing::get;
use conversate::config::Network;
use conversate::outbound::{Limits, Outbound, OutboundError, Request};

/// Serves `router` on 127.0.0.1 and returns its address.
async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

fn client(allow: &str) -> Outbound {
    Outbound::new(Network::parse_list(allow).expect("networks"), "test").expect("client")
}

/// A page, a large page, a page that never comes, a redirect loop and a
/// redirect to `redirect_to`.
fn target(redirect_to: &str) -> Router {
    let redirect_to = redirect_to.to_owned();
    Router::new()
        .route("/", get(|| async { "hello" }))
        .route("/big", get(|| async { vec![b'x'; 300_000] }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .route(
            "/away",
            get(move || {
                let to = redirect_to.clone();
                async move { Redirect::temporary(&to) }
            }),
        )
}

#[tokio::test]
async fn loopback_is_refused_by_address_and_by_name() {
    let addr = serve(target("/")).await;
    let out = client("");
    for url in [
        format!("http://127.0.0.1:{}/", addr.port()),
        format!("http://[::ffff:127.0.0.1]:{}/", addr.port()),
        format!("http://2130706433:{}/", addr.port()),
    ] {
        let err = out.send(Request::get(&url)).await.expect_err(&url);
        assert!(matches!(err, OutboundError::Refused(_)), "{url}: {err:?}");
    }
    // `localhost` is a name: the resolver refuses what it resolves to.
    let url = format!("http://localhost:{}/", addr.port());
    let err = out.send(Request::get(&url)).await.expect_err("localhost");
    assert!(
        matches!(err, OutboundError::Refused(ref what) if what.contains("localhost")),
        "{err:?}"
    );
    assert!(err.to_string().contains("not a public address"), "{err}");
}

#[tokio::test]
async fn an_allowed_network_is_reached_and_others_stay_refused() {
    let addr = serve(target("/")).await;
    let out = client("127.0.0.1");
    let answer = out
        .send(Request::get(&format!("http://127.0.0.1:{}/", addr.port())))
        .await
        .expect("allowed");
    assert_eq!(answer.status, 200);
    assert_eq!(&answer.body[..], b"hello");
    // `localhost` also resolves to ::1 here, which is not allowed: a name
    // with any refused address is refused whole.
    if tokio::net::lookup_host(("localhost", 0))
        .await
        .expect("lookup")
        .any(|a| a.is_ipv6())
    {
        let err = out
            .send(Request::get(&format!("http://localhost:{}/", addr.port())))
            .await
            .expect_err("::1 is not allowed");
        assert!(matches!(err, OutboundError::Refused(_)), "{err:?}");
    }
}

#[tokio::test]
async fn a_redirect_to_a_refused_address_is_not_followed() {
    for to in [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://127.0.0.2/",
    ] {
        let addr = serve(target(to)).await;
        let err = client("127.0.0.1")
            .send(Request::get(&format!(
                "http://127.0.0.1:{}/away",
                addr.port()
            )))
            .await
            .expect_err(to);
        assert!(
            matches!(err, OutboundError::Refused(_) | OutboundError::BadUrl(_)),
            "{to}: {err:?}"
        );
    }
}

#[tokio::test]
async fn a_redirect_to_another_scheme_is_answered_not_followed() {
    let addr = serve(target("file:///etc/passwd")).await;
    let url = format!("http://127.0.0.1:{}/away", addr.port());
    let answer = client("127.0.0.1")
        .send(Request::get(&url))
        .await
        .expect("the redirect itself is the answer");
    assert_eq!(answer.status, 307);
    assert_eq!(answer.url, url);
    assert!(answer.body.is_empty());
}

#[tokio::test]
async fn redirects_size_and_time_are_limited() {
    let addr = serve(target("/")).await;
    let out = client("127.0.0.1");
    let base = format!("http://127.0.0.1:{}", addr.port());

    let err = out
        .send(Request::get(&format!("{base}/loop")))
        .await
        .expect_err("loop");
    assert!(matches!(err, OutboundError::TooManyRedirects), "{err:?}");

    // A redirect within the allowed network is followed.
    let answer = out
        .send(Request::get(&format!("{base}/away")))
        .await
        .expect("followed");
    assert_eq!(&answer.body[..], b"hello");
    assert_eq!(answer.url, format!("{base}/"));

    let mut big = Request::get(&format!("{base}/big"));
    big.limits = Limits {
        max_bytes: 100_000,
        ..Limits::default()
    };
    let err = out.send(big).await.expect_err("too large");
    assert!(matches!(err, OutboundError::TooLarge(100_000)), "{err:?}");

    let mut slow = Request::get(&format!("{base}/slow"));
    slow.limits.timeout = Duration::from_millis(300);
    let err = out.send(slow).await.expect_err("slow");
    assert!(matches!(err, OutboundError::Timeout), "{err:?}");
}
