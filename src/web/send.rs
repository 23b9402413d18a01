//! Sending a message: the form (`pages::room::send`) and the JSON API
//! (`api::send`) are twins over these.

use crate::domain::Attachment;
use crate::service::chat::{Access, Draft};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Refuses a member who sends too fast, before anything is read or stored.
///
/// # Errors
/// `TooManyRequests`, with the wait until the next send is let through.
pub async fn check_send_rate(state: &AppState, access: &Access) -> Result<(), AppError> {
    state
        .throttle
        .send(access.user.id)
        .await
        .map_err(|wait| AppError::TooManyRequests {
            message: "You are sending messages too fast. Please wait a moment and try again."
                .to_owned(),
            wait,
        })
}

/// Turns an upload form into a posted message; a stored file is removed
/// again if the message cannot be stored.
///
/// # Errors
/// Validation or storage failures.
pub async fn post_draft(
    state: &AppState,
    access: &Access,
    form: crate::web::forms::UploadForm,
    has_focus: bool,
) -> Result<crate::store::Posted, AppError> {
    let file = form.file.as_ref().map(|(stored, name)| Attachment {
        name: name.clone(),
        size: i64::try_from(stored.size).unwrap_or(i64::MAX),
        content_type: stored.content_type.clone(),
        key: stored.key.clone(),
    });
    let reply_to = match form.fields.get("reply_to").map(str::trim) {
        Some(raw) if !raw.is_empty() => Some(crate::web::forms::parse_id(raw, "reply_to")?),
        _ => None,
    };
    let draft = Draft {
        content: form.fields.get("content").unwrap_or_default().to_owned(),
        file,
        client_id: form.fields.get("client_id").map(str::to_owned),
        has_focus,
        reply_to,
    };
    Ok(state.chat.post_upload(&state.files, access, draft).await?)
}
