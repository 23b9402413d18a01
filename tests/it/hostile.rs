//! Hostile input, table-driven: each case either gets a clear error and
//! stores nothing, or is stored and shown safely.

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{Browser, TestApp, stored_messages};

/// One hostile request.
enum Input {
    /// Message text through the JSON API.
    Message(&'static str),
    /// Message text that is long, built at run time.
    LongMessage(usize),
    /// Form fields to an API path.
    Api(&'static str, Vec<(&'static str, String)>),
    /// A raw body with a content type to a path (CSRF header included).
    Raw(&'static str, &'static str, Vec<u8>),
    /// A GET.
    Get(String),
    /// An admin form.
    Admin(&'static str, Vec<(&'static str, String)>),
}

/// What must come of it.
enum Expect {
    /// Stored, and the rendered HTML is free of anything script-capable.
    Safe,
    /// Refused with this status and nothing stored.
    Refused(StatusCode),
}

fn s(v: &str) -> String {
    v.to_owned()
}

fn cases() -> Vec<(&'static str, Input, Expect)> {
    use Expect::{Refused, Safe};
    use Input::{Admin, Api, Get, LongMessage, Message, Raw};
    let form = "application/x-www-form-urlencoded";
    vec![
        ("script tag", Message("<script>alert(1)</script>"), Safe),
        // Tables and fenced code: cells and info strings are user text too.
        (
            "table cells",
            Message(
                "| <script>x</script> | [a](javascript:alert(1)) |\n|:-|-:|\n| <img src=x onerror=y> | ![i](data:text/html,x) |",
            ),
            Safe,
        ),
        (
            "table alignment row only",
            Message("|a|\n|:-:|\n|\" onmouseover=\"x|"),
            Safe,
        ),
        (
            "info string breaks out",
            Message("```rust\" onmouseover=\"alert(1)\"><script>x</script>\nfn main() {}\n```"),
            Safe,
        ),
        (
            "info string of html with script",
            Message("```html\n<script>alert(1)</script><img src=x onerror=y>\n```"),
            Safe,
        ),
        (
            "info string javascript with markup",
            Message("```javascript\nlet s = '</code></pre><script>alert(1)</script>';\n```"),
            Safe,
        ),
        (
            "unterminated highlighted string",
            Message("```python\n\"\"\"<svg onload=alert(1)>\n```"),
            Safe,
        ),
        ("img onerror", Message("<img src=x onerror=alert(1)>"), Safe),
        ("svg onload", Message("<svg onload=alert(1)>"), Safe),
        (
            "iframe",
            Message("<iframe src=https://evil.example></iframe>"),
            Safe,
        ),
        ("object", Message("<object data=x></object>"), Safe),
        ("embed", Message("<embed src=x>"), Safe),
        (
            "style tag",
            Message("<style>body{display:none}</style>"),
            Safe,
        ),
        (
            "form tag",
            Message("<form action=https://evil.example><button>x</button></form>"),
            Safe,
        ),
        (
            "meta refresh",
            Message("<meta http-equiv=refresh content='0;url=https://evil.example'>"),
            Safe,
        ),
        (
            "base tag",
            Message("<base href=https://evil.example/>"),
            Safe,
        ),
        (
            "html comment",
            Message("<!-- <script>alert(1)</script> -->"),
            Safe,
        ),
        (
            "attribute breakout",
            Message("\"><script>alert(1)</script>"),
            Safe,
        ),
        (
            "markdown javascript link",
            Message("[click](javascript:alert(1))"),
            Safe,
        ),
        (
            "markdown JAVASCRIPT link",
            Message("[click](JaVaScRiPt:alert(1))"),
            Safe,
        ),
        (
            "markdown link with tab",
            Message("[click](java\tscript:alert(1))"),
            Safe,
        ),
        (
            "markdown link with entity",
            Message("[click](&#106;avascript:alert(1))"),
            Safe,
        ),
        (
            "markdown link with hex entity",
            Message("[click](&#x6A;avascript:alert(1))"),
            Safe,
        ),
        (
            "markdown data link",
            Message("[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)"),
            Safe,
        ),
        (
            "markdown vbscript link",
            Message("[click](vbscript:msgbox(1))"),
            Safe,
        ),
        (
            "markdown javascript image",
            Message("![x](javascript:alert(1))"),
            Safe,
        ),
        (
            "markdown data image",
            Message("![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)"),
            Safe,
        ),
        (
            "autolink javascript",
            Message("<javascript:alert(1)>"),
            Safe,
        ),
        (
            "reference link javascript",
            Message("[x][r]\n\n[r]: javascript:alert(1)"),
            Safe,
        ),
        (
            "link title breakout",
            Message("[x](https://example.com \"\\\" onmouseover=alert(1)\")"),
            Safe,
        ),
        (
            "entity-escaped script",
            Message("&lt;script&gt;alert(1)&lt;/script&gt;"),
            Safe,
        ),
        (
            "double-escaped entity",
            Message("&amp;lt;script&amp;gt;"),
            Safe,
        ),
        ("numeric entity NUL", Message("&#0;&#x0;"), Safe),
        ("emoji lone colon", Message(":"), Safe),
        ("emoji double colon", Message("::"), Safe),
        ("emoji unterminated", Message(":thumbsup"), Safe),
        ("emoji adjacent", Message(":+1::+1::thumbsup:"), Safe),
        ("emoji unknown", Message(":not_a_real_emoji_at_all:"), Safe),
        ("emoji with markup", Message(":<script>:"), Safe),
        (
            "emoji very long",
            Message(":aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:"),
            Safe,
        ),
        (
            "sql in content",
            Message("'; DROP TABLE messages; --"),
            Safe,
        ),
        (
            "sql union",
            Message("1 UNION SELECT password_hash FROM users"),
            Safe,
        ),
        ("deep quotes", LongMessage(0), Safe),
        (
            "over-long message",
            LongMessage(10_001),
            Refused(StatusCode::PAYLOAD_TOO_LARGE),
        ),
        (
            "NUL in message",
            Message("a\0b"),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "empty message",
            Message(""),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "whitespace message",
            Message(" \n\t "),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "zero-width-space message",
            Message("\u{200b}\u{200b}"),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "invisible-only message",
            Message("\u{feff}\u{2060} \u{200d}\n\u{202e}\u{ad}"),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "control-only message",
            Message("\x07\x1b\x7f\u{9b}\r"),
            Refused(StatusCode::BAD_REQUEST),
        ),
        ("terminal escapes", Message("a\x1b[31mb\r\nc\x07"), Safe),
        (
            "negative last",
            Api("general/api/poll/", vec![("last", s("-1"))]),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "huge last",
            Api(
                "general/api/poll/",
                vec![("last", s("9223372036854775808"))],
            ),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "max last",
            Api("general/api/poll/", vec![("last", i64::MAX.to_string())]),
            Expect::Refused(StatusCode::OK),
        ),
        (
            "float last",
            Api("general/api/poll/", vec![("last", s("1e3"))]),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "sql last",
            Api("general/api/poll/", vec![("last", s("0 OR 1=1"))]),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "negative first",
            Api("general/api/history/", vec![("first", s("-5"))]),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "huge wait",
            Api(
                "general/api/poll/",
                vec![("last", s("0")), ("wait", s("99999999999999999999"))],
            ),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "long client_id",
            Api(
                "general/api/send/",
                vec![("content", s("x")), ("client_id", "c".repeat(65))],
            ),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "client_id with spaces",
            Api(
                "general/api/send/",
                vec![("content", s("x")), ("client_id", s("a b"))],
            ),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "duplicate content",
            Raw("general/api/send/", form, b"content=a&content=b".to_vec()),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "duplicate last",
            Raw("general/api/poll/", form, b"last=0&last=1".to_vec()),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "invalid UTF-8 form",
            Raw("general/api/send/", form, b"content=%C3%28".to_vec()),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "raw invalid UTF-8 bytes",
            Raw("general/api/send/", form, b"content=\xff\xfe".to_vec()),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "JSON body",
            Raw(
                "general/api/send/",
                "application/json",
                br#"{"content":"x"}"#.to_vec(),
            ),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "text body",
            Raw("general/api/send/", "text/plain", b"content=x".to_vec()),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "truncated multipart",
            Raw(
                "general/api/send/",
                "multipart/form-data; boundary=XX",
                b"--XX\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nhello".to_vec(),
            ),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "multipart without boundary",
            Raw("general/api/send/", "multipart/form-data", b"x".to_vec()),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "sql slug",
            Get(s("general'%20OR%20'1'='1/")),
            Refused(StatusCode::NOT_FOUND),
        ),
        (
            "traversal slug",
            Get(s("..%2F..%2Fetc%2Fpasswd/")),
            Refused(StatusCode::NOT_FOUND),
        ),
        (
            "encoded slash slug",
            Get(s("%2F%2Fevil.example")),
            Refused(StatusCode::NOT_FOUND),
        ),
        (
            "bad before",
            Get(s("general/?before=-3")),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "huge file id",
            Get(s("general/file/99999999999999999999999/")),
            Refused(StatusCode::NOT_FOUND),
        ),
        (
            "negative file id",
            Get(s("general/file/-1/")),
            Refused(StatusCode::NOT_FOUND),
        ),
        (
            "script room title",
            Admin(
                "admin/rooms/",
                vec![
                    ("slug", s("xss")),
                    ("title", s("<script>alert(1)</script>")),
                ],
            ),
            Safe,
        ),
        (
            "script username",
            Admin(
                "admin/users/",
                vec![
                    ("username", s("<b>bold</b>")),
                    ("password", s("long enough pw")),
                    ("password2", s("long enough pw")),
                ],
            ),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "sql username",
            Admin(
                "admin/users/",
                vec![
                    ("username", s("x' OR '1'='1")),
                    ("password", s("long enough pw")),
                    ("password2", s("long enough pw")),
                ],
            ),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "long room title",
            Admin(
                "admin/rooms/",
                vec![("slug", s("long")), ("title", "t".repeat(201))],
            ),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "reserved slug",
            Admin(
                "admin/rooms/",
                vec![("slug", s("api")), ("title", s("API"))],
            ),
            Refused(StatusCode::BAD_REQUEST),
        ),
        (
            "bad email",
            Admin(
                "admin/users/",
                vec![
                    ("username", s("eve")),
                    ("email", s("eve@<script>")),
                    ("password", s("long enough pw")),
                    ("password2", s("long enough pw")),
                ],
            ),
            Refused(StatusCode::BAD_REQUEST),
        ),
    ]
}

/// The attributes of a tag as (name, value), honouring quotes.
fn attributes(tag: &str) -> Vec<(String, String)> {
    let inner = tag
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim_end_matches('/');
    let mut chars = inner.chars().peekable();
    // Skip the tag name.
    while chars.peek().is_some_and(|c| !c.is_whitespace()) {
        chars.next();
    }
    let mut out = Vec::new();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace() && *c != '=')).collect();
        if name.is_empty() {
            return out;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'=').is_some() {
            match chars.peek().copied() {
                Some(q @ ('"' | '\'')) => {
                    chars.next();
                    value = std::iter::from_fn(|| chars.next_if(|c| *c != q)).collect();
                    chars.next();
                }
                _ => value = std::iter::from_fn(|| chars.next_if(|c| !c.is_whitespace())).collect(),
            }
        }
        out.push((name.to_ascii_lowercase(), value));
    }
}

/// The page's own forms around each message (its menu, its reaction
/// chips) taken out, leaving what came from messages.
fn without_own_forms(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<form method=\"post\" action=\"/general/react/\"") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("</form>").expect("closed") + start + "</form>".len();
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Nothing script-capable in a fragment of HTML: no dangerous elements, no
/// event-handler attributes, no script or data URLs in links and sources.
pub fn assert_inert(html: &str, case: &str) {
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let end = rest[start..]
            .find('>')
            .map_or(rest.len(), |e| start + e + 1);
        let tag = &rest[start..end];
        let lower = tag.to_ascii_lowercase();
        let name: String = lower
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        assert!(
            ![
                "script", "style", "iframe", "object", "embed", "svg", "form", "meta", "base",
                "link", "math"
            ]
            .contains(&name.as_str()),
            "{case}: <{name}> in {html}"
        );
        for (attr, value) in attributes(tag) {
            assert!(
                !attr.starts_with("on"),
                "{case}: event handler {attr} in {tag}"
            );
            if ["href", "src", "action", "formaction", "xlink:href"].contains(&attr.as_str()) {
                let v: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect::<String>()
                    .to_ascii_lowercase();
                for scheme in ["javascript:", "vbscript:", "data:"] {
                    assert!(!v.starts_with(scheme), "{case}: {scheme} URL in {tag}");
                }
            }
        }
        rest = &rest[end..];
    }
}

#[test]
fn the_inertness_check_catches_what_it_should() {
    for bad in [
        "<script>",
        "<a href=\"javascript:x\">",
        "<img src=x onerror=y>",
        "<a href=' JavaScript:x'>",
        "<svg>",
    ] {
        assert!(
            std::panic::catch_unwind(|| assert_inert(bad, "probe")).is_err(),
            "{bad}"
        );
    }
    assert_inert(
        "<a href=\"https://e.com\" title=\"&quot; onmouseover=x\">ok</a><p>javascript: is text</p>",
        "probe",
    );
}

async fn newest_content(b: &Browser, before: i64) -> Option<Value> {
    let (_, body) = b
        .api("general/api/poll/", &[("last", &before.to_string())])
        .await;
    body["messages"].as_array().and_then(|m| m.last().cloned())
}

#[tokio::test]
async fn hostile_input_is_refused_clearly_or_stored_and_shown_safely() {
    let app = TestApp::start_with(|c| {
        c.limits.sends_per_minute = 10_000;
        c.chat.page_size = 200;
    })
    .await;
    let room = app.with_room().await;
    app.create_user("root", true).await;
    let alice = app.login("alice").await;
    let root = app.login("root").await;
    let cases = cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    for (name, input, expect) in cases {
        let before = stored_messages(&app.store, room.id).await;
        let last = app
            .store
            .messages()
            .newest_cursor(room.id)
            .await
            .expect("last");
        let rooms_before = app.store.rooms().list_rooms().await.expect("rooms").len();
        let users_before = app
            .store
            .accounts()
            .list_users()
            .await
            .expect("users")
            .len();
        let (status, body) = match input {
            Input::Message(text) => {
                let r = alice.api("general/api/send/", &[("content", text)]).await;
                (r.0, r.1.to_string())
            }
            Input::LongMessage(0) => {
                let text = format!("{}{}", "> ".repeat(3_000), "[".repeat(3_000));
                let r = alice.api("general/api/send/", &[("content", &text)]).await;
                (r.0, r.1.to_string())
            }
            Input::LongMessage(n) => {
                let r = alice
                    .api("general/api/send/", &[("content", &"x".repeat(n))])
                    .await;
                (r.0, r.1.to_string())
            }
            Input::Api(path, fields) => {
                let fields: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let r = alice.api(path, &fields).await;
                (r.0, r.1.to_string())
            }
            Input::Raw(path, content_type, bytes) => {
                let r = alice
                    .client
                    .post(alice.url(path))
                    .header("X-CSRFToken", &alice.csrf)
                    .header("Content-Type", content_type)
                    .body(bytes)
                    .send()
                    .await
                    .expect("POST");
                (r.status(), r.text().await.expect("body"))
            }
            Input::Get(path) => {
                let r = alice.get(&path).await;
                (r.status(), r.text().await.expect("body"))
            }
            Input::Admin(path, fields) => {
                let fields: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let r = root.post_form(path, &fields).await;
                (r.status(), r.text().await.expect("body"))
            }
        };
        assert!(
            status != StatusCode::INTERNAL_SERVER_ERROR,
            "{name}: a server error: {body}"
        );
        match expect {
            Expect::Refused(expected) => {
                assert_eq!(status, expected, "{name}: {body}");
                if expected != StatusCode::OK {
                    assert!(
                        body.len() < 20_000 && !body.is_empty(),
                        "{name}: a short, clear answer"
                    );
                }
                assert_eq!(
                    stored_messages(&app.store, room.id).await,
                    before,
                    "{name}: nothing stored"
                );
                assert_eq!(
                    app.store.rooms().list_rooms().await.expect("rooms").len(),
                    rooms_before,
                    "{name}: no room created"
                );
                assert_eq!(
                    app.store
                        .accounts()
                        .list_users()
                        .await
                        .expect("users")
                        .len(),
                    users_before,
                    "{name}: no user created"
                );
            }
            Expect::Safe => {
                assert!(
                    status.is_success() || status.is_redirection(),
                    "{name}: {status} {body}"
                );
                if let Some(m) = newest_content(&alice, last).await {
                    assert_inert(m["content"].as_str().expect("content"), name);
                }
            }
        }
    }
    // Everything stored is shown safely on the page too.
    let (_, html) = alice.text("general/").await;
    let start = html.find("id=\"cv-messages\"").expect("messages");
    let end = html.find("id=\"cv-status\"").expect("status");
    assert_inert(&without_own_forms(&html[start..end]), "room page");
    let (_, index) = root.text("").await;
    assert!(
        index.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "room titles are escaped"
    );
}

/// docs/rules.md, Control and invisible characters: control characters are dropped and line ends made
/// `\n` before a message is stored; a message of only white space and
/// invisible characters is empty; a joiner inside other text stays.
#[tokio::test]
async fn control_characters_are_dropped_and_invisible_only_messages_are_empty() {
    let app = TestApp::start().await;
    let room = app.with_room().await;
    let alice = app.login("alice").await;
    let sent = [
        ("a\x1b[31mb\r\nc\x07", "a[31mb\nc"),
        ("x\ry\x7f\u{85}\u{9b}z", "x\nyz"),
        ("👩\u{200d}💻 \u{200b}ok", "👩\u{200d}💻 \u{200b}ok"),
    ];
    for (text, _) in sent {
        let (status, body) = alice.api("general/api/send/", &[("content", text)]).await;
        assert_eq!(status, StatusCode::OK, "{text:?}: {body}");
        let html = body["messages"][0]["content"].as_str().expect("content");
        assert!(!html.contains(['\x1b', '\x07', '\r', '\x7f']), "{html:?}");
    }
    let stored = app
        .store
        .messages()
        .messages_after(room.id, 0, 10)
        .await
        .expect("messages");
    let contents: Vec<&str> = stored.iter().map(|m| m.content.as_str()).collect();
    let expected: Vec<&str> = sent.iter().map(|(_, want)| *want).collect();
    assert_eq!(contents, expected);
    assert_eq!(stored[0].html, "<p>a[31mb<br>\nc</p>\n");

    for text in [
        "\u{200b}",
        "\u{200b}\u{feff} \n\u{2060}\u{202e}",
        "\x07\x1b\r\n",
    ] {
        let (status, body) = alice.api("general/api/send/", &[("content", text)]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{text:?}: {body}");
        assert_eq!(body["error"], "The message is empty.", "{text:?}");
    }
    assert_eq!(stored_messages(&app.store, room.id).await, sent.len());
}
