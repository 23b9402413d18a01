//! Administration of invitations and password reset links: the newest of
//! each with their uses, making an invitation, withdrawing either.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{Value, context};

use super::{form_error, notice_text, redirect};
use crate::domain::links::Invitation;
use crate::domain::{self, links};
use crate::service::invitations::{self, InvitationRequest};
use crate::service::{ServiceError, accounts, reset};
use crate::web::auth::AdminUser;
use crate::web::error::AppError;
use crate::web::forms::{FormData, parse_id};
use crate::web::pages::page;
use crate::web::state::AppState;

/// Query of the invitations page: a notice, and the token of an invitation
/// just made (its link is shown this once).
#[derive(Debug, serde::Deserialize)]
pub struct LinksQuery {
    done: Option<String>,
    token: Option<String>,
}

fn when(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

async fn links_ctx(state: &AppState) -> Result<Value, AppError> {
    let now = domain::now();
    let (invitations, uses) = invitations::list(&state.chat).await?;
    let invitations: Vec<Value> = invitations
        .iter()
        .map(|i| {
            let used_by: Vec<Value> = uses
                .iter()
                .filter(|u| u.invitation_id == i.id)
                .map(|u| context! { username => u.username.clone(), when => when(u.at) })
                .collect();
            let rooms: Vec<String> = i.rooms.iter().map(|(_, s)| s.clone()).collect();
            let state = i.state(now);
            context! {
                id => i.id, created => when(i.created_at), expires => when(i.expires_at),
                by => i.created_by_name.clone(), uses => i.uses, max_uses => i.max_uses,
                email => i.email.clone(), rooms, used_by, state => state.words(),
                usable => state == links::LinkState::Usable,
            }
        })
        .collect();
    let resets: Vec<Value> = reset::list(&state.chat.store)
        .await?
        .iter()
        .map(|r| {
            let state = r.state(now);
            context! {
                id => r.id, username => r.username.clone(), created => when(r.created_at),
                expires => when(r.expires_at), used => r.used_at.map(when), state => state.words(),
                usable => state == links::LinkState::Usable,
            }
        })
        .collect();
    let rooms: Vec<Value> = accounts::list_rooms(&state.chat.store)
        .await?
        .iter()
        .map(|r| context! { slug => r.slug.clone(), title => r.title.clone() })
        .collect();
    Ok(context! {
        title => "Invitations and password resets", invitations, resets, all_rooms => rooms,
        default_expires => invitations::DEFAULT_LIFETIME,
    })
}

/// The full link of an invitation just made, if `token` names a usable one.
async fn new_link(state: &AppState, token: Option<&str>) -> Result<Option<String>, AppError> {
    let Some(token) = token else {
        return Ok(None);
    };
    let found: Result<Invitation, ServiceError> = invitations::usable(&state.chat, token).await;
    Ok(found.ok().map(|_| {
        format!(
            "{}{}",
            state.config.base_url(),
            crate::urls::invitation(state.prefix(), token)
        )
    }))
}

/// `GET /admin/invitations/`
pub async fn invitations(
    State(state): State<AppState>,
    admin: AdminUser,
    Query(q): Query<LinksQuery>,
) -> Result<Response, AppError> {
    let ctx = links_ctx(&state).await?;
    let link = new_link(&state, q.token.as_deref()).await?;
    page(
        &state,
        &admin.viewer,
        "conversate/admin/invitations.html",
        context! { notice => notice_text(q.done.as_deref()), link, form => (), ..ctx },
    )
    .await
}

/// `POST /admin/invitations/`: `rooms` (slugs, apart by spaces or commas), `uses`, `expires`
/// (`7d`, `12h`, `30m`), `email`, `send` (e-mail the link to `email`). Goes
/// back to the list (303), which shows the new link once, unless it was
/// e-mailed.
pub async fn create_invitation(
    State(state): State<AppState>,
    admin: AdminUser,
    form: FormData,
) -> Result<Response, AppError> {
    let uses = form.get("uses").map(str::trim).filter(|u| !u.is_empty());
    let parsed_uses = match uses.map(str::parse::<i64>).transpose() {
        Ok(u) => Ok(u),
        Err(_) => Err(ServiceError::Invalid(
            "The number of uses must be a whole number.".to_owned(),
        )),
    };
    let request = |uses| InvitationRequest {
        rooms: form
            .get("rooms")
            .unwrap_or_default()
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        uses,
        expires: form.get("expires").map(str::to_owned),
        email: form.get("email").map(str::to_owned),
        send: form.get("send").is_some(),
    };
    let result = match parsed_uses {
        Ok(uses) => admin.service(&state).create_invitation(request(uses)).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) if form.get("send").is_some() => Ok(Redirect::to(&format!(
            "{}?done=invitation-mailed",
            state.url("admin/invitations/")
        ))
        .into_response()),
        Ok(created) => Ok(Redirect::to(&format!(
            "{}?done=invitation-created&token={}",
            state.url("admin/invitations/"),
            created.token
        ))
        .into_response()),
        Err(e) => {
            let ctx = links_ctx(&state).await?;
            let form = context! {
                rooms => form.get("rooms").unwrap_or_default(),
                uses => form.get("uses").unwrap_or_default(),
                expires => form.get("expires").unwrap_or_default(),
                email => form.get("email").unwrap_or_default(),
                send => form.get("send").is_some(),
            };
            form_error(
                &state,
                &admin.viewer,
                "conversate/admin/invitations.html",
                context! { form, link => (), ..ctx },
                e,
            )
            .await
        }
    }
}

/// `POST /admin/invitations/{id}/revoke/`
pub async fn revoke_invitation(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    admin.service(&state).revoke_invitation(id).await?;
    Ok(redirect(&state, "admin/invitations/", "invitation-revoked"))
}

/// `POST /admin/resets/{id}/revoke/`
pub async fn revoke_reset(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = parse_id(&id, "id")?;
    admin.service(&state).revoke_reset(id).await?;
    Ok(redirect(&state, "admin/invitations/", "reset-revoked"))
}
