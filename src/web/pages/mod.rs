//! Server-rendered pages: everything works without JavaScript.

pub mod account;
pub mod admin;
pub mod directory;
pub mod export;
pub mod files;
pub mod index;
pub mod invitations;
pub mod messages;
pub mod notifications;
pub mod profile;
pub mod push;
pub mod reset;
pub mod room;
pub mod search;
pub mod setup;
pub mod sso;
pub mod tokens;
pub mod unsubscribe;

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Value, context};

use super::auth::Viewer;
use super::csrf;
use super::error::AppError;
use super::state::AppState;

/// The context every page's base template needs.
///
/// # Errors
/// When the session store fails.
pub async fn base(state: &AppState, viewer: &Viewer) -> Result<Value, AppError> {
    let csrf_token = csrf::token(&viewer.session);
    let user = viewer
        .user
        .as_ref()
        .map(|u| context! { username => u.username.clone(), is_admin => u.is_admin });
    // The VAPID key for the script's "turn on notifications" (logged in only).
    let push_key = viewer.user.as_ref().and_then(|_| state.push_key());
    Ok(context! { prefix => state.prefix(), csrf_token, user, push_key })
}

/// Renders a page with the base context merged under `ctx`.
///
/// # Errors
/// When rendering fails.
pub async fn page(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    ctx: Value,
) -> Result<Response, AppError> {
    let base = base(state, viewer).await?;
    let template = state.templates.get_template(name)?;
    let mut html = Vec::with_capacity(size_hint(name));
    template.render_captured_to(flat(ctx, base), &mut html)?;
    note_size(name, html.len());
    let mut response = Html(html).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `ctx` with `base` under it, as one sorted map. A template looks up every
/// name it uses (each `t` too) in its context: `context!` keeps a list
/// searched from the start, and a merge searches each part in turn, so
/// those searches were a tenth of the room page's template time.
fn flat(ctx: Value, base: Value) -> Value {
    let mut map = std::collections::BTreeMap::<std::sync::Arc<str>, Value>::new();
    // The page's own names over the base's.
    for part in [&base, &ctx] {
        for key in part.try_iter().into_iter().flatten() {
            if let Some(name) = key.as_str() {
                map.insert(name.into(), part.get_item(&key).unwrap_or_default());
            }
        }
    }
    Value::from(map)
}

/// The size of each page template's last rendering, to size the next one's
/// buffer: a room page of some 230 KB otherwise grows its buffer five
/// times over, copying it each time.
static SIZES: std::sync::LazyLock<std::sync::Mutex<crate::FastMap<Box<str>, usize>>> =
    std::sync::LazyLock::new(Default::default);

fn sizes() -> std::sync::MutexGuard<'static, crate::FastMap<Box<str>, usize>> {
    SIZES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn size_hint(name: &str) -> usize {
    sizes().get(name).copied().unwrap_or(8 * 1024)
}

fn note_size(name: &str, len: usize) {
    // A little room over the last size: the next page has a line more.
    let hint = len + len / 8;
    let mut sizes = sizes();
    match sizes.get_mut(name) {
        Some(size) => *size = hint,
        None => {
            sizes.insert(name.into(), hint);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_context_has_both_parts_and_the_page_wins() {
        let base = context! { prefix => "/", csrf_token => "t1", user => () };
        let ctx = context! { title => "Room", prefix => "/chat/", ..context! { inner => 3 } };
        let flat = flat(ctx, base);
        assert_eq!(flat.get_attr("csrf_token").ok(), Some(Value::from("t1")));
        assert_eq!(flat.get_attr("prefix").ok(), Some(Value::from("/chat/")));
        assert_eq!(flat.get_attr("title").ok(), Some(Value::from("Room")));
        assert_eq!(flat.get_attr("inner").ok(), Some(Value::from(3)));
    }
}
