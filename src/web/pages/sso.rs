//! Single sign-on with an OpenID provider: `GET /login/oidc/` sends the
//! browser to the provider, `GET /login/oidc/callback/` takes its answer
//! and logs the account in (see `service::oidc` for the checks).

use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::config::MatchClaim;
use crate::service::identity::{Adopt, provision_with};
use crate::service::oidc::OidcError;
use crate::web::auth::{self, Viewer, safe_next};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Query of the start: where to go afterwards.
#[derive(Debug, serde::Deserialize)]
pub struct BeginQuery {
    next: Option<String>,
}

/// The provider's answer (RFC 6749, section 4.1.2).
#[derive(Debug, serde::Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn refused(e: &OidcError) -> AppError {
    match e {
        OidcError::Mismatch | OidcError::Unusable(_) => AppError::BadRequest(e.to_string()),
        OidcError::Refused(detail) => {
            tracing::warn!(error = %detail, "single sign-on refused");
            AppError::Forbidden(e.to_string())
        }
        OidcError::Unreachable(detail) => AppError::Unavailable(detail.clone()),
    }
}

/// The callback's absolute URL: under `PUBLIC_URL`, or else the address
/// the browser used (`Host`). A forged `Host` gains nothing: the provider
/// sends its answer only to a redirect URI registered for the client.
fn callback_url(state: &AppState, headers: &HeaderMap) -> String {
    let base = state.config.public_url.clone().unwrap_or_else(|| {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    });
    format!("{base}{}login/oidc/callback/", state.prefix())
}

/// `GET /login/oidc/`: begins a sign-in at the provider.
#[tracing::instrument(skip_all)]
pub async fn begin(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Query(q): Query<BeginQuery>,
) -> Result<Response, AppError> {
    let Some(oidc) = &state.oidc else {
        return Err(AppError::NotFound("Page not found.".to_owned()));
    };
    let next = safe_next(&state, q.next.as_deref());
    let redirect = callback_url(&state, &headers);
    let (url, pending) = oidc.begin(next, &redirect).await.map_err(|e| refused(&e))?;
    viewer.session.update(|d| d.oidc = Some(pending));
    Ok(Redirect::to(&url).into_response())
}

/// `GET /login/oidc/callback/`: the provider's answer.
#[tracing::instrument(skip_all)]
pub async fn callback(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, AppError> {
    let Some(oidc) = &state.oidc else {
        return Err(AppError::NotFound("Page not found.".to_owned()));
    };
    // Taken out whatever happens next: each answer is used once.
    let pending = viewer.session.update(|d| d.oidc.take());
    if q.error.is_some() {
        return Err(AppError::Forbidden(
            "The single sign-on provider did not sign you in.".to_owned(),
        ));
    }
    let (Some(pending), Some(answer_state), Some(code)) = (pending, q.state, q.code) else {
        return Err(refused(&OidcError::Mismatch));
    };
    let who = oidc
        .finish(&pending, &answer_state, &code)
        .await
        .map_err(|e| refused(&e))?;
    let settings = oidc.settings();
    let adopt = match settings.match_claim {
        MatchClaim::PreferredUsername => Adopt::Username,
        MatchClaim::Email => Adopt::Email,
        MatchClaim::Sub => Adopt::Never,
    };
    let (user, created) = provision_with(&state.chat.store, &settings.issuer, &who, adopt).await?;
    if created {
        for slug in &settings.auto_join {
            if let Err(e) =
                crate::service::accounts::add_member(&state.chat.store, slug, &user.username, None)
                    .await
            {
                tracing::warn!(room = %slug, error = %e, "joining a room after single sign-on failed");
            }
        }
    }
    auth::log_in(&viewer.session, &user);
    tracing::info!(user = %user.username, created, "signed in through single sign-on");
    Ok(Redirect::to(&pending.next).into_response())
}
