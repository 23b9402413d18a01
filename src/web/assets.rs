//! Static assets embedded in the binary, served on content-hashed URLs with
//! immutable caching (a new build changes the hash, so browsers refetch).

use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

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

/// The URL of an asset under the mount `prefix`, carrying its content hash.
#[must_use]
pub fn url(prefix: &str, name: &str) -> String {
    match hash_of(name) {
        Some(hash) => format!("{prefix}assets/{name}?v={hash}"),
        None => format!("{prefix}assets/{name}"),
    }
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
