//! Sessions: a random id in an HTTP-only cookie, the record on the server
//! (in the store, so every node of a multi-node site shares it).
//!
//! Why our own layer instead of `tower-sessions`: every request reads the
//! session, and the poll is the hottest request there is. That crate parsed
//! every cookie into a jar, loaded the record lazily behind async locks, and
//! kept it as a map of JSON values decoded again for each key read; a poll
//! paid about 13,000 instructions for it (callgrind). Ours reads one
//! cookie, loads the record once, before the handler runs (a cache hit,
//! see `store/cache.rs`), into a struct of four known fields, and
//! writes it back only when a handler changed it.
//!
//! Records stored by the earlier layer keep working: the JSON shape and the
//! cookie are the same.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::state::AppState;
use crate::random_hex;
use crate::store::{SessionRecords, StoreError};

/// The cookie's name.
pub const COOKIE: &str = "conversate_session";
/// The cookie's name on an HTTPS site (`PUBLIC_URL` is `https://`): the
/// `__Host-` prefix makes browsers accept it only when it is `Secure`, has
/// `Path=/` and no `Domain`, so another host of the domain (or a plain-HTTP
/// page) cannot plant or shadow it. A cookie of the plain name from before
/// still opens its session, which then moves to the prefixed cookie.
pub const HOST_COOKIE: &str = "__Host-conversate_session";
/// Sessions last this long without a visit.
pub const DAYS: i64 = 14;

/// What a session holds, stored as JSON.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Data {
    /// The logged-in user.
    #[serde(rename = "uid", default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<i64>,
    /// A fingerprint of the user's password hash at login (see `auth`).
    #[serde(rename = "pwfp", default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// When the session's lifetime was last extended, Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refreshed: Option<i64>,
    /// The CSRF token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf: Option<String>,
    /// A single sign-on on its way: what the provider's answer must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc: Option<crate::service::oidc::Pending>,
}

impl Data {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The request's session, a request extension; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Session(Arc<Mutex<Inner>>);

#[derive(Debug, Default)]
struct Inner {
    /// The id of the stored record, if there is one.
    id: Option<String>,
    /// When the stored record expires, Unix seconds.
    expires: Option<i64>,
    data: Data,
    /// A handler changed the data: store it after the answer.
    changed: bool,
    /// A record to delete after the answer (the old id of a cycled or
    /// ended session).
    stale: Option<String>,
    /// The request named a session in its cookie (found or not).
    had_cookie: bool,
    /// It did so with the plain cookie on an HTTPS site: replace it.
    old_name: bool,
    /// Why the record could not be read; such a session is never saved.
    broken: Option<StoreError>,
    /// The client came over HTTPS (`PUBLIC_URL`, or a trusted proxy's
    /// `X-Forwarded-Proto`): the cookie is the `__Host-`, `Secure` one.
    https: bool,
}

impl Session {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Reads the data.
    pub fn with<R>(&self, read: impl FnOnce(&Data) -> R) -> R {
        read(&self.lock().data)
    }

    /// Changes the data; it is stored after the answer.
    pub fn update<R>(&self, change: impl FnOnce(&mut Data) -> R) -> R {
        let mut inner = self.lock();
        inner.changed = true;
        change(&mut inner.data)
    }

    /// Moves the data to a new id, so an id known before (say, before
    /// login) is worth nothing after.
    pub fn cycle_id(&self) {
        let mut inner = self.lock();
        if let Some(old) = inner.id.take() {
            inner.stale = Some(old);
        }
        inner.changed = true;
    }

    /// Ends the session: its record is deleted and its cookie removed.
    pub fn end(&self) {
        self.cycle_id();
        self.lock().data = Data::default();
    }

    /// The id of the stored record, if the request named a live one.
    #[must_use]
    pub fn id(&self) -> Option<String> {
        self.lock().id.clone()
    }

    /// When the stored record expires, Unix seconds.
    #[must_use]
    pub fn expires(&self) -> Option<i64> {
        self.lock().expires
    }

    /// Why the record could not be read, if it could not.
    #[must_use]
    pub fn broken(&self) -> Option<StoreError> {
        self.lock().broken.clone()
    }
}

/// Whether a cookie value can be an id of ours (hex, or the base64 of the
/// earlier layer); anything else is not even looked up.
fn plausible_id(value: &str) -> bool {
    (16..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The value of the request's cookie `name`, if any.
fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| cookie::Cookie::split_parse(line).flatten())
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

/// The session id the request's cookies name, and whether it came in the
/// plain cookie on an HTTPS site.
fn cookie_id(https: bool, headers: &HeaderMap) -> Option<(&str, bool)> {
    if https && let Some(id) = cookie_value(headers, HOST_COOKIE) {
        return Some((id, false));
    }
    cookie_value(headers, COOKIE).map(|id| (id, https))
}

/// The request's session: its stored record when the cookie names a live
/// one, else an empty session. A store failure gives a broken session that
/// handlers needing a user refuse (see `auth::Viewer`). `https`: whether
/// the client came over HTTPS.
pub async fn open(state: &AppState, headers: &HeaderMap, https: bool) -> Session {
    let Some((id, old_name)) = cookie_id(https, headers) else {
        return Session(Arc::new(Mutex::new(Inner {
            https,
            ..Inner::default()
        })));
    };
    let mut inner = Inner {
        had_cookie: true,
        old_name,
        https,
        ..Inner::default()
    };
    if plausible_id(id) {
        match load(state.chat.store.sessions(), id).await {
            Ok(Some((data, expires))) => {
                inner.id = Some(id.to_owned());
                inner.data = data;
                inner.expires = Some(expires);
            }
            Ok(None) => {}
            Err(e) => inner.broken = Some(e),
        }
    }
    Session(Arc::new(Mutex::new(inner)))
}

/// A live session record: its data and when it expires.
///
/// # Errors
/// When the store fails.
pub async fn load(
    records: &dyn SessionRecords,
    id: &str,
) -> Result<Option<(Data, i64)>, StoreError> {
    let Some((json, expires)) = records.load(id, crate::domain::now()).await? else {
        return Ok(None);
    };
    // An unreadable record counts as no session, never as an error page.
    Ok(serde_json::from_str(&json)
        .inspect_err(|e| tracing::warn!("unreadable session record: {e}"))
        .ok()
        .map(|data| (data, expires)))
}

/// After the answer: stores a changed session and sets its cookie, or
/// deletes an ended one and removes the cookie; a cookie naming no live
/// session is removed too, so it stops costing a look-up. When the store
/// fails the answer becomes a server error, since a login that is not
/// stored did not happen. Nothing is stored for server errors themselves.
pub async fn close(state: &AppState, session: &Session, response: Response) -> Response {
    if response.status().is_server_error() {
        return response;
    }
    let (stale, save, had_cookie, https) = {
        let mut inner = session.lock();
        let https = inner.https;
        if inner.broken.is_some() {
            return response;
        }
        if !inner.changed {
            let dead_cookie = inner.had_cookie && inner.id.is_none();
            if let (true, false, Some(id)) = (inner.old_name, dead_cookie, inner.id.clone()) {
                // Moves a live session to the prefixed cookie.
                drop(inner);
                return with_cookie(state, https, response, &id, true);
            }
            drop(inner);
            return if dead_cookie {
                with_cookie(state, https, response, "", false)
            } else {
                response
            };
        }
        let save = (!inner.data.is_empty()).then(|| (inner.id.clone(), inner.data.clone()));
        // An emptied session keeps no record, under its old id or its current one.
        let stale = match (&save, inner.stale.take()) {
            (None, None) => inner.id.take(),
            (_, stale) => stale,
        };
        (stale, save, inner.had_cookie, https)
    };
    match write(state, stale, save).await {
        Ok(Some(id)) => with_cookie(state, https, response, &id, true),
        Ok(None) if had_cookie => with_cookie(state, https, response, "", false),
        Ok(None) => response,
        Err(e) => {
            use axum::response::IntoResponse as _;
            super::error::AppError::from(e).into_response()
        }
    }
}

/// Deletes `stale`, then stores `save` (under a new id when it has none);
/// returns the id stored under.
async fn write(
    state: &AppState,
    stale: Option<String>,
    save: Option<(Option<String>, Data)>,
) -> Result<Option<String>, StoreError> {
    let records = state.chat.store.sessions();
    if let Some(stale) = stale {
        records.delete(&stale).await?;
    }
    let Some((id, data)) = save else {
        return Ok(None);
    };
    let json = serde_json::to_string(&data)
        .map_err(|e| StoreError::other(format!("encoding the session: {e}")))?;
    let expires = crate::domain::now() + DAYS * 86_400;
    if let Some(id) = id {
        records.upsert(&id, &json, expires).await?;
        return Ok(Some(id));
    }
    // 128 random bits do not collide in practice, but a retry costs nothing.
    loop {
        let id = random_hex(16);
        if records.insert(&id, &json, expires).await? {
            return Ok(Some(id));
        }
    }
}

/// Adds the session cookie (or its removal) to the answer. On an HTTPS
/// site the cookie is the `__Host-` one, and a plain cookie from before is
/// removed with it.
fn with_cookie(
    state: &AppState,
    https: bool,
    mut response: Response,
    id: &str,
    keep: bool,
) -> Response {
    let (name, path) = if https {
        (HOST_COOKIE, "/")
    } else {
        (COOKIE, state.prefix())
    };
    let mut cookie = cookie::Cookie::build((name, id))
        .path(path)
        .http_only(true)
        .same_site(cookie::SameSite::Lax)
        .secure(https)
        .build();
    if keep {
        cookie.set_max_age(time::Duration::days(DAYS));
    } else {
        cookie.make_removal();
    }
    let mut cookies = vec![cookie];
    if https {
        let mut old = cookie::Cookie::build((COOKIE, ""))
            .path(state.prefix())
            .secure(true)
            .build();
        old.make_removal();
        cookies.push(old);
    }
    for cookie in cookies {
        match HeaderValue::try_from(cookie.to_string()) {
            Ok(value) => {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Err(e) => tracing::error!("session cookie not sent: {e}"),
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_the_earlier_layer_still_read() {
        let json = r#"{"uid":7,"pwfp":"abcdefgh12345678","refreshed":1700000000,"csrf":"ff00"}"#;
        let data: Data = serde_json::from_str(json).expect("parses");
        assert_eq!(data.user_id, Some(7));
        assert_eq!(data.fingerprint.as_deref(), Some("abcdefgh12345678"));
        assert_eq!(data.refreshed, Some(1_700_000_000));
        assert_eq!(data.csrf.as_deref(), Some("ff00"));
        let anonymous: Data = serde_json::from_str(r#"{"csrf":"ff00","other":1}"#).expect("parses");
        assert_eq!(anonymous.user_id, None);
    }

    #[test]
    fn only_set_fields_are_stored() {
        let data = Data {
            csrf: Some("ab".to_owned()),
            ..Data::default()
        };
        assert_eq!(
            serde_json::to_string(&data).expect("encodes"),
            r#"{"csrf":"ab"}"#
        );
        assert!(Data::default().is_empty());
        assert!(!data.is_empty());
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("a=1; b=2"));
        assert_eq!(cookie_value(&headers, COOKIE), None);
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("theme=dark; conversate_session=0123456789abcdef0123; x=y"),
        );
        assert_eq!(cookie_value(&headers, COOKIE), Some("0123456789abcdef0123"));
    }

    #[test]
    fn only_plausible_ids_are_looked_up() {
        assert!(plausible_id(&random_hex(16)));
        assert!(plausible_id("AAAAAAAAAAAAAAAAAAAAAA"));
        assert!(!plausible_id("garbage"));
        assert!(!plausible_id(""));
        assert!(!plausible_id("0123456789abcdef'; DROP TABLE"));
        assert!(!plausible_id(&"a".repeat(65)));
    }

    #[test]
    fn ids_are_random_and_hex() {
        let (a, b) = (random_hex(16), random_hex(16));
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn ending_a_session_empties_it_and_marks_its_record_stale() {
        let session = Session(Arc::new(Mutex::new(Inner {
            id: Some("0123456789abcdef".to_owned()),
            data: Data {
                user_id: Some(1),
                ..Data::default()
            },
            had_cookie: true,
            ..Inner::default()
        })));
        session.end();
        let inner = session.lock();
        assert!(inner.data.is_empty());
        assert_eq!(inner.id, None);
        assert_eq!(inner.stale.as_deref(), Some("0123456789abcdef"));
        assert!(inner.changed);
    }
}
