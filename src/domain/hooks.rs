//! What an incoming webhook's body says: the text to post.
//!
//! Accepted shapes: JSON `{"text": "…"}`; a form with `text=…`; and what
//! Slack's incoming webhooks take, so scripts written for Slack work
//! unchanged: a form field `payload` holding that JSON, `attachments`
//! (their `pretext`, `text` or `fallback`) or `blocks` (their `text.text`)
//! when there is no `text`, and Slack's markup (`<url|label>` links,
//! `<!channel>`, `&amp;`-escaped `&`, `<`, `>`) turned into Markdown.

use serde_json::Value;

/// What a body that is not JSON nor a form is told.
pub const WHICH_SHAPES: &str = "Send JSON like {\"text\": \"…\"} or a form with the field text.";

/// The text of a JSON body.
///
/// # Errors
/// A sentence when the body is not JSON or carries no text.
pub fn text_of_json(body: &[u8]) -> Result<String, String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("The body is not valid JSON ({e}). {WHICH_SHAPES}"))?;
    text_of_value(&value)
}

/// The text of a url-encoded form body: `text`, or Slack's `payload`.
///
/// # Errors
/// A sentence when the form cannot be read or carries no text.
pub fn text_of_form(body: &[u8]) -> Result<String, String> {
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|_| format!("The form could not be read. {WHICH_SHAPES}"))?;
    let field = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v);
    if let Some(text) = field("text") {
        return Ok(text.clone());
    }
    match field("payload") {
        Some(payload) => text_of_json(payload.as_bytes()),
        None => Err(format!("The form has no field text. {WHICH_SHAPES}")),
    }
}

fn text_of_value(value: &Value) -> Result<String, String> {
    let Value::Object(map) = value else {
        return Err(format!("The JSON must be an object. {WHICH_SHAPES}"));
    };
    match map.get("text") {
        Some(Value::String(text)) if !text.trim().is_empty() => return Ok(from_slack(text)),
        Some(Value::String(_) | Value::Null) | None => {}
        Some(_) => return Err("The field text must be a string.".to_owned()),
    }
    let mut parts = Vec::new();
    if let Some(Value::Array(attachments)) = map.get("attachments") {
        for a in attachments {
            let part = ["pretext", "text", "fallback"]
                .iter()
                .filter_map(|k| a.get(k).and_then(Value::as_str))
                .find(|t| !t.trim().is_empty());
            parts.extend(part);
        }
    }
    if let Some(Value::Array(blocks)) = map.get("blocks") {
        parts.extend(
            blocks
                .iter()
                .filter_map(|b| b.get("text")?.get("text")?.as_str()),
        );
    }
    if parts.is_empty() {
        return Err(format!("The JSON has no text. {WHICH_SHAPES}"));
    }
    Ok(from_slack(&parts.join("\n\n")))
}

/// Slack's markup as Markdown: `<url|label>` → `[label](url)`, `<url>` →
/// the URL, `<!channel>` (and `here`, `everyone`) → `@everyone`, and the
/// three escaped characters back. Other `<…>` (user ids) stay as they are.
#[must_use]
pub fn from_slack(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = &after[..end];
        let (target, label) = inner.split_once('|').unwrap_or((inner, ""));
        if ["http://", "https://", "mailto:"]
            .iter()
            .any(|s| target.starts_with(s))
        {
            if label.is_empty() {
                out.push_str(target);
            } else {
                out.push_str(&format!("[{label}]({target})"));
            }
        } else if matches!(target, "!channel" | "!here" | "!everyone") {
            out.push_str("@everyone");
        } else {
            out.push('<');
            out.push_str(inner);
            out.push('>');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_is_taken_as_it_is() {
        assert_eq!(
            text_of_json(br#"{"text": "hi *there*"}"#).as_deref(),
            Ok("hi *there*")
        );
        assert!(text_of_json(b"{\"text\": ").is_err());
        assert!(text_of_json(b"[1]").is_err());
        assert!(text_of_json(br#"{"text": 5}"#).is_err());
        assert!(text_of_json(br#"{"username": "x"}"#).is_err());
    }

    #[test]
    fn forms_take_text_or_slacks_payload() {
        assert_eq!(text_of_form(b"text=a+b%21").as_deref(), Ok("a b!"));
        assert_eq!(
            text_of_form(b"payload=%7B%22text%22%3A%22hey%22%7D").as_deref(),
            Ok("hey")
        );
        assert!(text_of_form(b"other=1").is_err());
    }

    #[test]
    fn slack_attachments_and_blocks_give_text() {
        let body = br#"{"attachments": [{"fallback": "build failed", "color": "danger"}],
                        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "see log"}}]}"#;
        assert_eq!(text_of_json(body).as_deref(), Ok("build failed\n\nsee log"));
    }

    #[test]
    fn slack_markup_becomes_markdown() {
        assert_eq!(
            from_slack("see <https://x.example/a?b=1&amp;c=2|the log> &lt;3 <!here>"),
            "see [the log](https://x.example/a?b=1&c=2) <3 @everyone"
        );
        assert_eq!(from_slack("<https://x.example>"), "https://x.example");
        assert_eq!(from_slack("a < b"), "a < b");
        assert_eq!(from_slack("<@U123>"), "<@U123>");
    }
}
