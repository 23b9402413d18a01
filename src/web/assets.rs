//! Static assets embedded in the binary, served on content-hashed URLs with
//! immutable caching (a new build changes the hash, so browsers refetch).
//!
//! The client script is a set of ES modules (`conversate.js` importing
//! `conversate/*.js`, which import `strings.js`). Relative imports carry
//! no `?v=`, so the modules live under one versioned directory instead,
//! `assets/m/<version>/<language>/`, whose version covers every module and
//! every catalogue: a new build moves them all at once, and a page never
//! mixes modules of two builds. The language is in the path because
//! `strings.js`, the script's words, is made per language.

use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

use super::client_strings;
use super::i18n::Language;

#[derive(rust_embed::RustEmbed)]
#[folder = "assets/"]
struct Embedded;

fn hash_of(name: &str) -> Option<String> {
    Embedded::get(name).map(|f| {
        f.metadata
            .sha256_hash()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

/// An embedded text asset's content (the service worker's script).
#[must_use]
pub fn text(name: &str) -> Option<String> {
    Embedded::get(name).and_then(|f| String::from_utf8(f.data.into_owned()).ok())
}

/// The URL of an asset under the mount `prefix`, carrying its content hash
/// (the client's entry module: its versioned directory, in the language of
/// the page being rendered).
#[must_use]
pub fn url(prefix: &str, name: &str) -> String {
    if name == ENTRY {
        return format!(
            "{prefix}assets/m/{}/{}/{ENTRY}",
            modules_version(),
            super::i18n::current().tag()
        );
    }
    match hash_of(name) {
        Some(hash) => format!("{prefix}assets/{name}?v={hash}"),
        None => format!("{prefix}assets/{name}"),
    }
}

/// The client's entry module.
const ENTRY: &str = "conversate.js";

/// Whether `path` is one of the client's modules.
fn is_module(path: &str) -> bool {
    path == ENTRY
        || path
            .strip_prefix("conversate/")
            .is_some_and(|name| name.ends_with(".js") && !name.contains('/'))
}

/// The version of the client's modules: a hash over every module and every
/// catalogue (the words in `strings.js`).
fn modules_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        let mut hasher = Sha256::new();
        let mut names: Vec<_> = Embedded::iter().filter(|n| is_module(n)).collect();
        names.sort();
        for name in names {
            hasher.update(name.as_bytes());
            if let Some(file) = Embedded::get(&name) {
                hasher.update(file.metadata.sha256_hash());
            }
        }
        for language in Language::ALL {
            hasher.update(super::i18n::source(language).as_bytes());
        }
        hasher
            .finalize()
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    })
}

/// Serves one of the client's modules, or its words (`strings.js`) in
/// `language`.
pub async fn serve_module(
    Path((version, language, path)): Path<(String, String, String)>,
) -> Response {
    let Some(language) = Language::ALL.into_iter().find(|l| l.tag() == language) else {
        return (StatusCode::NOT_FOUND, "No such file.").into_response();
    };
    let body = if path == "strings.js" {
        client_strings::module(language).as_bytes().to_vec()
    } else if is_module(&path) {
        match Embedded::get(&path) {
            Some(file) => file.data.into_owned(),
            None => return (StatusCode::NOT_FOUND, "No such file.").into_response(),
        }
    } else {
        return (StatusCode::NOT_FOUND, "No such file.").into_response();
    };
    // Another build's version (a page from a node not yet upgraded) gets
    // this build's modules, but never for long.
    let cache = if version == modules_version() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// Query of an asset URL.
#[derive(Debug, serde::Deserialize)]
pub struct Version {
    v: Option<String>,
}

/// Serves an embedded asset.
pub async fn serve(Path(name): Path<String>, Query(version): Query<Version>) -> Response {
    let Some(file) = Embedded::get(&name) else {
        return (StatusCode::NOT_FOUND, "No such file.").into_response();
    };
    let mime = file.metadata.mimetype();
    let current = hash_of(&name);
    // Only a URL naming the current hash may be cached forever.
    let cache = if version.v.is_some() && version.v == current {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let mut response = file.data.into_owned().into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}
