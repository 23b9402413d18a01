//! The send path's input handling: form decoding, message and client-id
//! validation, upload names. Any input is refused cleanly or accepted; no panics.
#![no_main]

use conversate::domain::file_name::{MAX_FILE_NAME_BYTES, clean_file_name};
use conversate::domain::text::{is_dropped_control, is_invisible};
use conversate::service::chat::validate_content;
use conversate::web::forms::FormData;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(form) = FormData::parse(data) else { return };
    let content = form.get("content").unwrap_or_default();
    if let Ok(clean) = validate_content(content, form.get("file").is_some(), 10_000) {
        assert!(!clean.contains('\0'));
        assert!(!clean.chars().any(is_dropped_control));
        assert!(clean.chars().count() <= 10_000);
    }
    if let Some(name) = form.get("file") {
        let name = clean_file_name(name);
        assert!(!name.is_empty() && !name.contains('/') && !name.contains('\\'));
        assert!(!name.chars().any(|c| c.is_control() || is_invisible(c)));
        assert!(name.len() <= MAX_FILE_NAME_BYTES);
    }
    let _ = form.checked("hasFocus");
});
