//! The installable app: the web app manifest, the service worker and the
//! page it shows offline.
//!
//! The service worker is served from the mount point, so its scope covers
//! every page of the chat. It caches only what every visitor gets alike
//! (the offline page, the stylesheet, the icons) and never a page, an API
//! answer or a file: message content stays off the device's cache.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::context;
use serde_json::json;

use super::assets;
use super::error::AppError;
use super::state::AppState;

/// The theme colours, light and dark (the stylesheet's accent and dark
/// background); `templates/base.html` names them for the browser's chrome.
pub const THEME_LIGHT: &str = "#2563eb";
/// See [`THEME_LIGHT`].
pub const THEME_DARK: &str = "#0f1317";

/// The icons, by file name, size and purpose.
const ICONS: [(&str, &str, &str); 3] = [
    ("icon-192.png", "192x192", "any"),
    ("icon-512.png", "512x512", "any"),
    ("icon-maskable-512.png", "512x512", "maskable"),
];

/// `GET /manifest.webmanifest`
pub async fn manifest(State(state): State<AppState>) -> Response {
    let prefix = state.prefix();
    let icons: Vec<_> = ICONS
        .iter()
        .map(|(name, sizes, purpose)| {
            json!({
                "src": assets::url(prefix, name),
                "sizes": sizes,
                "type": "image/png",
                "purpose": purpose,
            })
        })
        .collect();
    let manifest = json!({
        "id": prefix,
        "name": "Conversate",
        "short_name": "Conversate",
        "description": "Group chat",
        "start_url": prefix,
        "scope": prefix,
        "display": "standalone",
        "background_color": THEME_DARK,
        "theme_color": THEME_LIGHT,
        "icons": icons,
    });
    let mut response = manifest.to_string().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/manifest+json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /sw.js`: the service worker (`assets/sw.js`), after one line of
/// settings it needs: where the offline page is, what it may cache.
pub async fn service_worker(State(state): State<AppState>) -> Response {
    let prefix = state.prefix();
    let offline = state.url("offline/");
    let precache = [
        offline.clone(),
        assets::url(prefix, "conversate.css"),
        assets::url(prefix, "favicon.svg"),
        assets::url(prefix, "icon-192.png"),
    ];
    // The cache's name changes with what it holds, so a new build's
    // worker replaces the old cache instead of serving stale assets.
    let version = precache.join(" ");
    let settings = json!({
        "scope": prefix,
        "offline": offline,
        "precache": precache,
        "icon": assets::url(prefix, "icon-192.png"),
        "version": format!("{:x}", foldhash_of(&version)),
    });
    let script = assets::text("sw.js").unwrap_or_default();
    let body = format!("const CV = {settings};\n{script}");
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    // Browsers check for a new worker on navigation; never a stale one.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn foldhash_of(text: &str) -> u64 {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut h = foldhash::fast::FixedState::with_seed(20).build_hasher();
    h.write(text.as_bytes());
    h.finish()
}

/// `GET /offline/`: what the service worker shows when the server cannot
/// be reached. The same for everyone (no user, no rooms), since it is cached.
///
/// # Errors
/// When the template fails.
pub async fn offline(State(state): State<AppState>) -> Result<Response, AppError> {
    let html = state.render(
        "conversate/offline.html",
        context! { prefix => state.prefix(), title => "Offline", user => () },
    )?;
    let mut response = Html(html).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}
