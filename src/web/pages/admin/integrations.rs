//! Administration of integrations: bot accounts with their API tokens and
//! outgoing webhooks, and incoming webhooks. Secrets are shown once, on the answer to the form
//! that made them (200, not a redirect: see `pages::tokens`).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use minijinja::{Value, context};

use super::{Notice, form_error, notice_text, redirect};
use crate::service::{ServiceError, accounts, tokens};
use crate::web::auth::AdminUser;
use crate::web::error::AppError;
use crate::web::forms::FormData;
use crate::web::pages::page;
use crate::web::pages::tokens::{request_of, token_view, when};
use crate::web::state::AppState;

const TEMPLATE: &str = "conversate/admin/integrations.html";
const HERE: &str = "admin/integrations/";

async fn context_of(state: &AppState, admin: &AdminUser) -> Result<Value, AppError> {
    let service = admin.service(state);
    let outgoing = service.outgoing_hooks().await?;
    let mut bots = Vec::new();
    for bot in service.bots().await? {
        let list = tokens::list(&state.chat.store, bot.user_id).await?;
        let hook = outgoing.iter().find(|h| h.bot_id == bot.user_id).map(|h| {
            context! {
                url => h.url.clone(),
                set => when(h.created_at),
                last_attempt => h.last_attempt_at.map(when),
                last_status => h.last_status,
                last_error => h.last_error.clone(),
            }
        });
        bots.push(context! {
            outgoing => hook,
            username => bot.username,
            owner => bot.owner,
            created => when(bot.created_at),
            tokens => list.iter().map(token_view).collect::<Vec<_>>(),
        });
    }
    let hooks: Vec<Value> = service
        .hooks()
        .await?
        .iter()
        .map(|h| {
            context! {
                id => h.id,
                name => h.name.clone(),
                room => h.room_slug.clone(),
                bot => h.bot_name.clone(),
                created => when(h.created_at),
                last_used => h.last_used_at.map(when),
                revoked => h.revoked_at.map(when),
            }
        })
        .collect();
    let rooms: Vec<String> = accounts::list_rooms(&state.chat.store)
        .await?
        .into_iter()
        .map(|r| r.slug)
        .collect();
    Ok(context! { title => "Integrations", bots, hooks, rooms })
}

async fn show_with(
    state: &AppState,
    admin: &AdminUser,
    extra: Value,
) -> Result<Response, AppError> {
    let ctx = context_of(state, admin).await?;
    page(
        state,
        &admin.viewer,
        TEMPLATE,
        minijinja::value::merge_maps([extra, ctx]),
    )
    .await
}

async fn refused(
    state: &AppState,
    admin: &AdminUser,
    e: ServiceError,
) -> Result<Response, AppError> {
    let ctx = context_of(state, admin).await?;
    form_error(state, &admin.viewer, TEMPLATE, ctx, e).await
}

/// `GET /admin/integrations/`
pub async fn show(
    State(state): State<AppState>,
    admin: AdminUser,
    Query(n): Query<Notice>,
) -> Result<Response, AppError> {
    show_with(
        &state,
        &admin,
        context! { notice => notice_text(n.done.as_deref()) },
    )
    .await
}

/// `POST /admin/integrations/bots/`: field `username`; `303` back.
pub async fn create_bot(
    State(state): State<AppState>,
    admin: AdminUser,
    form: FormData,
) -> Result<Response, AppError> {
    let username = form.get("username").unwrap_or_default();
    match admin.service(&state).create_bot(username).await {
        Ok(_) => Ok(redirect(&state, HERE, "bot-created")),
        Err(e) => refused(&state, &admin, e).await,
    }
}

/// `POST /admin/integrations/bots/{username}/tokens/`: fields as a
/// personal token's; answers the page with the token shown once.
pub async fn create_bot_token(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(username): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let service = admin.service(&state);
    let bot = service.bot(&username).await?;
    let request = request_of(&form);
    match service
        .create_bot_token(&bot, &request, state.config.limits.tokens_per_user)
        .await
    {
        Ok(issued) => {
            show_with(
                &state,
                &admin,
                context! { new_token => issued.token, new_token_bot => bot.username },
            )
            .await
        }
        Err(e) => refused(&state, &admin, e).await,
    }
}

/// `POST /admin/integrations/bots/{username}/tokens/revoke/`: field `id`.
pub async fn revoke_bot_token(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(username): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let service = admin.service(&state);
    let bot = service.bot(&username).await?;
    let id = form.required_id("id")?;
    service.revoke_bot_token(&bot, id).await?;
    Ok(redirect(&state, HERE, "token-revoked"))
}

/// `POST /admin/integrations/bots/{username}/outgoing/`: field `url`;
/// answers the page with the signing secret shown once, or `303` back
/// when an empty URL took the webhook away.
pub async fn set_outgoing_hook(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(username): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let service = admin.service(&state);
    let bot = service.bot(&username).await?;
    let url = form.get("url").unwrap_or_default();
    match service
        .set_outgoing_hook(&state.outbound, &bot.username, url)
        .await
    {
        Ok(Some(secret)) => {
            show_with(
                &state,
                &admin,
                context! { new_outgoing_secret => secret.0, new_token_bot => bot.username },
            )
            .await
        }
        Ok(None) => Ok(redirect(&state, HERE, "outgoing-removed")),
        Err(e) => refused(&state, &admin, e).await,
    }
}

/// `POST /admin/integrations/hooks/`: fields `room`, `bot`, `name`;
/// answers the page with the webhook's address shown once.
pub async fn create_hook(
    State(state): State<AppState>,
    admin: AdminUser,
    form: FormData,
) -> Result<Response, AppError> {
    let result = admin
        .service(&state)
        .create_hook(
            form.get("room").unwrap_or_default(),
            form.get("bot").unwrap_or_default(),
            form.get("name").unwrap_or_default(),
        )
        .await;
    match result {
        Ok(issued) => {
            let path = state.url(&format!("hooks/{}/", issued.token));
            let address = match &state.config.public_url {
                Some(public) => format!("{}{}", public.trim_end_matches('/'), path),
                None => path,
            };
            show_with(&state, &admin, context! { new_hook => address }).await
        }
        Err(e) => refused(&state, &admin, e).await,
    }
}

/// `POST /admin/integrations/hooks/revoke/`: field `id`; `303` back.
pub async fn revoke_hook(
    State(state): State<AppState>,
    admin: AdminUser,
    form: FormData,
) -> Result<Response, AppError> {
    let id = form.required_id("id")?;
    admin.service(&state).revoke_hook(id).await?;
    Ok(redirect(&state, HERE, "hook-revoked"))
}
