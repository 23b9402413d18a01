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
//!
//! Text assets go gzipped to a browser that accepts it (the script and the
//! style sheet shrink to about a quarter), compressed once per process.
//! Pages and API answers are not compressed: they carry the CSRF token and
//! echo what a request asked for, which compression would leak (BREACH);
//! these files carry neither.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use axum::extract::{Path, Query};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

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

/// Whether the request's `Accept-Encoding` takes gzip: named without
/// `q=0`, or, when not named, `*` without `q=0`.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let (mut gzip, mut any) = (None, None);
    for coding in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let taken = !parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        if name.eq_ignore_ascii_case("gzip") {
            gzip = Some(taken);
        } else if name == "*" {
            any = Some(taken);
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// Whether a file of this type is worth compressing (text, not images
/// that are compressed already).
fn compressible(mime: &str) -> bool {
    mime.starts_with("text/")
        || mime.contains("javascript")
        || mime.contains("json")
        || mime == "image/svg+xml"
}

/// `body` gzipped, kept under `key` for the life of the process (the
/// assets are fixed in the binary, so each is compressed once). `None`
/// when compressing does not make it smaller.
fn gzipped(key: &str, body: &[u8]) -> Option<Arc<[u8]>> {
    /// Each asset's gzipped bytes, or `None` where gzip did not pay.
    type Kept = Mutex<HashMap<String, Option<Arc<[u8]>>>>;
    static KEPT: OnceLock<Kept> = OnceLock::new();
    let kept = KEPT.get_or_init(Mutex::default);
    if let Some(found) = kept.lock().unwrap_or_else(PoisonError::into_inner).get(key) {
        return found.clone();
    }
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let packed = encoder
        .write_all(body)
        .and_then(|()| encoder.finish())
        .ok()
        .filter(|packed| packed.len() < body.len())
        .map(Arc::from);
    kept.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key.to_owned(), packed.clone());
    packed
}

/// The answer for an asset's bytes: gzipped when the browser takes it and
/// it pays; either way marked as depending on `Accept-Encoding`, so no
/// cache hands the one to a client that asked for the other.
fn encoded(request: &HeaderMap, key: &str, mime: &str, body: Vec<u8>) -> Response {
    let packed = (compressible(mime) && accepts_gzip(request))
        .then(|| gzipped(key, &body))
        .flatten();
    let mut response = match packed {
        Some(packed) => {
            let mut response = axum::body::Bytes::from_owner(packed).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            response
        }
        None => body.into_response(),
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Serves one of the client's modules, or its words (`strings.js`) in
/// `language`.
pub async fn serve_module(
    Path((version, language, path)): Path<(String, String, String)>,
    request: HeaderMap,
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
    const MIME: &str = "text/javascript; charset=utf-8";
    let key = format!("m/{}/{path}", language.tag());
    let mut response = encoded(&request, &key, MIME, body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(MIME));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// Query of an asset URL.
#[derive(Debug, serde::Deserialize)]
pub struct Version {
    v: Option<String>,
}

/// Serves an embedded asset.
pub async fn serve(
    Path(name): Path<String>,
    Query(version): Query<Version>,
    request: HeaderMap,
) -> Response {
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
    let mut response = encoded(&request, &name, mime, file.data.into_owned());
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(mime) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asking(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(v).expect("header"),
            );
        }
        headers
    }

    #[test]
    fn gzip_is_taken_when_named_or_wildcarded_and_not_refused() {
        assert!(accepts_gzip(&asking(&["gzip, deflate, br"])));
        assert!(accepts_gzip(&asking(&["br;q=1.0, GZIP;q=0.5"])));
        assert!(accepts_gzip(&asking(&["br", "gzip"])));
        assert!(accepts_gzip(&asking(&["*"])));
        assert!(!accepts_gzip(&asking(&[])));
        assert!(!accepts_gzip(&asking(&["br, deflate"])));
        assert!(!accepts_gzip(&asking(&["gzip;q=0"])));
        assert!(!accepts_gzip(&asking(&["gzip; q=0.0, br"])));
        assert!(!accepts_gzip(&asking(&["identity, *;q=0"])));
        assert!(!accepts_gzip(&asking(&["gzip;q=0, *"])), "named beats *");
        assert!(accepts_gzip(&asking(&["gzip, *;q=0"])));
    }

    #[test]
    fn only_text_is_worth_compressing() {
        for mime in [
            "text/css",
            "text/javascript; charset=utf-8",
            "application/javascript",
            "application/manifest+json",
            "image/svg+xml",
        ] {
            assert!(compressible(mime), "{mime}");
        }
        for mime in ["image/png", "image/webp", "application/octet-stream"] {
            assert!(!compressible(mime), "{mime}");
        }
    }

    #[test]
    fn a_gzipped_asset_unpacks_to_the_same_bytes_and_is_kept() {
        let body = b"body { color: red; }\n".repeat(50);
        let packed = gzipped("test.css", &body).expect("smaller");
        assert!(packed.len() < body.len() / 4);
        let mut unpacked = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&packed[..]),
            &mut unpacked,
        )
        .expect("gunzip");
        assert_eq!(unpacked, body);
        let again = gzipped("test.css", b"not looked at").expect("kept");
        assert!(Arc::ptr_eq(&packed, &again), "compressed once");
        assert!(gzipped("tiny.txt", b"x").is_none(), "not worth it");
    }
}
