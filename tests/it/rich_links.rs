//! Link previews: a local page allowed by `OUTBOUND_ALLOW_NETWORKS` is
//! previewed live after its message, its image re-encoded and served from
//! our origin; every private address, a name resolving to one and a
//! redirect to one are refused, and the target never hears a request.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use conversate::config::Network;
use conversate::outbound::Outbound;
use conversate::service::link_preview::LinkFetcher;
use reqwest::StatusCode;

use crate::rich::wait_for_change;
use crate::support::TestApp;

/// Serves `router` on `ip` (port chosen by the system).
async fn serve(ip: &str, router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind(format!("{ip}:0"))
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr
}

/// A server that counts every request it gets: the target an attack
/// would reach.
async fn victim(ip: &str) -> (SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let router = Router::new().fallback(move || {
        counted.fetch_add(1, Ordering::SeqCst);
        async { "<html><head><title>internal secrets</title></head></html>" }
    });
    (serve(ip, router).await, hits)
}

fn card_png() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_fn(300, 200, |x, y| image::Rgb([x as u8, y as u8, 7]))
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

/// A web site on 127.0.0.1: `/page` (OpenGraph tags and an image),
/// `/card.png` (counted), `/go?to=URL` (a redirect there).
async fn site() -> (SocketAddr, Arc<AtomicUsize>) {
    let image_hits = Arc::new(AtomicUsize::new(0));
    let counted = image_hits.clone();
    let router = Router::new()
        .route(
            "/page",
            get(|| async {
                (
                    [("content-type", "text/html; charset=utf-8")],
                    "<!doctype html><html><head><title>fallback</title>\
                     <meta property=\"og:title\" content=\"Harbour &amp; Lights <script>\">\
                     <meta property=\"og:description\" content=\"Everything about \
                     &quot;lights&quot; <img src=x onerror=alert(1)>\">\
                     <meta property=\"og:image\" content=\"/card.png\">\
                     </head><body>hi</body></html>",
                )
            }),
        )
        .route(
            "/card.png",
            get(move || {
                counted.fetch_add(1, Ordering::SeqCst);
                async { ([("content-type", "image/png")], card_png()).into_response() }
            }),
        )
        .route(
            "/go",
            get(
                |Query(q): Query<std::collections::HashMap<String, String>>| async move {
                    Redirect::temporary(q.get("to").map_or("/", String::as_str))
                },
            ),
        );
    (serve("127.0.0.1", router).await, image_hits)
}

fn fetcher(allow: &str) -> LinkFetcher {
    let rich = conversate::config::RichSettings::default();
    LinkFetcher {
        outbound: Outbound::new(Network::parse_list(allow).expect("networks"), "test")
            .expect("client"),
        page_bytes: rich.link_page_bytes,
        image_bytes: rich.link_image_bytes,
    }
}

#[tokio::test]
async fn previews_refuse_private_loopback_link_local_and_mapped_addresses_and_private_names() {
    // The victim listens on 127.0.0.1: a preview that got through would
    // reach it (as would the ones by name and by mapped address).
    let (v, hits) = victim("127.0.0.1").await;
    let port = v.port();
    let links = fetcher("");
    for url in [
        format!("http://127.0.0.1:{port}/"),
        "http://10.0.0.1/".to_owned(),
        "http://10.255.255.254:8080/".to_owned(),
        "http://172.16.0.1/".to_owned(),
        "http://172.31.255.254/".to_owned(),
        "http://192.168.0.1/".to_owned(),
        "http://192.168.255.254/".to_owned(),
        format!("http://[::1]:{port}/"),
        "http://[fd00::1]/".to_owned(),
        "http://[fdff:ffff::1]/".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        "http://[::ffff:10.0.0.1]/".to_owned(),
        format!("http://localhost:{port}/"),
        format!("https://localhost:{port}/"),
    ] {
        let err = links.fetch(&url).await.expect_err(&url);
        assert!(err.contains("not a public address"), "{url}: {err}");
    }
    for url in [
        "ftp://example.org/",
        "file:///etc/passwd",
        "gopher://127.0.0.1/",
    ] {
        assert!(links.fetch(url).await.is_err(), "{url}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the victim heard nothing");
}

#[tokio::test]
async fn a_redirect_to_any_private_address_is_refused() {
    // The site is allowed (127.0.0.1 only); the victim sits on 127.0.0.2,
    // which is not: only the redirect could lead there.
    let (s, _) = site().await;
    let (v, hits) = victim("127.0.0.2").await;
    let port = v.port();
    let links = fetcher("127.0.0.1/32");
    for target in [
        format!("http://127.0.0.2:{port}/"),
        format!("http://[::ffff:127.0.0.2]:{port}/"),
        format!("http://[::1]:{port}/"),
        "http://10.0.0.1/".to_owned(),
        "http://172.16.0.1/".to_owned(),
        "http://192.168.0.1/".to_owned(),
        "http://[fd00::1]/".to_owned(),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
    ] {
        let url = format!(
            "http://{s}/go?to={}",
            percent_encoding::utf8_percent_encode(&target, percent_encoding::NON_ALPHANUMERIC)
        );
        let err = links.fetch(&url).await.expect_err(&target);
        assert!(err.contains("not a public address"), "{target}: {err}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the victim heard nothing");
    // The allowed page itself works, directly and through its own redirect.
    for url in [
        format!("http://{s}/page"),
        format!("http://{s}/go?to=%2Fpage"),
    ] {
        let found = links.fetch(&url).await.expect(&url).expect("a preview");
        assert_eq!(found.preview.title, "Harbour & Lights <script>");
        assert!(found.image_bytes.is_some());
    }
}

#[tokio::test]
async fn a_link_preview_arrives_after_its_message_with_the_image_served_from_our_origin() {
    let (s, image_hits) = site().await;
    let (v, victim_hits) = victim("127.0.0.2").await;
    let app = TestApp::start_with(|c| {
        c.outbound_allow_networks = Network::parse_list("127.0.0.1/32").expect("networks");
    })
    .await;
    app.with_room().await;
    let alice = app.login("alice").await;
    let bob = app.login("bob").await;

    // First a link to a refused address, then one to the allowed page: the
    // links are previewed in order, so once the second has its preview the
    // first was tried, and refused.
    let (status, body) = alice
        .api(
            "general/api/send/",
            &[(
                "content",
                &format!("internal: http://127.0.0.2:{}/admin", v.port()),
            )],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let refused = body["messages"][0]["pk"].as_i64().expect("pk");
    let text = format!("the plan is on [the site](http://{s}/page), see you");
    let (status, body) = alice.api("general/api/send/", &[("content", &text)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let sent = body["messages"]
        .as_array()
        .expect("messages")
        .last()
        .expect("sent")
        .clone();
    let pk = sent["pk"].as_i64().expect("pk");
    // The send answers without waiting for the page.
    assert!(
        !sent["content"]
            .as_str()
            .expect("content")
            .contains("cv-link-preview")
    );

    // Bob hears of it as a change, on the long-poll.
    let m = wait_for_change(&bob, "general", pk, pk, |m| {
        m["content"]
            .as_str()
            .is_some_and(|c| c.contains("cv-link-preview"))
    })
    .await;
    let content = m["content"].as_str().expect("content");
    assert!(
        content.contains(&format!(
            "<div class=\"cv-link-preview\"><a href=\"http://{s}/page\" target=\"_blank\" \
             rel=\"noopener noreferrer nofollow\"><img class=\"cv-link-image\" \
             src=\"/general/m/{pk}/link-image/\" alt=\"\" width=\"120\" height=\"80\""
        )),
        "{content}"
    );
    assert!(
        content.contains(
            "<strong class=\"cv-link-title\">Harbour &amp; Lights &lt;script&gt;</strong>"
        ),
        "{content}"
    );
    assert!(
        content.contains("Everything about &quot;lights&quot; &lt;img src=x onerror=alert(1)&gt;"),
        "{content}"
    );
    crate::hostile::assert_inert(content, "link preview");

    // The image comes from our origin, re-encoded; the site was asked once.
    let r = bob.get(&format!("general/m/{pk}/link-image/")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
    let bytes = r.bytes().await.expect("bytes");
    assert_ne!(
        bytes.as_ref(),
        card_png().as_slice(),
        "re-encoded, not passed on"
    );
    let image = image::load_from_memory(&bytes).expect("an image");
    assert_eq!((image.width(), image.height()), (300, 200));
    assert_eq!(image_hits.load(Ordering::SeqCst), 1);
    let carol = app.login("carol").await;
    let r = carol.get(&format!("general/m/{pk}/link-image/")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // The refused link got nothing, and its target heard nothing.
    assert_eq!(victim_hits.load(Ordering::SeqCst), 0);
    let (_, page) = bob.text("general/").await;
    let refused_html = page
        .split(&format!("id=\"cv-m-{refused}\""))
        .nth(1)
        .and_then(|rest| rest.split("id=\"cv-m-").next())
        .expect("the refused link's message");
    assert!(!refused_html.contains("cv-link-preview"), "{refused_html}");
    // The page shows the preview too (no JavaScript needed).
    assert!(page.contains(&format!("src=\"/general/m/{pk}/link-image/\"")));

    // Deleting the message removes the preview's image from storage.
    let before = crate::storage::Storage::Local
        .stored(&app.config)
        .await
        .len();
    assert_eq!(before, 1, "the link's image is stored");
    let (status, _) = alice
        .api("general/api/delete/", &[("id", &pk.to_string())])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        crate::storage::Storage::Local
            .stored(&app.config)
            .await
            .is_empty()
    );
    let r = bob.get(&format!("general/m/{pk}/link-image/")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_page_and_image_limits_are_the_settings() {
    let (addr, image_hits) = site().await;
    let page = format!("http://{addr}/page");
    // The defaults read the page and its image.
    let found = fetcher("127.0.0.0/8")
        .fetch(&page)
        .await
        .expect("fetched")
        .expect("a preview");
    assert_eq!(found.preview.title, "Harbour & Lights <script>");
    assert!(found.image_bytes.is_some());
    assert_eq!(image_hits.load(Ordering::SeqCst), 1);

    // An image over LINK_PREVIEW_IMAGE_BYTES is left out; the preview stays.
    let mut small = fetcher("127.0.0.0/8");
    small.image_bytes = 1024;
    let found = small
        .fetch(&page)
        .await
        .expect("fetched")
        .expect("a preview");
    assert!(
        found.image_bytes.is_none(),
        "the 300 × 200 PNG is over 1 KiB"
    );

    // A page over LINK_PREVIEW_PAGE_BYTES is not read on.
    small.page_bytes = 64;
    let refused = small.fetch(&page).await;
    assert!(refused.is_err(), "{refused:?}");
}
