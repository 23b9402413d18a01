//! The room page and its plain-form actions (POST-redirect-GET).

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::page;
use crate::domain;
use crate::domain::notify::Level;
use crate::service::chat::{Access, Opening};
use crate::web::auth::Viewer;
use crate::web::error::AppError;
use crate::web::forms::{FormData, UploadRefused, parse_id, read_upload};
use crate::web::send::{check_send_rate, post_draft};
use crate::web::state::AppState;
use crate::web::views::{UserItem, catch_up_summary, excerpt};

/// Opens a room for the page handlers: logged-out visitors go to the login
/// page whether or not the room exists; non-members get the missing-room 404.
///
/// # Errors
/// `LoginRequired` or the no-such-room `NotFound`.
pub async fn open(state: &AppState, viewer: &Viewer, slug: &str) -> Result<Access, AppError> {
    let user = viewer.require(state, &state.room_url(slug))?;
    Ok(state.chat.open(user, slug).await?)
}

/// Query of the room page.
#[derive(Debug, serde::Deserialize)]
pub struct RoomQuery {
    before: Option<String>,
    after: Option<String>,
    notice: Option<String>,
    /// The message to answer (the send form quotes it).
    reply: Option<String>,
}

/// `GET /{slug}/` (and `?before=<id>` for older pages without JavaScript).
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    Query(q): Query<RoomQuery>,
) -> Result<Response, AppError> {
    let access = open(&state, &viewer, &slug).await?;
    let id_field = |raw: &Option<String>, field| match raw.as_deref().filter(|b| !b.is_empty()) {
        Some(b) => parse_id(b, field).map(Some),
        None => Ok(None),
    };
    let before = id_field(&q.before, "before")?;
    let after = id_field(&q.after, "after")?;
    state.chat.seen(&access, true).await?;
    let opening = match (before, after) {
        (Some(before), _) => Opening {
            page: state.chat.page(&access, Some(before)).await?,
            cursor: 0,
            missed: None,
            newer: false,
        },
        (None, Some(after)) => state.chat.page_after(&access, after).await?,
        (None, None) => state.chat.open_page(&access).await?,
    };
    let reply_to = match q.reply.as_deref().filter(|r| !r.is_empty()) {
        Some(raw) => Some(state.chat.message(&access, parse_id(raw, "reply")?).await?),
        None => None,
    };
    let notice = match q.notice.as_deref() {
        Some("settings") => Some("Settings saved."),
        _ => None,
    };
    render(
        &state,
        &viewer,
        &access,
        opening,
        View {
            live: before.is_none(),
            older_page: before.is_some(),
            highlight: None,
            reply_to,
            notice,
            ..View::default()
        },
    )
    .await
}

/// How a room page is shown besides its messages.
#[derive(Debug, Default)]
pub struct View {
    /// Whether the live client runs (on the newest page and the catch-up
    /// pages; an older page or a permalink is static).
    pub live: bool,
    /// Whether the page is an older page of history.
    pub older_page: bool,
    /// The message a permalink points at, marked on the page.
    pub highlight: Option<i64>,
    /// The message the send form answers (`?reply=ID`, without JavaScript).
    pub reply_to: Option<crate::domain::Message>,
    /// A line confirming what the last form did.
    pub notice: Option<&'static str>,
    /// Why the last send was refused, shown with its text back in the box.
    pub refused: Option<String>,
    /// The text of a refused send, put back in the message box.
    pub draft: Option<String>,
}

/// Renders the room page showing `opening`.
///
/// # Errors
/// When storage or rendering fails.
pub async fn render(
    state: &AppState,
    viewer: &Viewer,
    access: &Access,
    opening: Opening,
    view: View,
) -> Result<Response, AppError> {
    let slug = access.room.slug.as_str();
    let members = state.chat.members(access.room.id).await?;
    let now = domain::now();
    let first_unread = opening.first_unread();
    let page_data = &opening.page;
    let catch_up = opening.missed.as_ref().map(|missed| {
        let on_page = |id: &i64| page_data.messages.iter().any(|m| m.id == *id);
        context! {
            summary => catch_up_summary(missed, now),
            first_unread,
            mentions => missed.mention_ids.iter().filter(|id| on_page(id)).copied().collect::<Vec<_>>(),
        }
    });
    let (first, last, remaining) = (page_data.first(), page_data.last(), page_data.remaining);
    let users: Vec<UserItem> = members
        .iter()
        .map(|m| UserItem::new(state.prefix(), m, now))
        .collect();
    let authors = page_data.messages.iter().flat_map(|m| {
        std::iter::once(m.username.as_str()).chain(m.reply.as_ref().map(|q| q.username.as_str()))
    });
    let profiles = crate::web::views::profiles(state.prefix(), &members, authors);
    let room_url = state.room_url(slug);
    let csrf_token = crate::web::csrf::token(&viewer.session);
    let data = serde_json::json!({
        "pageSize": state.config.chat.page_size,
        "batchSize": crate::service::chat::BATCH_LIMIT,
        "idleAt": state.config.chat.idle_at,
        "pollMin": state.config.chat.poll_min,
        "pollMax": state.config.chat.poll_max,
        "pollStep": state.config.chat.poll_step,
        "controlLayout": state.config.chat.control_layout,
        "disconnectAt": state.config.chat.disconnect_at,
        "apiPoll": format!("{room_url}api/poll/"),
        "apiSend": format!("{room_url}api/send/"),
        "apiHistory": format!("{room_url}api/history/"),
        "apiEvents": format!("{room_url}api/events/"),
        "apiPresence": format!("{room_url}api/presence/"),
        "apiRead": format!("{room_url}api/read/"),
        "apiTyping": format!("{room_url}api/typing/"),
        "apiEdit": format!("{room_url}api/edit/"),
        "apiDelete": format!("{room_url}api/delete/"),
        "apiReact": format!("{room_url}api/react/"),
        "apiRooms": format!("{}api/rooms/", state.prefix()),
        "roomUrl": room_url,
        "prefix": state.prefix(),
        "editWindow": state.chat.edit_window,
        "isAdmin": access.user.is_admin,
        "isMember": access.member.is_some(),
        "notify": access.member.as_ref().map_or("all", |m| m.notify.as_str()),
        "lastRead": opening.cursor,
        "unread": opening.missed.as_ref().map_or(0, |m| m.count),
        "csrfToken": csrf_token,
        "username": access.user.username,
        "alertEnabled": access.member.as_ref().is_some_and(|m| m.alert),
        "serverTime": now,
        "first": first,
        "last": last,
        "remaining": remaining,
        "roomTitle": access.room.title,
        "live": view.live,
    });
    let messages = state.fragments.messages(
        state,
        access,
        (opening.page.messages, &profiles),
        now,
        view.highlight,
        &csrf_token,
    )?;
    let reply_to = view.reply_to.as_ref().map(|m| {
        context! {
            pk => m.id,
            user => m.username.clone(),
            excerpt => if m.deleted.is_some() { String::new() } else { excerpt(&m.content) },
            deleted => m.deleted.is_some(),
        }
    });
    page(
        state,
        viewer,
        "conversate/room.html",
        context! {
            title => access.room.title.clone(),
            room => Value::from(minijinja::value::Serde(&access.room)),
            room_url,
            data => Value::from(minijinja::value::Serde(&data)),
            messages,
            users => Value::from(minijinja::value::Serde(&users)),
            profiles => Value::from_object(crate::web::views::ProfilesValue(profiles)),
            remaining,
            first,
            older_page => view.older_page,
            permalink => view.highlight.is_some(),
            highlight => view.highlight,
            reply_to,
            quick_reactions => QUICK_REACTIONS,
            search_scope => format!("in:{} ", access.room.slug),
            search_url => state.url("search/"),
            newer => opening.newer.then_some(last),
            first_unread,
            catch_up,
            member => access.member.as_ref().map(|m| context! { alert => m.alert, mail_alert => m.mail_alert, colour => m.colour.clone(), notify => m.notify.as_str() }),
            notify_levels => [("all", "notify-all"), ("mentions", "notify-mentions"), ("none", "notify-none")].map(|(level, id)| (level, crate::web::i18n::text(id, None))),
            palette => crate::web::views::palette(),
            notice => view.notice,
            refused => view.refused,
            draft => view.draft,
            max_upload => crate::web::i18n::size(state.config.max_upload_bytes),
        },
    )
    .await
}

/// The reactions offered in each message's menu: (emoji, the catalogue's
/// message for its name; the script offers the same, assets/conversate/history.js).
pub const QUICK_REACTIONS: [(&str, &str); 6] = [
    ("👍", "emoji-thumbs-up"),
    ("❤️", "emoji-heart"),
    ("😂", "emoji-joy"),
    ("🎉", "emoji-party"),
    ("😮", "emoji-surprise"),
    ("🙏", "emoji-thanks"),
];

/// `POST /{slug}/send/`: a plain form post, answered with a redirect back.
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn send(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    request: Request,
) -> Result<Response, AppError> {
    let access = open(&state, &viewer, &slug).await?;
    check_send_rate(&state, &access).await?;
    let form = match read_upload(
        &state,
        &viewer.session,
        request,
        true,
        state.config.max_upload_bytes,
    )
    .await
    {
        Ok(form) => form,
        // Too large: the room again with the typed text in the box, rather
        // than an error page that loses it.
        Err(UploadRefused {
            error: AppError::TooLarge(why),
            draft: Some(draft),
        }) => return refused_send(&state, &viewer, &access, why, draft).await,
        Err(refused) => return Err(refused.error),
    };
    let posted = post_draft(&state, &access, form, true).await?;
    // Back at the message just sent, which is the newest: a page without
    // JavaScript would otherwise open at its top.
    Ok(Redirect::to(&format!(
        "{}#cv-m-{}",
        state.room_url(&slug),
        posted.message.id
    ))
    .into_response())
}

/// The room page answering a send refused for its size (`413`): the reason,
/// and the text back in the message box.
async fn refused_send(
    state: &AppState,
    viewer: &Viewer,
    access: &Access,
    why: String,
    draft: String,
) -> Result<Response, AppError> {
    let opening = state.chat.open_page(access).await?;
    let mut response = render(
        state,
        viewer,
        access,
        opening,
        View {
            live: true,
            refused: Some(format!(
                "{} {}",
                crate::web::i18n::sentence(&why),
                crate::web::i18n::text("room-refused-unsent", None)
            )),
            draft: Some(draft),
            ..View::default()
        },
    )
    .await?;
    *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
    Ok(response)
}

/// `POST /{slug}/settings/`
pub async fn settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let access = open(&state, &viewer, &slug).await?;
    let colour = form.get("colour").filter(|c| !c.is_empty());
    let notify = match form.get("notify").filter(|n| !n.is_empty()) {
        Some(raw) => Some(Level::parse(raw).ok_or_else(|| {
            AppError::BadRequest("The notification level must be all, mentions or none.".to_owned())
        })?),
        None => None,
    };
    state
        .chat
        .set_preferences(
            &access,
            form.checked("alert"),
            form.checked("mail_alert"),
            colour,
        )
        .await?;
    if let Some(level) = notify {
        state.chat.set_notify(&access, level).await?;
    }
    Ok(Redirect::to(&format!("{}?notice=settings", state.room_url(&slug))).into_response())
}

/// `GET /{slug}/colours.css`: member colours as a stylesheet, so the page
/// needs no inline styles (the CSP forbids them).
pub async fn colours(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let access = open(&state, &viewer, &slug).await?;
    let members = state.chat.members(access.room.id).await?;
    let mut css = String::new();
    for m in members.iter() {
        // Usernames are limited to [A-Za-z0-9_.@+-] and colours to hex digits,
        // so neither can break out of the selector or the declaration.
        css.push_str(&format!(
            ".cv-author[data-user=\"{}\"]{{color:#{}}}\n",
            m.username, m.colour
        ));
    }
    let mut response = (StatusCode::OK, css).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

/// `GET /{slug}` → `/{slug}/`
pub async fn add_slash(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    match crate::domain::RoomSlug::parse(&slug) {
        Ok(slug) => Redirect::permanent(&state.room_url(slug.as_str())).into_response(),
        Err(_) => AppError::NotFound("Page not found.".to_owned()).into_response(),
    }
}
