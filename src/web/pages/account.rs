//! Logging in and out, and the account page (its API tokens in `tokens.rs`).

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::page;
use crate::service::{ServiceError, accounts};
use crate::web::auth::{self, Viewer, safe_next};
use crate::web::error::{AppError, set_retry_after};
use crate::web::forms::FormData;
use crate::web::state::AppState;

/// Query of the login page.
#[derive(Debug, serde::Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// `GET /login/`
pub async fn form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let next = safe_next(&state, q.next.as_deref());
    if viewer.user.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    page(
        &state,
        &viewer,
        "conversate/login.html",
        context! { title => "Log in", next, username => "", error => () },
    )
    .await
}

/// `POST /login/`: the same answer for an unknown user and a wrong password.
#[tracing::instrument(skip_all)]
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: axum::http::HeaderMap,
    form: FormData,
) -> Result<Response, AppError> {
    if state
        .config
        .sign_in
        .oidc
        .as_ref()
        .is_some_and(|o| o.sso_only)
    {
        return Err(AppError::Forbidden(
            "Logging in with a password is turned off here: please use single sign-on.".to_owned(),
        ));
    }
    let next = safe_next(&state, form.get("next"));
    let username = form.get("username").unwrap_or_default().trim().to_owned();
    let password = form.get("password").unwrap_or_default();
    // Behind a trusted proxy, the client it forwards for.
    let ip = crate::web::client::address(
        &state.config.trusted_proxies,
        peer.map(|p| p.0.0.ip()),
        &headers,
    );
    if let Err(wait) = state.throttle.login_attempt(&username, ip).await {
        tracing::warn!(?ip, "login attempts throttled");
        let mut response = page(
            &state,
            &viewer,
            "conversate/login.html",
            context! { title => "Log in", next, username, error => "Too many login attempts. Please wait a minute and try again." },
        )
        .await?;
        *response.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
        set_retry_after(response.headers_mut(), wait);
        return Ok(response);
    }
    match accounts::authenticate(&state.chat.store, &username, password).await? {
        Some(user) => {
            auth::log_in(&viewer.session, &user);
            tracing::info!(user = %user.username, "logged in");
            Ok(Redirect::to(&next).into_response())
        }
        None => {
            let client = ip.map(|ip| ip.to_string()).unwrap_or_default();
            tracing::info!(client, "failed login");
            let mut response = page(
                &state,
                &viewer,
                "conversate/login.html",
                context! { title => "Log in", next, username, error => "Please enter a correct username and password." },
            )
            .await?;
            *response.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            Ok(response)
        }
    }
}

/// What every answer with the account page shows besides the alert
/// address form: the API tokens, the rooms to download, the push devices.
///
/// # Errors
/// Storage errors.
pub async fn sections(
    state: &AppState,
    user: &crate::domain::entities::User,
) -> Result<minijinja::Value, AppError> {
    let tokens = super::tokens::section(state, user).await?;
    let rooms = crate::service::export::rooms_of(&state.chat.store, user).await?;
    let push = super::push::section(state, user).await?;
    let own = user
        .language
        .map_or("", crate::domain::language::Language::tag);
    let locale = locale_section(state, own, user.time_zone.as_deref(), false, None);
    let profile = super::profile::section(state, user);
    Ok(
        context! { push, rooms => minijinja::Value::from(minijinja::value::Serde(&rooms)), ..minijinja::value::merge_maps([locale, tokens, profile]) },
    )
}

/// The language and time zone form: the site's languages, each in its own
/// name, and every zone of the database; `language` is a tag or empty.
fn locale_section(
    state: &AppState,
    language: &str,
    zone: Option<&str>,
    done: bool,
    error: Option<String>,
) -> minijinja::Value {
    let languages: Vec<_> = state
        .config
        .languages
        .iter()
        .map(|l| context! { tag => l.tag(), name => l.own_name() })
        .collect();
    context! {
        languages,
        own_language => language,
        own_zone => zone.unwrap_or_default(),
        zones => crate::domain::time_zone::TimeZoneName::all(),
        locale_error => error,
        locale_done => done,
    }
}

/// `POST /account/locale/`: fields `language` (a tag, or empty for the
/// browser's) and `time_zone` (an IANA name, or empty for the browser's).
/// The answer is already in the new language.
pub async fn save_locale(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("account/"))?.clone();
    let language = form.get("language").unwrap_or_default().trim().to_owned();
    let zone = form.get("time_zone").unwrap_or_default().trim().to_owned();
    let result = accounts::set_locale(
        &state.chat.store,
        &user,
        &state.config.languages,
        &language,
        &zone,
    )
    .await;
    let (locale, done) = match result {
        Ok(()) => {
            let fresh = accounts::user_by_id(&state.chat.store, user.id)
                .await?
                .unwrap_or(user.clone());
            crate::web::i18n::set_user(fresh.language, fresh.time_zone.as_deref());
            let own = fresh
                .language
                .map_or("", crate::domain::language::Language::tag);
            let locale = locale_section(&state, own, fresh.time_zone.as_deref(), true, None);
            (locale, true)
        }
        // What the user sent, so they can correct it.
        Err(ServiceError::Invalid(e)) => (
            locale_section(&state, &language, Some(&zone), false, Some(e)),
            false,
        ),
        Err(e) => return Err(e.into()),
    };
    let sections = sections(&state, &user).await?;
    let alert_email = user.alert_email.clone().unwrap_or_default();
    let email = user.email.clone().unwrap_or_default();
    let mut response = page(
        &state,
        &viewer,
        "conversate/account.html",
        context! { title => "Your account", alert_email, email, error => (), done => false, ..minijinja::value::merge_maps([sections, locale]) },
    )
    .await?;
    if !done {
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// `POST /logout/`
pub async fn logout(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let id = viewer.session.id();
    auth::log_out(&viewer.session);
    if let (Some(user), Some(id)) = (&viewer.user, id) {
        // Gone before the user's streams are told, so they find it gone.
        accounts::end_session(&state.chat.store, &id).await?;
        state.chat.sessions_ended(user.id);
    }
    Ok(Redirect::to(&state.url("login/")).into_response())
}

/// `GET /account/password/`
pub async fn password_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    viewer.require(&state, &state.url("account/password/"))?;
    page(
        &state,
        &viewer,
        "conversate/password.html",
        context! { title => "Change your password", error => (), done => false },
    )
    .await
}

/// `POST /account/password/`: the current password, then the new one twice.
/// Other sessions of the user end; this one stays logged in.
pub async fn change_password(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, AppError> {
    let user = viewer
        .require(&state, &state.url("account/password/"))?
        .clone();
    let changed = accounts::change_password(
        &state.chat.store,
        &state.chat.password_policy(),
        &user,
        form.get("current").unwrap_or_default(),
        form.get("password").unwrap_or_default(),
        form.get("password2").unwrap_or_default(),
    )
    .await;
    let error = match changed {
        Ok(fresh) => {
            auth::log_in(&viewer.session, &fresh);
            // The user's other sessions no longer match the password.
            state.chat.sessions_ended(fresh.id);
            tracing::info!(user = %user.username, "password changed");
            None
        }
        Err(ServiceError::Invalid(e)) => Some(e),
        Err(e) => return Err(e.into()),
    };
    let done = error.is_none();
    let mut response = page(
        &state,
        &viewer,
        "conversate/password.html",
        context! { title => "Change your password", error, done },
    )
    .await?;
    if !done {
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// Query of the account page: `profile=saved` after a profile change.
#[derive(Debug, serde::Deserialize)]
pub struct AccountQuery {
    profile: Option<String>,
}

/// `GET /account/`: where e-mail alerts go, the profile, tokens, language.
pub async fn settings_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<AccountQuery>,
) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("account/"))?;
    let alert_email = user.alert_email.clone().unwrap_or_default();
    let email = user.email.clone().unwrap_or_default();
    let sections = sections(&state, user).await?;
    page(
        &state,
        &viewer,
        "conversate/account.html",
        context! { title => "Your account", alert_email, email, error => (), done => false, profile_done => q.profile.as_deref() == Some("saved"), ..sections },
    )
    .await
}

/// `POST /account/`: field `alert_email` (blank: use the account's address).
pub async fn save_settings(
    State(state): State<AppState>,
    viewer: Viewer,
    form: FormData,
) -> Result<Response, AppError> {
    let user = viewer.require(&state, &state.url("account/"))?.clone();
    let raw = form
        .get("alert_email")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let result = match accounts::set_alert_email(&state.chat.store, &user, &raw).await {
        Ok(()) => Ok(()),
        Err(ServiceError::Invalid(e)) => Err(e),
        Err(e) => return Err(e.into()),
    };
    let email = user.email.clone().unwrap_or_default();
    let done = result.is_ok();
    let sections = sections(&state, &user).await?;
    let mut response = page(
        &state,
        &viewer,
        "conversate/account.html",
        context! { title => "Your account", alert_email => raw, email, error => result.err(), done, ..sections },
    )
    .await?;
    if !done {
        *response.status_mut() = axum::http::StatusCode::BAD_REQUEST;
    }
    Ok(response)
}
