//! Reading forms: url-encoded and multipart, strictly.
//!
//! axum's `Form` decodes invalid UTF-8 lossily and accepts repeated fields;
//! here both are refused with a clear sentence, and every field is bounded.

use super::session::Session;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;

use super::error::AppError;
use super::state::AppState;
use super::{body_timeout, csrf};
use crate::domain::file_name::clean_file_name;
pub use crate::domain::text::human_bytes;
use crate::files::{FileError, StoredFile};
use axum::body::Bytes;

/// Largest text field accepted in a multipart form, bytes.
const MAX_TEXT_FIELD_BYTES: usize = 256 * 1024;

/// The fields of a url-encoded form, each present at most once.
#[derive(Debug, Default, Clone)]
pub struct FormData {
    fields: Vec<(String, String)>,
}

impl FormData {
    /// Parses a url-encoded body.
    ///
    /// # Errors
    /// `BadRequest` for invalid UTF-8 or a repeated field.
    pub fn parse(body: &[u8]) -> Result<Self, AppError> {
        let mut fields: Vec<(String, String)> = Vec::new();
        for pair in body.split(|b| *b == b'&').filter(|p| !p.is_empty()) {
            let (k, v) = match pair.iter().position(|b| *b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            let key = decode(k)?;
            let value = decode(v)?;
            if fields.iter().any(|(existing, _)| *existing == key) {
                return Err(AppError::BadRequest(format!(
                    "The field '{}' was sent more than once.",
                    printable(&key)
                )));
            }
            fields.push((key, value));
        }
        Ok(Self { fields })
    }

    /// A field's value.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether a checkbox is ticked.
    #[must_use]
    pub fn checked(&self, name: &str) -> bool {
        matches!(self.get(name), Some(v) if !v.is_empty() && v != "false" && v != "0" && v != "off")
    }

    /// A field that must be there.
    ///
    /// # Errors
    /// `BadRequest` naming the field when it is missing.
    pub fn required(&self, name: &str) -> Result<&str, AppError> {
        self.get(name)
            .ok_or_else(|| AppError::BadRequest(format!("The field '{name}' is required.")))
    }

    /// A field that must be there and hold a message id ([`parse_id`]).
    ///
    /// # Errors
    /// `BadRequest` naming the field when it is missing or not an id.
    pub fn required_id(&self, name: &str) -> Result<i64, AppError> {
        parse_id(self.required(name)?, name)
    }

    fn insert(&mut self, key: String, value: String) -> Result<(), AppError> {
        if self.get(&key).is_some() {
            return Err(AppError::BadRequest(format!(
                "The field '{}' was sent more than once.",
                printable(&key)
            )));
        }
        self.fields.push((key, value));
        Ok(())
    }
}

fn printable(key: &str) -> String {
    key.chars().filter(|c| !c.is_control()).take(40).collect()
}

fn decode(raw: &[u8]) -> Result<String, AppError> {
    // Most fields (ids, flags, tokens) have nothing to decode.
    let bytes = if raw.iter().any(|b| matches!(b, b'+' | b'%')) {
        let plus_as_space: Vec<u8> = raw
            .iter()
            .map(|b| if *b == b'+' { b' ' } else { *b })
            .collect();
        percent_encoding::percent_decode(&plus_as_space).collect()
    } else {
        raw.to_vec()
    };
    String::from_utf8(bytes).map_err(|_| {
        AppError::BadRequest("The form contains text that is not valid UTF-8.".to_owned())
    })
}

/// Whether the request's `Content-Type` is `mime` (any parameters, any case).
pub(crate) fn has_content_type(request: &Request, mime: &str) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.as_bytes().get(..mime.len()))
        .is_some_and(|start| start.eq_ignore_ascii_case(mime.as_bytes()))
}

impl FromRequest<AppState> for FormData {
    type Rejection = AppError;

    async fn from_request(request: Request, _state: &AppState) -> Result<Self, Self::Rejection> {
        if !has_content_type(&request, "application/x-www-form-urlencoded") {
            return Err(AppError::BadRequest(
                "Expected a form (application/x-www-form-urlencoded).".to_owned(),
            ));
        }
        Self::parse(&read_form_body(request.into_body()).await?)
    }
}

/// Reads a url-encoded body of at most [`csrf::MAX_FORM_BYTES`]. Frame by
/// frame rather than through `axum::body::to_bytes`, whose limit and
/// collector wrap the body twice more; a body that came in one frame (a
/// form almost always does) is handed on without a copy.
///
/// # Errors
/// `TooLarge` over the limit, `Timeout` when the client stopped sending,
/// `BadRequest` when the body broke off.
pub(crate) async fn read_form_body(mut body: axum::body::Body) -> Result<Bytes, AppError> {
    use http_body::Body as _;
    use http_body_util::BodyExt as _;
    // A declared length over the limit is refused before anything arrives.
    if body.size_hint().lower() > csrf::MAX_FORM_BYTES as u64 {
        return Err(AppError::TooLarge("The form is too large.".to_owned()));
    }
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut size = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| {
            if body_timeout::timed_out(&e) {
                timeout_error()
            } else {
                AppError::BadRequest(
                    "The form could not be read; it may have been interrupted.".to_owned(),
                )
            }
        })?;
        if let Ok(data) = frame.into_data() {
            size += data.len();
            if size > csrf::MAX_FORM_BYTES {
                return Err(AppError::TooLarge("The form is too large.".to_owned()));
            }
            chunks.push(data);
        }
    }
    Ok(if chunks.len() == 1 {
        chunks.swap_remove(0)
    } else {
        Bytes::from(chunks.concat())
    })
}

fn timeout_error() -> AppError {
    AppError::Timeout(
        "The request stopped arriving before it was complete. Please try again.".to_owned(),
    )
}

/// A form that may carry one uploaded file (the send form).
#[derive(Debug, Default)]
pub struct UploadForm {
    pub fields: FormData,
    /// The stored file and its cleaned display name.
    pub file: Option<(StoredFile, String)>,
}

/// A send form refused, with the text typed in it when it can be handed
/// back: the page without JavaScript shows it again instead of losing it.
#[derive(Debug)]
pub struct UploadRefused {
    pub error: AppError,
    /// The `content` field, when it was read and the form's token matched
    /// (so a page only ever hands back what its own user typed).
    pub draft: Option<String>,
}

impl From<UploadRefused> for AppError {
    fn from(refused: UploadRefused) -> Self {
        refused.error
    }
}

impl From<AppError> for UploadRefused {
    fn from(error: AppError) -> Self {
        Self { error, draft: None }
    }
}

/// How much of an upload refused for its declared length is read for the
/// text fields before its file (a browser sends them first), and how long
/// the refusal may wait for them.
const DRAFT_PEEK_BYTES: usize = 64 * 1024;
const DRAFT_PEEK_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// Reads the send form: url-encoded, or multipart with an optional `file`
/// streamed straight to storage. The CSRF token is checked before the
/// caller can commit anything; on any failure no stored file is left.
///
/// `keep_draft` (the page's form, not the API): a refusal for size carries
/// the typed text back, even when the declared length is refused before
/// the file is read.
///
/// # Errors
/// `BadRequest`, `TooLarge`, `Forbidden` (bad token) or storage failures.
pub async fn read_upload(
    state: &AppState,
    session: &Session,
    request: Request,
    keep_draft: bool,
    limit: u64,
) -> Result<UploadForm, UploadRefused> {
    let verified = request.extensions().get::<csrf::Verified>().is_some();
    if !has_content_type(&request, "multipart/form-data") {
        let fields = FormData::from_request(request, state).await?;
        return Ok(UploadForm { fields, file: None });
    }
    // Refused before a byte of the body is read: a declared length over
    // the limit, and a boundary longer than multipart allows.
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > upload_body_limit(limit)) {
        let fields = if keep_draft {
            tokio::time::timeout(DRAFT_PEEK_WAIT, fields_before_file(state, request))
                .await
                .ok()
                .flatten()
        } else {
            None
        };
        return Err(UploadRefused {
            error: too_large(limit),
            draft: fields.and_then(|f| draft_of(session, &f)),
        });
    }
    if boundary_of(&request).is_some_and(|b| b.len() > MAX_BOUNDARY_CHARS) {
        return Err(AppError::BadRequest(format!(
            "The upload's multipart boundary is longer than {MAX_BOUNDARY_CHARS} characters."
        ))
        .into());
    }
    let mut multipart = Multipart::from_request(request, state).await.map_err(|e| {
        AppError::BadRequest(format!("The upload could not be read: {}.", e.body_text()))
    })?;
    let mut form = UploadForm::default();
    let result = read_parts(state, &mut multipart, &mut form, limit).await;
    let token_ok =
        verified || csrf::matches(session, form.fields.get(csrf::FIELD).unwrap_or_default());
    if (result.is_err() || !token_ok)
        && let Some((file, _)) = form.file.take()
    {
        let _ = state.files.delete(&file.key).await;
    }
    if let Err(error) = result {
        let draft = (keep_draft && matches!(error, AppError::TooLarge(_)))
            .then(|| draft_of(session, &form.fields))
            .flatten();
        return Err(UploadRefused { error, draft });
    }
    if !token_ok {
        return Err(AppError::Forbidden(
            "The form's security token is missing or out of date. Please reload the page and try again.".to_owned(),
        )
        .into());
    }
    Ok(form)
}

/// The draft typed in a refused form, if its token is this session's.
fn draft_of(session: &Session, fields: &FormData) -> Option<String> {
    csrf::matches(session, fields.get(csrf::FIELD).unwrap_or_default())
        .then(|| fields.get("content").map(str::to_owned))
        .flatten()
}

/// The text fields of an upload refused for its declared length, read from
/// the start of its body up to the file, which is never read. `None` when
/// they do not stand in the first [`DRAFT_PEEK_BYTES`].
async fn fields_before_file(state: &AppState, request: Request) -> Option<FormData> {
    use futures_util::StreamExt as _;
    let (mut parts, body) = request.into_parts();
    let mut stream = body.into_data_stream();
    let mut head = Vec::new();
    while head.len() < DRAFT_PEEK_BYTES {
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            _ => break,
        }
    }
    // The body seen is only its start: its declared length no longer holds.
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let request = Request::from_parts(parts, axum::body::Body::from(head));
    let mut multipart = Multipart::from_request(request, state).await.ok()?;
    let mut fields = FormData::default();
    while let Ok(Some(field)) = multipart.next_field().await {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            return Some(fields);
        }
        let value = field.text().await.ok()?;
        fields.insert(name, value).ok()?;
    }
    Some(fields)
}

async fn read_parts(
    state: &AppState,
    multipart: &mut Multipart,
    form: &mut UploadForm,
    limit: u64,
) -> Result<(), AppError> {
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(()),
            Err(e) => return Err(multipart_read_error(&e, limit)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            let file_name = field.file_name().map(str::to_owned).unwrap_or_default();
            if form.file.is_some() {
                return Err(AppError::BadRequest(
                    "Only one file can be attached to a message.".to_owned(),
                ));
            }
            let stored = state.files.store(field, limit).await.map_err(|e| match e {
                FileError::TooLarge { limit } => AppError::TooLarge(format!(
                    "The file is larger than the limit of {}.",
                    human_bytes(limit)
                )),
                FileError::Interrupted(detail) => multipart_error(&detail, limit),
                FileError::Io(e) if e.kind() == std::io::ErrorKind::StorageFull => {
                    AppError::StorageFull(format!("storing an upload failed: {e}"))
                }
                FileError::Io(e) => AppError::Unavailable(format!("storing an upload failed: {e}")),
            })?;
            if stored.size == 0 && file_name.is_empty() {
                // An empty file input in a plain HTML form: no file chosen.
                let _ = state.files.delete(&stored.key).await;
                continue;
            }
            form.file = Some((stored, clean_file_name(&file_name)));
        } else {
            let mut bytes = Vec::new();
            let mut field = field;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
                            return Err(AppError::TooLarge(format!(
                                "The field '{}' is too large.",
                                printable(&name)
                            )));
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => return Err(multipart_read_error(&e, limit)),
                }
            }
            let value = String::from_utf8(bytes).map_err(|_| {
                AppError::BadRequest("The form contains text that is not valid UTF-8.".to_owned())
            })?;
            form.fields.insert(name, value)?;
        }
    }
}

fn multipart_read_error(error: &axum::extract::multipart::MultipartError, limit: u64) -> AppError {
    if body_timeout::timed_out(error) {
        timeout_error()
    } else {
        multipart_error(&error.body_text(), limit)
    }
}

/// The longest multipart boundary (RFC 2046, section 5.1.1).
pub const MAX_BOUNDARY_CHARS: usize = 70;

/// The most an upload request's body may hold: the file limit plus room
/// for the form's other fields and the multipart framing.
#[must_use]
pub fn upload_body_limit(max_upload_bytes: u64) -> u64 {
    max_upload_bytes.saturating_add(1 << 20)
}

/// The `boundary` parameter of a multipart request's content type.
fn boundary_of(request: &Request) -> Option<&str> {
    let content_type = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| value.trim().trim_matches('"'))
    })
}

fn too_large(limit: u64) -> AppError {
    AppError::TooLarge(format!(
        "The upload is larger than the limit of {}.",
        human_bytes(limit)
    ))
}

fn multipart_error(detail: &str, limit: u64) -> AppError {
    if detail.contains(&body_timeout::BodyTimedOut.to_string()) {
        timeout_error()
    } else if detail.contains("limit") || detail.contains("too large") {
        too_large(limit)
    } else {
        AppError::BadRequest(
            "The upload could not be read; it may have been interrupted.".to_owned(),
        )
    }
}

/// Parses a message id from a form or query field.
///
/// # Errors
/// `BadRequest` naming the field.
pub fn parse_id(raw: &str, field: &str) -> Result<i64, AppError> {
    match raw.trim().parse::<i64>() {
        Ok(n) if n >= 0 => Ok(n),
        _ => Err(AppError::BadRequest(format!(
            "The field '{field}' must be a message id (a whole number, 0 or more)."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes() {
        let f = FormData::parse(b"a=1+2&b=%C3%A9&c").expect("valid");
        assert_eq!(f.get("a"), Some("1 2"));
        assert_eq!(f.get("b"), Some("é"));
        assert_eq!(f.get("c"), Some(""));
    }

    #[test]
    fn refuses_invalid_utf8_and_repeats() {
        assert!(FormData::parse(b"a=%FF").is_err());
        assert!(
            FormData::parse(b"a=\xFF").is_err(),
            "raw, with nothing to decode"
        );
        assert!(FormData::parse(b"a=1&a=2").is_err());
    }

    #[test]
    fn content_types_match_by_prefix_in_any_case() {
        let with = |value: &str| {
            Request::builder()
                .header(header::CONTENT_TYPE, value)
                .body(axum::body::Body::empty())
                .expect("request")
        };
        let form = "application/x-www-form-urlencoded";
        assert!(has_content_type(&with(form), form));
        assert!(has_content_type(
            &with("Application/X-WWW-Form-Urlencoded; charset=UTF-8"),
            form
        ));
        assert!(!has_content_type(&with("text/plain"), form));
        assert!(!has_content_type(&with("application/x"), form));
        let none = Request::builder()
            .body(axum::body::Body::empty())
            .expect("request");
        assert!(!has_content_type(&none, form));
    }
}
