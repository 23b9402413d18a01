//! The static HTML copy in an export: pages that open offline in any
//! browser, with no script, linking only to the archive's own files. Each
//! is a minijinja template (`templates/export/`) with auto-escaping; a
//! message's HTML is the sanitised rendering already stored with it.

use std::collections::HashMap;

use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use super::file_path;
use crate::domain::{Member, Message, Room};
use crate::service::ServiceError;

/// The archive's README.
pub const README: &str = "\
This is an export of a Conversate chat.

Open index.html in a browser to read it; it needs no network and runs no script.

For programs: rooms.jsonl lists the rooms; each room's folder holds
members.jsonl and messages-0001.jsonl, messages-0002.jsonl, … (JSON Lines,
oldest message first; times are Unix seconds, UTC). A message's file is at
the path its \"file\" field names, from the room's folder.
";

/// The pages' stylesheet.
pub const STYLE: &str = include_str!("../../../templates/export/style.css");

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // Names end in .html, so auto-escaping is on for all of them.
    for (name, source) in [
        (
            "index.html",
            include_str!("../../../templates/export/index.html"),
        ),
        (
            "room.html",
            include_str!("../../../templates/export/room.html"),
        ),
        (
            "page.html",
            include_str!("../../../templates/export/page.html"),
        ),
    ] {
        // The templates are part of the build; a broken one fails the tests.
        if let Err(e) = env.add_template(name, source) {
            tracing::error!(template = name, error = %e, "an export template does not parse");
        }
    }
    env
}

fn render(name: &str, ctx: Value) -> Result<String, ServiceError> {
    environment()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| ServiceError::Invalid(format!("Cannot write the export's pages: {e}.")))
}

/// `2026-12-02 14:05 UTC`.
#[must_use]
pub fn utc(unix: i64) -> String {
    let t =
        time::OffsetDateTime::from_unix_timestamp(unix).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

#[derive(Serialize)]
struct RoomView<'a> {
    slug: &'a str,
    title: &'a str,
}

/// The archive's front page: the rooms.
///
/// # Errors
/// When a template fails.
pub fn index(rooms: &[Room], now: i64) -> Result<String, ServiceError> {
    let rooms: Vec<RoomView<'_>> = rooms
        .iter()
        .map(|r| RoomView {
            slug: &r.slug,
            title: &r.title,
        })
        .collect();
    render(
        "index.html",
        context! { rooms => Value::from(Serde(&rooms)), exported => utc(now) },
    )
}

#[derive(Serialize)]
struct PageLink {
    file: String,
    first: String,
    last: String,
}

/// A room's page list, with the time span of each.
///
/// # Errors
/// When a template fails.
pub fn room_index(room: &Room, pages: &[(i64, i64)]) -> Result<String, ServiceError> {
    let pages: Vec<PageLink> = pages
        .iter()
        .enumerate()
        .map(|(i, (first, last))| PageLink {
            file: page_file(i + 1),
            first: utc(*first),
            last: utc(*last),
        })
        .collect();
    render(
        "room.html",
        context! {
            room => Value::from(Serde(RoomView { slug: &room.slug, title: &room.title })),
            pages => Value::from(Serde(&pages)),
        },
    )
}

#[derive(Serialize)]
struct FileView {
    path: String,
    name: String,
    image: bool,
}

#[derive(Serialize)]
struct MessageView<'a> {
    id: i64,
    user: &'a str,
    colour: usize,
    time: String,
    html: &'a str,
    file: Option<FileView>,
    edited: bool,
    deleted: bool,
    reply_to: Option<i64>,
}

/// The file name of page `number` of a room.
#[must_use]
pub fn page_file(number: usize) -> String {
    format!("page-{number:04}.html")
}

/// The class number of each member's colour (see [`colours`]).
fn colour_classes(members: &[Member]) -> HashMap<&str, usize> {
    members
        .iter()
        .enumerate()
        .map(|(i, m)| (m.username.as_str(), i + 1))
        .collect()
}

/// One page of a room's messages.
///
/// # Errors
/// When a template fails.
pub fn page(
    room: &Room,
    members: &[Member],
    messages: &[Message],
    number: usize,
    has_next: bool,
) -> Result<String, ServiceError> {
    let classes = colour_classes(members);
    let views: Vec<MessageView<'_>> = messages
        .iter()
        .map(|m| MessageView {
            id: m.id,
            user: &m.username,
            colour: classes.get(m.username.as_str()).copied().unwrap_or(0),
            time: utc(m.time),
            html: &m.html,
            file: m.file.as_ref().map(|f| FileView {
                path: file_path(m, &f.name),
                name: f.name.clone(),
                image: crate::files::is_inline_image(&f.content_type),
            }),
            edited: m.edited.is_some(),
            deleted: m.deleted.is_some(),
            reply_to: m.reply.as_ref().map(|q| q.id),
        })
        .collect();
    render(
        "page.html",
        context! {
            room => Value::from(Serde(RoomView { slug: &room.slug, title: &room.title })),
            messages => Value::from(Serde(&views)),
            number,
            prev => number.checked_sub(1).filter(|n| *n > 0).map(page_file),
            next => has_next.then(|| page_file(number + 1)),
        },
    )
}

/// Each member's colour as a class (`.u1`, `.u2`, …): the colours are
/// validated six-digit hex, so they are safe to write into CSS.
#[must_use]
pub fn colours(members: &[Member]) -> String {
    let mut css = String::new();
    for (i, m) in members.iter().enumerate() {
        if m.colour.len() == 6 && m.colour.bytes().all(|b| b.is_ascii_hexdigit()) {
            css.push_str(&format!(".u{} {{ color: #{}; }}\n", i + 1, m.colour));
        }
    }
    css
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_escape_names_and_keep_the_stored_rendering() {
        let room = Room {
            id: 1,
            slug: "r".into(),
            title: "<b>Room</b>".into(),
        };
        let m = Message {
            id: 3,
            username: "<i>ann</i>".into(),
            html: "<p>hello <strong>there</strong></p>".into(),
            ..Message::default()
        };
        let html = page(&room, &[], &[m], 1, false).expect("page");
        assert!(html.contains("&lt;b&gt;Room") && !html.contains("<b>"));
        assert!(html.contains("&lt;i&gt;ann") && !html.contains("<i>"));
        assert!(html.contains("<p>hello <strong>there</strong></p>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("page-0002.html"));
    }

    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(utc(1_600_000_000), "2020-09-13 12:26 UTC");
    }
}
